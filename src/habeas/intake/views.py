"""Intake pages: book one person through a form (checked field by field as it is filled in), or
a whole manifest file (checked first, every problem listed, then booked all or nothing).

The form and the manifest are checked by the same code as the API: the booking model
(``BookingIn``) and ``intake.service.check_many`` / ``check_manifest``, which make every check
``book_many`` makes before it writes, writing nothing. Booking goes through ``book_one`` and
``import_manifest``, exactly as ``POST /api/v1/sites/{code}/intake`` and ``.../intake/manifest``."""

from __future__ import annotations

import copy
import re
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from habeas.config import get_settings
from habeas.intake import service, uploads
from habeas.intake.manifest import COLUMNS, REQUIRED
from habeas.intake.schemas import AdmissionIn, BookingIn
from habeas.kit import clock
from habeas.kit.errors import DomainError
from habeas.kit.i18n import gettext as _
from habeas.kit.pages import Page, flash, redirect, render
from habeas.kit.web import Ctx, TxRoute
from habeas.sites.service import get_site

router = APIRouter(route_class=TxRoute)
WRITE = "intake:write"

IDENTITY = ["surname", "given_names", "aliases", "date_of_birth", "sex", "nationality", "national_id", "external_ref"]
SECURITY = ["legal_status", "security_level", "flags", "affiliation.group", "affiliation.source"]
BASIS = ["type", "reference", "issuing_authority", "issue_date", "review_due", "expiry_date"]
MARK = ["kind", "body_location", "description"]
ADMISSION = list(AdmissionIn.model_fields)
TIMES = ("admission.admitted_at", "admission.arrested_at")
MAX_BASES, MAX_MARKS = 20, 100
_ROW_KEY = re.compile(r"^(legal_bases|marks)\.(\d+)\.(\w+)$")


def choices() -> dict[str, list[tuple[str, str]]]:
    """The fixed values of the booking, with their words in the page's language."""
    return {
        "sex": [("M", _("Male")), ("F", _("Female")), ("X", _("Other or not stated"))],
        "legal_status": [("remand", _("Remand (untried)")), ("convicted", _("Convicted")), ("civil", _("Civil")),
                         ("immigration", _("Immigration or inter-state agreement"))],
        "security_level": [("low", _("Low")), ("medium", _("Medium")), ("high", _("High")), ("maximum", _("Maximum"))],
        "flags": [("vulnerable", _("Vulnerable")), ("single_cell", _("Needs a single cell")), ("medical_needs", _("Medical needs"))],
        "basis_type": [("warrant", _("Arrest warrant")), ("remand_order", _("Judicial remand order")),
                       ("detention_order", _("Detention order (emergency powers)")), ("sentence", _("Conviction and sentence")),
                       ("immigration", _("Immigration order or inter-state agreement"))],
        "mark_kind": [("tattoo", _("Tattoo")), ("scar", _("Scar")), ("birthmark", _("Birthmark")), ("piercing", _("Piercing")),
                      ("other", _("Other"))],
    }


def labels() -> dict[str, str]:
    """Each field's name on the page (``legal_bases.*.type``: every legal basis's type)."""
    return {
        "surname": _("Surname(s)"), "given_names": _("Given names"), "date_of_birth": _("Date of birth"), "sex": _("Sex"),
        "nationality": _("Nationality"), "national_id": _("National identity number"), "external_ref": _("Sender's reference"),
        "aliases": _("Aliases"), "legal_status": _("Legal status"), "security_level": _("Security level"), "flags": _("Flags"),
        "affiliation": _("Security-threat group"), "affiliation.group": _("Security-threat group"),
        "affiliation.source": _("Source of the affiliation"),
        "legal_bases.*.type": _("Type"), "legal_bases.*.reference": _("Reference of the document"),
        "legal_bases.*.issuing_authority": _("Issuing authority"), "legal_bases.*.issue_date": _("Issue date"),
        "legal_bases.*.review_due": _("Review due"), "legal_bases.*.expiry_date": _("Expiry date"),
        "marks.*.kind": _("Kind"), "marks.*.body_location": _("Where on the body"), "marks.*.description": _("Description"),
        "admission.admitted_at": _("Admitted at"), "admission.arrested_at": _("Arrested at"), "admission.arrest_place": _("Place of arrest"),
        "admission.arresting_authority": _("Arresting authority"), "admission.commitment_reason": _("Reason for commitment"),
        "admission.commitment_authority": _("Committing authority"), "admission.visible_injuries": _("Visible injuries"),
        "admission.ill_treatment_complaint": _("Complaint of ill-treatment"), "admission.property_record": _("Property"),
        "admission.next_of_kin_name": _("Next of kin"), "admission.next_of_kin_relationship": _("Relationship"),
        "admission.next_of_kin_contact": _("How to contact them"), "admission.legal_representative": _("Legal representative"),
    }


# --- the form as typed ------------------------------------------------------------------------

class Typed:
    """The form's values as the officer typed them (to show the form again) and its row counts."""

    def __init__(self, form: FormData | None = None):
        self.values: dict[str, str] = {}
        self.flags: list[str] = []
        self.touched: set[str] = set()
        n_bases, n_marks = 1, 1
        if form is not None:
            for key, value in form.multi_items():
                if not isinstance(value, str):
                    continue
                if key == "flags":
                    self.flags.append(value)
                elif key == "touched":
                    self.touched.update(t for t in value.split(",") if t)
                elif key not in ("csrf_token", "add") and len(key) <= 80:
                    self.values[key] = value.strip()
                m = _ROW_KEY.match(key)
                if m and value.strip():
                    if m.group(1) == "legal_bases":
                        n_bases = max(n_bases, int(m.group(2)) + 1)
                    else:
                        n_marks = max(n_marks, int(m.group(2)) + 1)
            n_bases = max(n_bases, _int(form.get("bases_rows"), 1))
            n_marks = max(n_marks, _int(form.get("marks_rows"), 1))
        self.n_bases = min(max(n_bases, 1), MAX_BASES)
        self.n_marks = min(max(n_marks, 1), MAX_MARKS)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def field_names(self) -> list[str]:
        names = [*IDENTITY, *SECURITY, "affiliation"]
        for i in range(self.n_bases):
            names += [f"legal_bases.{i}", *(f"legal_bases.{i}.{f}" for f in BASIS)]
        for i in range(self.n_marks):
            names += [f"marks.{i}", *(f"marks.{i}.{f}" for f in MARK)]
        names += [f"admission.{f}" for f in ADMISSION]
        return names


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _local_time(value: str, tz: ZoneInfo) -> str:
    """A time typed in the page (site time, no zone) as an ISO time with the site's offset."""
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return value  # the booking model names the problem
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    return t.isoformat()


def to_booking(typed: Typed, tz: ZoneInfo) -> tuple[dict[str, Any], list[int], list[int]]:
    """The booking structure of the form (blank means not given), and for each legal basis and
    mark kept, the form row it came from."""
    v = {k: val for k, val in typed.values.items() if val != ""}
    raw: dict[str, Any] = {k: v[k] for k in IDENTITY if k in v and k != "aliases"}
    raw["aliases"] = [a.strip() for a in re.split(r"[;\n]", typed.get("aliases")) if a.strip()]
    if "nationality" in raw:
        raw["nationality"] = raw["nationality"].upper()
    for k in ("legal_status", "security_level"):
        if k in v:
            raw[k] = v[k]
    raw["flags"] = typed.flags
    if "affiliation.group" in v or "affiliation.source" in v:
        raw["affiliation"] = {k: v[f"affiliation.{k}"] for k in ("group", "source") if f"affiliation.{k}" in v}
    bases, base_rows = [], []
    for i in range(typed.n_bases):
        basis = {f: v[f"legal_bases.{i}.{f}"] for f in BASIS if f"legal_bases.{i}.{f}" in v}
        if basis or i == 0:
            bases.append(basis)
            base_rows.append(i)
    raw["legal_bases"] = bases
    marks, mark_rows = [], []
    for i in range(typed.n_marks):
        mark = {f: v[f"marks.{i}.{f}"] for f in MARK if f"marks.{i}.{f}" in v}
        if mark:
            marks.append(mark)
            mark_rows.append(i)
    raw["marks"] = marks
    admission = {f: v[f"admission.{f}"] for f in ADMISSION if f"admission.{f}" in v}
    for name in TIMES:
        key = name.split(".")[1]
        if key in admission:
            admission[key] = _local_time(admission[key], tz)
    raw["admission"] = admission
    return raw, base_rows, mark_rows


# --- checking: the booking model, then the service's own checks ---------------------------------

_PATH = re.compile(r"\[(\d+)\]")


class Problems:
    def __init__(self, base_rows: list[int], mark_rows: list[int]):
        self.fields: dict[str, list[str]] = {}
        self.general: list[str] = []
        self.base_rows, self.mark_rows = base_rows, mark_rows

    def field_of(self, path: Any) -> str:
        """A model path (tuple, or text such as ``legal_bases[0].review_due``) as the form's field name."""
        parts = list(path) if isinstance(path, (tuple, list)) else _PATH.sub(r".\1", str(path)).split(".")
        parts = [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]
        if len(parts) > 1 and parts[0] in ("legal_bases", "marks") and isinstance(parts[1], int):
            rows = self.base_rows if parts[0] == "legal_bases" else self.mark_rows
            if parts[1] < len(rows):
                parts[1] = rows[parts[1]]
        return ".".join(str(p) for p in parts)

    def add(self, field: str | None, message: str) -> None:
        if field:
            self.fields.setdefault(field, []).append(message)
        else:
            self.general.append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def _message(err: dict) -> str:
    kind, msg = err.get("type", ""), err.get("msg", "invalid").removeprefix("Value error, ")
    if kind == "missing" or (kind == "string_too_short" and (err.get("ctx") or {}).get("min_length") == 1):
        return _("Required.")
    if kind == "string_pattern_mismatch" and err.get("loc", ("",))[0] == "nationality":
        return _("Three capital letters (ISO 3166-1 alpha-3), e.g. SLV.")
    return msg


_TOP_FILLER = {"surname": "-", "given_names": "-", "date_of_birth": "1990-01-01", "sex": "X", "legal_status": "remand",
               "nationality": None, "national_id": None, "external_ref": None, "security_level": "medium", "flags": [],
               "aliases": [], "affiliation": None, "marks": []}


def check(session, site_code: str, typed: Typed, tz: ZoneInfo) -> tuple[BookingIn | None, Problems]:
    """Check the form as the booking would: the model first; then the service's checks on every
    part the model accepted (a part the model refused is stood in for, and not reported twice).
    Returns the booking when nothing is wrong."""
    raw, base_rows, mark_rows = to_booking(typed, tz)
    problems = Problems(base_rows, mark_rows)
    patched_fields: set[str] = set()
    try:
        booking = BookingIn.model_validate(raw)
    except ValidationError as exc:
        patched = copy.deepcopy(raw)
        today = clock.today().isoformat()
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            if loc and loc[0] == "legal_bases" and len(loc) > 1 and isinstance(loc[1], int) and len(loc) == 2 \
                    and err.get("type") == "value_error":
                # the basis's own date rule: shown on the date it is about
                name = "review_due" if "review_due" in err.get("msg", "") else "expiry_date"
                loc.append(name)
            problems.add(problems.field_of(loc), _message(err))
            head = loc[0] if loc else None
            if head in _TOP_FILLER:
                patched[head] = _TOP_FILLER[head]
                patched_fields.add(str(head))
            elif head == "legal_bases" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(patched["legal_bases"]):
                patched["legal_bases"][loc[1]] = {"type": "sentence", "reference": "-", "issuing_authority": "-", "issue_date": today}
                patched_fields.add(f"legal_bases.{base_rows[loc[1]]}")
            elif head == "legal_bases":
                patched["legal_bases"] = [{"type": "sentence", "reference": "-", "issuing_authority": "-", "issue_date": today}]
                patched_fields.add("legal_bases")
            elif head == "admission" and len(loc) > 1:
                patched["admission"].pop(loc[1], None)
                if loc[1] == "commitment_reason":
                    patched["admission"]["commitment_reason"] = "-"
                patched_fields.add(f"admission.{loc[1]}")
            else:
                patched_fields.add("*")
        try:
            stand_in = BookingIn.model_validate(patched) if "*" not in patched_fields else None
        except ValidationError:
            stand_in = None
        if stand_in is not None:
            _service_checks(session, site_code, stand_in, problems, skip=patched_fields)
        return None, problems
    _service_checks(session, site_code, booking, problems, skip=set())
    return (None if problems else booking), problems


def _service_checks(session, site_code: str, booking: BookingIn, problems: Problems, *, skip: set[str]) -> None:
    try:
        service.check_many(session, site_code, [(None, booking)])
    except DomainError as exc:
        add_refusal(problems, exc, skip=skip)


def add_refusal(problems: Problems, exc: DomainError, *, skip: set[str] = frozenset()) -> None:
    details = exc.details if isinstance(exc.details, list) else []
    if not details:
        problems.add(None, exc.message)
    for d in details:
        field = problems.field_of(d["field"]) if isinstance(d, dict) and d.get("field") else None
        if field and (field in skip or "legal_bases" in skip and field.startswith("legal_bases.")
                      or any(field.startswith(s + ".") for s in skip)):
            continue
        problems.add(field, d.get("message") if isinstance(d, dict) else str(d))


def _site_zone(site) -> ZoneInfo:
    try:
        return ZoneInfo(site.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _shown(field: str, message: str, show: set[str]) -> bool:
    """In the inline check, a field's error shows once the field was changed; a rule about a legal
    basis or mark as a whole (not a missing value) shows once any field of that row was."""
    if field in show:
        return True
    if message != _("Required.") and field.startswith(("legal_bases.", "marks.", "affiliation.")):
        prefix = field.rsplit(".", 1)[0] + "."
        return any(t.startswith(prefix) for t in show)
    return False


def _form_page(request: Request, site, typed: Typed, problems: Problems | None = None, *, status: int = 200, focus: str | None = None,
               show: set[str] | None = None):
    problems = problems or Problems([], [])
    names = typed.field_names()
    known = set(names)
    fields = {k: m for k, m in problems.fields.items() if k in known}
    general = list(problems.general) + [f"{k}: {m}" for k, ms in problems.fields.items() if k not in known for m in ms]
    if show is not None:  # inline check: only what concerns the fields the officer has filled in or changed
        fields = {k: [m for m in ms if _shown(k, m, show)] for k, ms in fields.items()}
        fields = {k: ms for k, ms in fields.items() if ms}
    ctx = {"site_code": site.code, "site": site, "v": typed, "errors": fields, "general": general, "choices": choices(), "labels": labels(),
           "names": names, "zone": str(_site_zone(site)), "focus": focus, "count": sum(len(m) for m in fields.values()) + len(general)}
    return render(request, "intake/booking.html" if show is None else "intake/_booking_errors.html", ctx, status=status)


def _after_rollback(session, build, *args, **kwargs):
    """Roll back, then build the answer, on a worker thread: a rollback expires what was loaded
    (the site), and reading it again starts a transaction, which may wait for SQLite's write lock;
    on the event loop that wait would stall the very requests holding the lock."""
    session.rollback()
    return build(*args, **kwargs)


# --- routes: one person -----------------------------------------------------------------------

@router.get("/sites/{code}/intake")
def booking_form(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    site = get_site(ctx.session, code)
    return _form_page(request, site, Typed())


@router.post("/sites/{code}/intake/validate")
async def validate(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    """The inline check (htmx, on every change): the booking's own checks, nothing written; the
    answer replaces each field's error line."""
    form = await request.form()
    site = await run_in_threadpool(get_site, ctx.session, code)
    typed = Typed(form)
    _booking, problems = await run_in_threadpool(check, ctx.session, site.code, typed, _site_zone(site))
    show = typed.touched | {k for k, val in typed.values.items() if val}
    return await run_in_threadpool(_after_rollback, ctx.session, _form_page, request, site, typed, problems, show=show)


@router.post("/sites/{code}/intake")
async def book(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    form = await request.form()
    site = await run_in_threadpool(get_site, ctx.session, code)
    typed = Typed(form)
    add = form.get("add")
    if add in ("basis", "mark"):  # another row for a legal basis or a mark; nothing checked or written
        if add == "basis" and typed.n_bases < MAX_BASES:
            typed.n_bases += 1
        elif add == "mark" and typed.n_marks < MAX_MARKS:
            typed.n_marks += 1
        focus = f"legal_bases.{typed.n_bases - 1}.type" if add == "basis" else f"marks.{typed.n_marks - 1}.kind"
        return _form_page(request, site, typed, focus=focus)
    booking, problems = await run_in_threadpool(check, ctx.session, site.code, typed, _site_zone(site))
    if booking is None:
        return await run_in_threadpool(_after_rollback, ctx.session, _form_page, request, site, typed, problems, status=422)
    try:
        booked = await run_in_threadpool(service.book_one, ctx.session, ctx.actor, site.code, booking)
    except DomainError as exc:  # something changed since the check: shown the same way, nothing kept
        error = exc

        def refused():
            problems = Problems(*to_booking(typed, _site_zone(site))[1:])
            add_refusal(problems, error)
            return _form_page(request, site, typed, problems, status=error.status if error.status < 500 else 422)

        return await run_in_threadpool(_after_rollback, ctx.session, refused)
    response = redirect(f"/prisoners/{booked.prisoner_number}")
    return flash(response, request, _("%(name)s booked into custody as %(number)s, in reception at %(site)s.") % {
        "name": f"{booking.surname}, {booking.given_names}", "number": booked.prisoner_number, "site": site.code})


# --- routes: a manifest -------------------------------------------------------------------------

def summarise(rows: list[tuple[int, BookingIn]]) -> dict[str, Any]:
    """What the officer checks before booking: how many, on what bases, and the first rows."""
    bases = Counter(lb.type for _, b in rows for lb in b.legal_bases)
    groups = Counter(b.affiliation.group for _, b in rows if b.affiliation)
    admitted = sorted(b.admission.admitted_at.isoformat() for _, b in rows if b.admission.admitted_at)
    return {
        "rows": len(rows),
        "legal_status": dict(Counter(b.legal_status for _, b in rows).most_common()),
        "basis_types": dict(bases.most_common()),
        "sex": dict(Counter(b.sex for _, b in rows).most_common()),
        "groups": dict(groups.most_common(10)), "affiliated": sum(groups.values()), "more_groups": max(len(groups) - 10, 0),
        "flags": dict(Counter(f for _, b in rows for f in b.flags).most_common()),
        "without_injury_record": sum(1 for _, b in rows if not b.admission.visible_injuries),
        "admitted_from": admitted[0] if admitted else None, "admitted_to": admitted[-1] if admitted else None,
        "preview": [{"row": row, "external_ref": b.external_ref, "name": f"{b.surname}, {b.given_names}",
                     "date_of_birth": b.date_of_birth.isoformat(), "sex": b.sex, "legal_status": b.legal_status,
                     "basis": f"{b.legal_bases[0].type} {b.legal_bases[0].reference}"} for row, b in rows[:PREVIEW]],
    }


PREVIEW = 50


def _words() -> dict[str, dict[str, str]]:
    c = choices()
    return {"statuses": dict(c["legal_status"]), "basis_types": dict(c["basis_type"]), "sexes": dict(c["sex"]), "flags": dict(c["flags"])}


def _manifest_page(request: Request, site, *, status: int = 200, **context):
    htmx = request.headers.get("hx-request") == "true"
    return render(request, "intake/manifest.html", {"site_code": site.code, "site": site, "max_mb": get_settings().max_upload_bytes // 2**20,
                                                    "required": REQUIRED, "optional": [c for c in COLUMNS if c not in REQUIRED],
                                                    **context}, status=200 if htmx else status)


@router.get("/sites/{code}/intake/manifest")
def manifest_form(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    return _manifest_page(request, get_site(ctx.session, code))


@router.post("/sites/{code}/intake/manifest")
async def manifest_check(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    """Step 1: check every row; nothing is written. A clean file is kept on the server for step 2."""
    form = await request.form()
    site = await run_in_threadpool(get_site, ctx.session, code)
    upload = form.get("manifest")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _manifest_page(request, site, status=422, error=_("Choose a manifest file (CSV) to check."))
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "manifest.csv"
    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return _manifest_page(request, site, status=413, filename=filename,
                              error=_("The file is larger than %(mb)s MB. Split the manifest into smaller files.") % {"mb": limit // 2**20})
    if filename.lower().endswith(".json") or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return _manifest_page(request, site, status=422, filename=filename,
                              error=_("This is not a CSV file. Manifests are CSV files with a header row; "
                                      "save the spreadsheet as CSV (UTF-8) and check it again."))
    try:
        rows = await run_in_threadpool(service.check_manifest, ctx.session, site.code, data, filename)
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, list) else []
        bad_rows = len({d.get("row") for d in details if isinstance(d, dict) and d.get("row") is not None})
        return await run_in_threadpool(_after_rollback, ctx.session, _manifest_page, request, site, status=exc.status, filename=filename,
                                       error=exc.message, details=details, bad_rows=bad_rows)
    site_code = site.code  # read before the rollback expires it
    await run_in_threadpool(ctx.session.rollback)
    summary = summarise(rows)
    stored = await run_in_threadpool(uploads.keep, data, site=site_code, username=ctx.actor.username, filename=filename, summary=summary)
    return redirect(f"/sites/{site_code}/intake/manifest/{stored.token}", htmx=request.headers.get("hx-request") == "true")


def _stored_or_gone(request: Request, site, token: str, username: str):
    stored = uploads.find(token, site=site.code, username=username)
    if stored is None:
        return None, _manifest_page(request, site, status=404, error=_("This checked file is no longer kept (it was booked, or it is "
                                                                     "more than a day old). Check the file again."))
    return stored, None


@router.get("/sites/{code}/intake/manifest/{token}")
def manifest_checked(request: Request, code: str, token: str, ctx: Ctx = Depends(Page(WRITE))):
    """Step 2: the summary of a clean file and the button that books everyone on it."""
    site = get_site(ctx.session, code)
    stored, gone = _stored_or_gone(request, site, token, ctx.actor.username)
    if gone:
        return gone
    return render(request, "intake/manifest_checked.html", {"site_code": site.code, "site": site, "stored": stored, "summary": stored.summary, **_words()})


@router.post("/sites/{code}/intake/manifest/{token}/book")
async def manifest_book(request: Request, code: str, token: str, ctx: Ctx = Depends(Page(WRITE))):
    """Book everyone on the checked file, in one transaction: all or nothing."""
    site = await run_in_threadpool(get_site, ctx.session, code)
    stored, gone = _stored_or_gone(request, site, token, ctx.actor.username)
    if gone:
        return gone
    context = {"site_code": site.code, "site": site, "stored": stored, "summary": stored.summary, **_words()}
    status_ok = request.headers.get("hx-request") == "true"
    data = uploads.claim(stored)
    if data is None:
        return render(request, "intake/manifest_checked.html", {**context, "error": _("This file is already being booked, or was "
                                                                                    "booked: it is not booked twice.")},
                      status=200 if status_ok else 409)
    try:
        booked = await run_in_threadpool(service.import_manifest, ctx.session, ctx.actor, site.code, data, stored.filename)
    except DomainError as exc:  # the records changed since the check: nothing is kept, the file can be booked again once fixed
        uploads.release(stored)
        details = exc.details if isinstance(exc.details, list) else []
        return await run_in_threadpool(_after_rollback, ctx.session, render, request, "intake/manifest_checked.html",
                                       {**context, "error": exc.message, "details": details}, status=200 if status_ok else exc.status)
    except BaseException:  # the database busy, a conflict: the file stays bookable
        uploads.release(stored)
        raise
    response = render(request, "intake/manifest_checked.html", {**context, "booked": booked})
    response.background = BackgroundTask(uploads.forget, stored.token)  # after the commit
    return response
