"""The manifest parser: valid rows round-trip, every bad row and field is named, nothing
else escapes. Pure: no database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habeas.intake.manifest import COLUMNS, parse_manifest
from habeas.kit.errors import ValidationFailed

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
ISSUED = (TODAY - timedelta(days=20)).isoformat()
REVIEW = (TODAY + timedelta(days=40)).isoformat()


def row(**over) -> dict[str, str]:
    base = {
        "external_ref": "R1", "surname": "Hernández", "given_names": "José", "date_of_birth": "1990-05-01", "sex": "M",
        "nationality": "SLV", "national_id": "00000001-1", "legal_status": "remand", "basis_type": "remand_order",
        "basis_reference": "RO-1", "basis_authority": "Juzgado 1", "basis_issue_date": ISSUED,
        "basis_review_due": REVIEW, "commitment_reason": "remand pending trial",
    }
    base.update(over)
    return base


def to_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    columns = columns or COLUMNS
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in columns})
    return buf.getvalue().encode()


def parse(data: bytes):
    return parse_manifest(data, "m.csv", today=TODAY, now=NOW)


def errors(data: bytes) -> list[dict]:
    with pytest.raises(ValidationFailed) as exc:
        parse(data)
    assert "nothing was booked" in exc.value.message or exc.value.code in ("bad_encoding", "empty_manifest", "malformed_csv")
    return exc.value.details


def test_valid_rows_parse_with_lists_and_marks():
    out = parse(to_csv([row(aliases="El Flaco; Chepe", marks="tattoo|chest|MS letters;scar|left hand|2 cm", flags="vulnerable;single_cell",
                            affiliation="MS-13", affiliation_source="self-declared", admitted_at=f"{TODAY}T00:00:00Z")]))
    (n, b), = out
    assert n == 2
    assert b.aliases == ["El Flaco", "Chepe"]
    assert [(m.kind, m.body_location) for m in b.marks] == [("tattoo", "chest"), ("scar", "left hand")]
    assert b.flags == ["single_cell", "vulnerable"]
    assert b.affiliation.group == "MS-13" and b.legal_bases[0].review_due.isoformat() == REVIEW


def test_every_bad_row_and_field_is_reported_at_once():
    data = to_csv([
        row(),
        row(external_ref="R2", national_id="2", date_of_birth="2030-01-01"),          # birth in the future
        row(external_ref="R3", national_id="3", basis_review_due=(TODAY - timedelta(days=30)).isoformat()),  # review before issue
        row(external_ref="R1", national_id="4"),                                      # duplicate external_ref
        row(external_ref="R5", national_id="00000001-1"),                             # duplicate national id
        row(external_ref="R6", national_id="6", sex="Q", basis_type=""),              # two fields wrong
        row(external_ref="R7", national_id="7", basis_issue_date=(TODAY + timedelta(days=1)).isoformat(), basis_review_due=(TODAY + timedelta(days=30)).isoformat()),  # issued tomorrow
        row(external_ref="R8", national_id="8", date_of_birth="1990-02-30"),          # impossible date
        row(external_ref="R9", national_id="9", marks="tattoo|chest"),                # mark without description
        row(external_ref="R10", national_id="10", basis_review_due="soon"),           # not a date
    ])
    details = errors(data)
    got = {(d["row"], d["field"]) for d in details}
    assert {(3, "date_of_birth"), (4, "basis_type"), (5, "external_ref"), (6, "national_id"), (7, "sex"), (7, "basis_type"),
            (8, "basis_issue_date"), (9, "date_of_birth"), (10, "marks"), (11, "basis_review_due")} <= got, details
    assert all(d["file"] == "m.csv" for d in details)
    assert not any(d["row"] == 2 for d in details)
    review = next(d for d in details if d["row"] == 4)
    assert "before issue_date" in review["message"]


def test_missing_legal_basis_refuses_the_row():
    details = errors(to_csv([row(basis_type="", basis_reference="", basis_authority="", basis_issue_date="", basis_review_due="")]))
    assert {d["field"] for d in details} >= {"basis_type"}


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "no header"),
        (to_csv([], columns=COLUMNS), "no people"),
        (to_csv([row()], columns=[c for c in COLUMNS if c != "surname"]), "required column 'surname'"),
        (to_csv([row()]).replace(b"external_ref,", b"external_ref,colour,", 1), "unknown column"),
        ("external_ref,surname\nR1,Peña".encode("latin-1"), "UTF-8"),
        (b"\x00\x01\x02", "binary"),
    ],
)
def test_file_level_problems(data, words):
    details = errors(data)
    assert any(words in d["message"] for d in details), details


def test_short_row_is_named():
    data = to_csv([row()]) + b"R2,Only,Two\n"
    details = errors(data)
    assert details[0]["row"] == 3 and "cells" in details[0]["message"]


# --- property-based -------------------------------------------------------------------------

names = st.text(alphabet=st.characters(categories=["Lu", "Ll"], max_codepoint=0x24F), min_size=1, max_size=20).filter(lambda s: s.strip() == s)


@st.composite
def valid_rows(draw):
    n = draw(st.integers(1, 15))
    rows = []
    for i in range(n):
        born = draw(st.dates(date(1930, 1, 1), TODAY - timedelta(days=365 * 18)))
        issued = draw(st.dates(date(2000, 1, 1), TODAY))
        review = TODAY + timedelta(days=draw(st.integers(0, 3000)))  # current at admission (now)
        rows.append(row(external_ref=f"E{i}", national_id=f"N{i}", surname=draw(names), given_names=draw(names),
                        date_of_birth=born.isoformat(), sex=draw(st.sampled_from("MFX")),
                        basis_issue_date=issued.isoformat(), basis_review_due=review.isoformat()))
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_rows())
def test_valid_manifests_round_trip(rows):
    out = parse(to_csv(rows))
    assert [n for n, _ in out] == list(range(2, len(rows) + 2))
    for r, (_, b) in zip(rows, out, strict=True):
        assert b.surname == r["surname"] and b.given_names == r["given_names"]
        assert b.date_of_birth.isoformat() == r["date_of_birth"]
        assert b.legal_bases[0].review_due.isoformat() == r["basis_review_due"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_rows(), st.data())
def test_one_corrupted_cell_is_named_by_row_and_field(rows, data):
    i = data.draw(st.integers(0, len(rows) - 1))
    field, bad = data.draw(st.sampled_from([
        ("date_of_birth", "31/12/1990"), ("sex", "male?"), ("legal_status", "guilty"), ("basis_issue_date", "yesterday"),
        ("nationality", "El Salvador"), ("surname", ""), ("basis_type", "hunch"), ("security_level", "extreme"),
    ]))
    rows[i][field] = bad
    details = errors(to_csv(rows))
    assert (i + 2, field) in {(d["row"], d["field"]) for d in details}, details
    assert {d["row"] for d in details} == {i + 2}


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_only_ever_raise_validation_errors(data):
    try:
        parse(data)
    except ValidationFailed as exc:
        assert exc.details


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=len(COLUMNS) + 2), max_size=6))
def test_arbitrary_cells_under_the_real_header_never_crash(cells):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    w.writerows(cells)
    try:
        parse(buf.getvalue().encode())
    except ValidationFailed as exc:
        assert all(d["file"] == "m.csv" for d in exc.details)


def test_basis_lapsed_before_admission_is_refused():
    admitted = f"{TODAY - timedelta(days=1)}T08:00:00Z"
    details = errors(to_csv([row(admitted_at=admitted, basis_review_due=(TODAY - timedelta(days=5)).isoformat())]))
    assert [(d["row"], d["field"]) for d in details] == [(2, "basis_review_due")]
    details = errors(to_csv([row(admitted_at=admitted, basis_review_due="", basis_expiry_date=(TODAY - timedelta(days=2)).isoformat())]))
    assert [(d["row"], d["field"]) for d in details] == [(2, "basis_expiry_date")]
