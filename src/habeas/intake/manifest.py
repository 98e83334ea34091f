"""The intake manifest (CSV): parse and validate every row (pure; no database).

Rows are numbered as in a spreadsheet: the header is row 1, the first person row 2.
Every bad row and field is reported at once; see docs/intake-manifest.md for the columns.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from habeas.intake.schemas import BookingIn
from habeas.kit.errors import IssueList, ValidationFailed
from habeas.kit.yamlfile import decode

MAX_ROWS = 50_000

IDENTITY = ["external_ref", "surname", "given_names", "aliases", "date_of_birth", "sex", "nationality", "national_id",
            "marks", "affiliation", "affiliation_source", "security_level", "flags", "legal_status"]
BASIS = {"basis_type": "type", "basis_reference": "reference", "basis_authority": "issuing_authority",
         "basis_issue_date": "issue_date", "basis_review_due": "review_due", "basis_expiry_date": "expiry_date"}
ADMISSION = ["admitted_at", "arrested_at", "arrest_place", "arresting_authority", "commitment_reason", "commitment_authority",
             "visible_injuries", "ill_treatment_complaint", "property_record", "next_of_kin_name", "next_of_kin_relationship",
             "next_of_kin_contact", "legal_representative"]
COLUMNS = IDENTITY + list(BASIS) + ADMISSION
REQUIRED = ["external_ref", "surname", "given_names", "date_of_birth", "sex", "legal_status", "basis_type",
            "basis_reference", "basis_authority", "basis_issue_date", "commitment_reason"]

# Where a validation error inside the booking model points, as a manifest column.
_BASIS_FIELD_TO_COLUMN = {v: k for k, v in BASIS.items()}


def column_for(loc: tuple[Any, ...]) -> str:
    if not loc:
        return ""
    head = loc[0]
    if head == "legal_bases":
        field = next((p for p in loc[2:] if isinstance(p, str)), None)
        return _BASIS_FIELD_TO_COLUMN.get(field, "basis_type") if field else "basis_type"
    if head == "admission":
        return str(loc[1]) if len(loc) > 1 else "commitment_reason"
    if head == "affiliation":
        return "affiliation_source" if len(loc) > 1 and loc[1] == "source" else "affiliation"
    return str(head)


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


def row_to_booking(cells: dict[str, str], issues: IssueList, row: int) -> dict[str, Any]:
    """Turn one CSV record (column -> text) into the booking structure, noting shape errors."""
    get = {k: (v.strip() if isinstance(v, str) else "") for k, v in cells.items()}
    blank_to_none = {k: (v if v != "" else None) for k, v in get.items()}
    marks = []
    for i, item in enumerate(_split(get.get("marks", ""))):
        parts = [p.strip() for p in item.split("|")]
        if len(parts) != 3:
            issues.add(f"mark {i + 1} {item!r}: write kind|body location|description (marks separated by ';')", field="marks", row=row)
            continue
        marks.append({"kind": parts[0].lower(), "body_location": parts[1], "description": parts[2]})
    affiliation = None
    if get.get("affiliation"):
        affiliation = {"group": get["affiliation"], "source": get.get("affiliation_source", "")}
    elif get.get("affiliation_source"):
        issues.add("affiliation_source given without an affiliation", field="affiliation", row=row)
    basis = {field: blank_to_none.get(col) for col, field in BASIS.items()}
    admission = {col: blank_to_none.get(col) for col in ADMISSION}
    booking: dict[str, Any] = {
        "external_ref": blank_to_none.get("external_ref"),
        "surname": get.get("surname", ""),
        "given_names": get.get("given_names", ""),
        "aliases": _split(get.get("aliases", "")),
        "date_of_birth": blank_to_none.get("date_of_birth"),
        "sex": (get.get("sex") or "").upper() or None,
        "nationality": (blank_to_none.get("nationality") or "").upper() or None,
        "national_id": blank_to_none.get("national_id"),
        "marks": marks,
        "affiliation": affiliation,
        "flags": [f.lower() for f in _split(get.get("flags", ""))],
        "legal_status": (get.get("legal_status") or "").lower() or None,
        "legal_bases": [basis],
        "admission": {k: v for k, v in admission.items() if v is not None},
    }
    if get.get("security_level"):
        booking["security_level"] = get["security_level"].lower()
    if booking["legal_bases"][0].get("type"):
        booking["legal_bases"][0]["type"] = booking["legal_bases"][0]["type"].lower()
    return booking


def pydantic_issues(exc: ValidationError, issues: IssueList, row: int | None, *, column_of=column_for) -> None:
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        col = column_of(loc)
        if err.get("type") == "missing":
            msg = "required"
        elif err.get("type") == "too_short" and loc and loc[0] == "legal_bases":
            msg = "booking refused: at least one legal basis is required"
        issues.add(msg, field=col or None, row=row)


def check_facts(b: BookingIn, *, today: date, now: datetime, row: int | None, issues: IssueList, columns: bool = True) -> None:
    """Rules that need the date: no birth in the future, no order issued tomorrow, no arrest after admission."""
    def f(column: str, model_path: str) -> str:
        return column if columns else model_path

    if b.date_of_birth > today:
        issues.add(f"date of birth {b.date_of_birth} is in the future", field="date_of_birth", row=row)
    elif b.date_of_birth.year < 1900:
        issues.add(f"date of birth {b.date_of_birth} is not plausible", field="date_of_birth", row=row)
    elif (today - b.date_of_birth).days < 10 * 365:
        issues.add(f"date of birth {b.date_of_birth}: a child under 10 cannot be booked into custody", field="date_of_birth", row=row)
    for i, basis in enumerate(b.legal_bases):
        if basis.issue_date > today:
            issues.add(f"issue date {basis.issue_date} is in the future", field=f("basis_issue_date", f"legal_bases[{i}].issue_date"), row=row)
    adm = b.admission
    admitted = _aware(adm.admitted_at) if adm.admitted_at else now
    for i, basis in enumerate(b.legal_bases):
        # Nobody is booked on a basis that had already lapsed when they were admitted.
        if basis.expiry_date is not None and basis.expiry_date < admitted.date():
            issues.add(f"expiry date {basis.expiry_date} is before the admission ({admitted.date()}): no current legal basis", field=f("basis_expiry_date", f"legal_bases[{i}].expiry_date"), row=row)
        if basis.review_due is not None and basis.review_due < admitted.date():
            issues.add(f"review was due {basis.review_due}, before the admission ({admitted.date()}): no current legal basis", field=f("basis_review_due", f"legal_bases[{i}].review_due"), row=row)
    if admitted > now:
        issues.add(f"admission time {adm.admitted_at} is in the future", field=f("admitted_at", "admission.admitted_at"), row=row)
    if adm.arrested_at and _aware(adm.arrested_at) > admitted:
        issues.add(f"arrest time {adm.arrested_at} is after the admission time", field=f("arrested_at", "admission.arrested_at"), row=row)
    if b.date_of_birth <= today and admitted.date() < b.date_of_birth:
        issues.add("admission before birth", field=f("admitted_at", "admission.admitted_at"), row=row)


def _aware(value: datetime) -> datetime:
    from habeas.kit.clock import to_utc

    return to_utc(value)


def parse_manifest(data: bytes, filename: str, *, today: date, now: datetime) -> list[tuple[int, BookingIn]]:
    """Return (row number, booking) for every row, or raise ValidationFailed naming every bad row and field."""
    text = decode(data, filename)
    issues = IssueList()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed(f"{filename}: empty file", code="empty_manifest", details=[{"file": filename, "row": 1, "field": None, "message": "no header row"}]) from None
    except csv.Error as exc:
        raise ValidationFailed(f"{filename}: malformed CSV: {exc}", code="malformed_csv", details=[{"file": filename, "row": 1, "field": None, "message": str(exc)}]) from None
    header = [h.strip().lower() for h in header]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            issues.add(f"column {h!r} appears twice", field=h, row=1)
        seen.add(h)
        if h and h not in COLUMNS:
            issues.add(f"unknown column {h!r}", field=h, row=1)
    for col in REQUIRED:
        if col not in seen:
            issues.add(f"required column {col!r} is missing", field=col, row=1)
    if issues:
        _raise(filename, issues)

    out: list[tuple[int, BookingIn]] = []
    refs: dict[str, int] = {}
    nat_ids: dict[tuple[str | None, str], int] = {}
    try:
        for row, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                issues.add(f"{len(record)} cells, the header has {len(header)}", field=None, row=row)
                continue
            if row > MAX_ROWS + 1:
                issues.add(f"a manifest holds at most {MAX_ROWS} people; split the file", field=None, row=row)
                break
            before = len(issues)
            raw = row_to_booking(dict(zip(header, record, strict=True)), issues, row)
            # Duplicates are checked on the raw cells, so a row with other faults still gets them reported.
            ref = raw.get("external_ref")
            if ref is not None and ref in refs:
                issues.add(f"external_ref {ref!r} already used on row {refs[ref]}", field="external_ref", row=row)
            elif ref is not None:
                refs[ref] = row
            if raw.get("national_id"):
                key = (raw.get("nationality"), raw["national_id"])
                if key in nat_ids:
                    issues.add(f"national_id {raw['national_id']!r} already used on row {nat_ids[key]}", field="national_id", row=row)
                else:
                    nat_ids[key] = row
            try:
                booking = BookingIn.model_validate(raw)
            except ValidationError as exc:
                pydantic_issues(exc, issues, row)
                continue
            check_facts(booking, today=today, now=now, row=row, issues=issues)
            if len(issues) == before:
                out.append((row, booking))
    except csv.Error as exc:
        issues.add(f"malformed CSV: {exc}", field=None, row=reader.line_num)
    if not out and not issues:
        issues.add("the manifest has a header but no people", field=None, row=2)
    _raise(filename, issues)
    return out


def _raise(filename: str, issues: IssueList) -> None:
    if issues:
        for issue in issues:
            issue["file"] = filename
        rows = sorted({i["row"] for i in issues if i["row"] is not None})
        raise ValidationFailed(
            f"{filename}: {len(issues)} problem(s) in {len(rows)} row(s); nothing was booked",
            code="invalid_manifest",
            details=list(issues),
        )
