"""The intake pages: the booking form (checked inline by the booking's own rules, booked through
the service), and the manifest upload (every bad row listed before anything is written, then
everyone booked in one transaction)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from habeas.auth.service import create_user
from habeas.intake import uploads
from habeas.intake.service import book_one
from habeas.kit import clock
from habeas.models import AuditEvent, CustodyEpisode, DistinguishingMark, LegalBasis, Prisoner

from tests import factories as f
from tests.intake.test_manifest import row, to_csv
from tests.web.conftest import PASSWORD, csrf_of, sign_in


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    d = tmp_path / "uploads"
    d.mkdir()
    monkeypatch.setattr(uploads, "directory", lambda: d)
    return d


def people(sessions) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(Prisoner)).scalar_one()


def good_form(**over) -> dict[str, str]:
    today = clock.today()
    form = {
        "surname": "Quintanilla Rivas", "given_names": "Marta Elena", "date_of_birth": "1991-04-12", "sex": "F", "nationality": "slv",
        "national_id": "07777777-7", "external_ref": "PNC-WEB-1", "aliases": "La Flaca\nMarta R.", "legal_status": "remand",
        "security_level": "high", "affiliation.group": "Barrio 18", "affiliation.source": "self-declared",
        "legal_bases.0.type": "remand_order", "legal_bases.0.reference": "RO-2026-1", "legal_bases.0.issuing_authority": "Juzgado Primero",
        "legal_bases.0.issue_date": (today - timedelta(days=2)).isoformat(),
        "admission.arrested_at": f"{(today - timedelta(days=3)).isoformat()}T08:30", "admission.arrest_place": "Soyapango",
        "admission.arresting_authority": "PNC", "admission.commitment_reason": "Remand pending trial",
        "admission.visible_injuries": "none", "admission.next_of_kin_name": "Rosa Rivas", "admission.next_of_kin_relationship": "mother",
        "marks.0.kind": "tattoo", "marks.0.body_location": "left forearm", "marks.0.description": "a rose", "bases_rows": "1", "marks_rows": "1",
    }
    form.update(over)
    return form


def post_form(c, data: dict, url: str = "/sites/T1/intake", **kw):
    token = csrf_of(c.get("/sites/T1/intake").text)
    return c.post(url, data={**data, "csrf_token": token}, follow_redirects=False, **kw)


def slots(html: str) -> dict[str, str]:
    """Error lines of an inline check: slot id -> text."""
    return {m.group(1): re.sub(r"<[^>]+>", " ", m.group(2)).strip()
            for m in re.finditer(r'<div id="err-([^"]+)" class="error-slot"[^>]*hx-swap-oob="true">(.*?)</div>', html, re.S)}


# --- the booking form -------------------------------------------------------------------------

def test_the_form_has_every_part_of_the_booking(signed_in):
    c = signed_in("records")
    r = c.get("/sites/T1/intake")
    assert r.status_code == 200
    html = r.text
    for legend in ("Identity", "Legal status and legal basis", "Legal basis 1", "Arrest and admission", "Condition and property at admission",
                   "Next of kin and legal representative", "Security", "Flags", "Distinguishing marks", "Mark 1"):
        assert f"<legend>{legend}</legend>" in html
    for name in ("surname", "given_names", "aliases", "date_of_birth", "sex", "nationality", "national_id", "external_ref", "legal_status",
                 "security_level", "affiliation.group", "affiliation.source", "legal_bases.0.type", "legal_bases.0.reference",
                 "legal_bases.0.issuing_authority", "legal_bases.0.issue_date", "legal_bases.0.review_due", "legal_bases.0.expiry_date",
                 "admission.admitted_at", "admission.arrested_at", "admission.arrest_place", "admission.arresting_authority",
                 "admission.commitment_reason", "admission.commitment_authority", "admission.visible_injuries",
                 "admission.ill_treatment_complaint", "admission.property_record", "admission.next_of_kin_name",
                 "admission.next_of_kin_relationship", "admission.next_of_kin_contact", "admission.legal_representative",
                 "marks.0.kind", "marks.0.body_location", "marks.0.description"):
        fid = name.replace(".", "-")
        assert f'name="{name}"' in html and f'<label for="f-{fid}"' in html and f'aria-describedby="err-{fid}' in html, name
    assert 'hx-post="/sites/T1/intake/validate"' in html and 'hx-trigger="change"' in html
    assert 'name="flags" value="vulnerable"' in html
    assert "/static/js/intake.js" in html and "<script>" not in html and "style=" not in html


def test_only_intake_officers_reach_the_intake_pages(signed_in, sessions):
    before = people(sessions)
    for role in ("viewer", "housing", "operations", "admin"):
        c = signed_in(role)
        assert c.get("/sites/T1/intake").status_code == 403
        assert c.get("/sites/T1/intake/manifest").status_code == 403
        token = csrf_of(c.get("/sites/T1").text)
        assert post_form_raw(c, "/sites/T1/intake", good_form(), token).status_code == 403
        assert post_form_raw(c, "/sites/T1/intake/validate", good_form(), token).status_code == 403
        r = c.post("/sites/T1/intake/manifest", data={"csrf_token": token}, files={"manifest": ("m.csv", to_csv([row()]), "text/csv")})
        assert r.status_code == 403
    assert people(sessions) == before


def post_form_raw(c, url: str, data: dict, token: str | None):
    return c.post(url, data={**data, **({"csrf_token": token} if token else {})}, follow_redirects=False)


def test_a_post_without_the_csrf_token_is_refused_and_books_nobody(signed_in, sessions):
    c = signed_in("records")
    r = post_form_raw(c, "/sites/T1/intake", good_form(), None)
    assert r.status_code == 403
    assert people(sessions) == 0


def test_the_inline_check_names_the_fields_changed_and_writes_nothing(signed_in, sessions):
    c = signed_in("records")
    future = (clock.today() + timedelta(days=30)).isoformat()
    form = good_form(surname="", date_of_birth=future, touched="surname,date_of_birth")
    del form["admission.commitment_reason"]
    r = post_form(c, form, "/sites/T1/intake/validate", headers={"HX-Request": "true"})
    assert r.status_code == 200
    got = slots(r.text)
    assert got["surname"] == "Required."
    assert got["date_of_birth"] == f"date of birth {future} is in the future"
    # a field not yet reached is not shouted at, but its slot is sent (empty) to clear old errors
    assert got["admission-commitment_reason"] == "" and got["given_names"] == ""
    assert people(sessions) == 0
    # fixed: every slot empty
    r = post_form(c, good_form(touched="surname,date_of_birth"), "/sites/T1/intake/validate", headers={"HX-Request": "true"})
    assert all(v == "" for v in slots(r.text).values())


def test_the_inline_check_runs_the_services_rules(signed_in, sessions):
    with sessions.begin() as s:
        taken = book_one(s, f.ACTOR, "T1", f.booking(national_id="07777777-7", nationality="SLV"))
    c = signed_in("records")
    issued = clock.today() - timedelta(days=20)
    form = good_form(**{"legal_bases.0.type": "warrant", "legal_bases.0.issue_date": issued.isoformat(), "touched": "national_id"})
    r = post_form(c, form, "/sites/T1/intake/validate", headers={"HX-Request": "true"})
    got = slots(r.text)
    assert taken.prisoner_number in got["national_id"]
    # the warrant's rule date (issue + 3 days) passed before the admission: shown on the basis row once touched
    assert "no current legal basis" in got["legal_bases-0-review_due"]


def test_a_bad_booking_shows_every_error_and_keeps_what_was_typed(signed_in, sessions):
    c = signed_in("records")
    future = (clock.today() + timedelta(days=3)).isoformat()
    form = good_form(surname="", date_of_birth="2090-01-01", **{"legal_bases.0.issue_date": future, "legal_bases.1.type": "warrant",
                                                                   "bases_rows": "2", "affiliation.source": "", "nationality": "El Salvador"})
    r = post_form(c, form)
    assert r.status_code == 422
    html = r.text
    assert "problems: nothing was booked" in html
    for fid in ("surname", "date_of_birth", "legal_bases-1-reference", "legal_bases-1-issuing_authority", "legal_bases-1-issue_date",
                "affiliation-source", "nationality"):
        assert re.search(rf'id="f-{fid}"[^>]*aria-invalid="true"', html), fid
    assert 'href="#f-surname">Surname(s)</a>: Required.' in html
    assert "Legal basis 2, Reference of the document" in html
    assert 'value="Marta Elena"' in html and "La Flaca\nMarta R." in html  # kept
    assert people(sessions) == 0
    # the legal basis's own future date (only once the rest reads well)
    r = post_form(c, good_form(**{"legal_bases.0.issue_date": future}))
    assert r.status_code == 422 and f"issue date {future} is in the future" in r.text
    assert re.search(r'id="f-legal_bases-0-issue_date"[^>]*aria-invalid="true"', r.text)
    assert people(sessions) == 0


def test_booking_through_the_form_books_the_person_and_goes_to_the_record(signed_in, sessions):
    c = signed_in("records")
    r = post_form(c, good_form())
    assert r.status_code == 303, r.text
    number = r.headers["location"].removeprefix("/prisoners/")
    assert "habeas_flash" in r.headers.get("set-cookie", "")
    with sessions() as s:
        p = s.execute(select(Prisoner).where(Prisoner.prisoner_number == number)).scalar_one()
        assert (p.surname, p.nationality, p.security_level, p.legal_status) == ("Quintanilla Rivas", "SLV", "high", "remand")
        ep = s.execute(select(CustodyEpisode).where(CustodyEpisode.prisoner_id == p.id)).scalar_one()
        assert ep.next_of_kin_name == "Rosa Rivas" and ep.visible_injuries == "none" and ep.source_ref == "PNC-WEB-1"
        assert clock.to_utc(ep.arrested_at).isoformat().endswith("08:30:00+00:00")  # T1 keeps UTC
        assert s.execute(select(func.count()).select_from(LegalBasis).where(LegalBasis.prisoner_id == p.id)).scalar_one() == 1
        assert s.execute(select(DistinguishingMark.description).where(DistinguishingMark.prisoner_id == p.id)).scalar_one() == "a rose"
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "intake.book")).scalar_one()
        assert ev.actor == "records1" and ev.entity_id == number


def test_adding_a_row_shows_one_more_and_books_nobody(signed_in, sessions):
    c = signed_in("records")
    r = post_form(c, good_form(add="basis"))
    assert r.status_code == 200
    assert "<legend>Legal basis 2</legend>" in r.text and re.search(r'id="f-legal_bases-1-type"[^>]*autofocus', r.text)
    assert 'value="Quintanilla Rivas"' in r.text and "aria-invalid" not in r.text
    r = post_form(c, good_form(add="mark", marks_rows="1"))
    assert "<legend>Mark 2</legend>" in r.text
    assert people(sessions) == 0


def test_a_time_typed_in_the_form_is_the_sites_own_time(signed_in, sessions):
    with sessions.begin() as s:
        f.ops_site(s)  # America/El_Salvador, UTC-6
    c = signed_in("records")
    token = csrf_of(c.get("/sites/OPS/intake").text)
    r = c.post("/sites/OPS/intake", data={**good_form(), "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    with sessions() as s:
        arrested = s.execute(select(CustodyEpisode.arrested_at)).scalar_one()
    assert arrested.hour == 14 and arrested.minute == 30  # 08:30 in San Salvador


# --- manifests --------------------------------------------------------------------------------

def upload(c, data: bytes, name: str = "arrivals.csv", **kw):
    token = csrf_of(c.get("/sites/T1/intake/manifest").text)
    return c.post("/sites/T1/intake/manifest", data={"csrf_token": token}, files={"manifest": (name, data, "text/csv")},
                  follow_redirects=False, **kw)


def test_a_bad_manifest_lists_every_bad_row_and_books_nobody(signed_in, sessions, upload_dir):
    c = signed_in("records")
    data = to_csv([row(external_ref="A-1", national_id="1"), row(external_ref="A-2", national_id="2", date_of_birth="2090-01-01"),
                   row(external_ref="A-3", national_id="3", sex="W"), row(external_ref="A-1", national_id="4")])
    r = upload(c, data)
    assert r.status_code == 422
    html = r.text
    assert "Nothing was booked" in html and "3 rows have problems" in html
    cells = re.findall(r'<tr><td>arrivals.csv</td><td class="num">(\d+)</td><td><code>(\w+)</code></td><td>(.*?)</td></tr>', html)
    assert ("3", "date_of_birth", "date of birth 2090-01-01 is in the future") in cells
    assert any(r_ == "4" and f_ == "sex" for r_, f_, _ in cells)
    assert any(r_ == "5" and f_ == "external_ref" and "already used on row 2" in m for r_, f_, m in cells)
    assert people(sessions) == 0 and not list(upload_dir.iterdir())
    # htmx: the same answer, as a 200 the page swaps in
    r = upload(c, data, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'id="manifest-result"' in r.text and "date_of_birth" in r.text


def test_a_clean_manifest_is_summarised_then_booked_in_one_go(signed_in, browser_like, sessions, upload_dir):
    c = signed_in("records")
    data = to_csv([row(external_ref=f"B-{i}", national_id=f"N{i}", surname=f"Umaña{i}", affiliation="MS-13" if i % 2 else "",
                       affiliation_source="police" if i % 2 else "", flags="vulnerable" if i == 1 else "") for i in range(1, 6)])
    r = upload(c, data)
    assert r.status_code == 303
    page = r.headers["location"]
    assert page.startswith("/sites/T1/intake/manifest/")
    assert people(sessions) == 0
    r = c.get(page)
    assert r.status_code == 200
    html = r.text
    assert "every row is correct: 5 people can be booked" in html and "Book 5 people" in html
    assert "Judicial remand order" in html and "MS-13" in html and "Umaña3" in html
    r = upload(c, data, headers={"HX-Request": "true"})  # htmx is sent to the same step-2 page
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/sites/T1/intake/manifest/")
    # another officer cannot use this upload
    with sessions.begin() as s:
        create_user(s, f.ACTOR, username="records2", role="records", password=PASSWORD)
    other = browser_like()
    assert sign_in(other, "records2").status_code == 303
    assert other.get(page).status_code == 404
    r = c.post(page + "/book", data={"csrf_token": csrf_of(html)})
    assert r.status_code == 200, r.text
    assert "5 people booked" in r.text
    numbers = re.findall(r'<a href="/prisoners/(H\d{7}[A-Z])">', r.text)
    assert len(numbers) == 5
    with sessions() as s:
        assert set(s.execute(select(Prisoner.prisoner_number)).scalars()) == set(numbers)
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "intake.manifest")).scalar_one()
        assert ev.after["booked"] == 5 and ev.after["file"] == "arrivals.csv"
    # booked once: the file is forgotten and cannot be booked again
    r = c.post(page + "/book", data={"csrf_token": csrf_of(html)})
    assert r.status_code == 404 and people(sessions) == 5
    token = page.rsplit("/", 1)[1]
    assert not [p for p in upload_dir.iterdir() if p.name.startswith(token)]


def test_booking_refused_when_the_records_changed_since_the_check(signed_in, sessions, upload_dir):
    c = signed_in("records")
    r = upload(c, to_csv([row(external_ref="C-1", national_id="X-1"), row(external_ref="C-2", national_id="X-2")]))
    page = r.headers["location"]
    with sessions.begin() as s:  # meanwhile someone books a person with the same national id
        book_one(s, f.ACTOR, "T1", f.booking(national_id="X-1", nationality="SLV"))
    html = c.get(page).text
    r = c.post(page + "/book", data={"csrf_token": csrf_of(html)})
    assert r.status_code == 422
    assert "Nothing was booked" in r.text and "belongs to prisoner" in r.text and "in custody now" in r.text
    assert people(sessions) == 1
    assert c.get(page).status_code == 200  # the file is kept for another try


def test_the_stored_file_is_what_gets_booked(signed_in, sessions, upload_dir):
    c = signed_in("records")
    r = upload(c, to_csv([row(external_ref="D-1", national_id="D-1")]))
    page = r.headers["location"]
    token = page.rsplit("/", 1)[1]
    (upload_dir / f"{token}.csv").write_bytes(to_csv([row(external_ref="EVIL", national_id="E")]))  # changed behind our back
    r = c.post(page + "/book", data={"csrf_token": csrf_of(c.get(page).text)})
    assert r.status_code == 409 and people(sessions) == 0
    assert c.get("/sites/T1/intake/manifest/..%2F..%2Fetc").status_code == 404


def test_manifest_upload_refusals_are_plain(signed_in, sessions):
    c = signed_in("records")
    r = upload(c, b'[{"surname": "x"}]', name="people.json")
    assert r.status_code == 422 and "This is not a CSV file" in r.text
    token = csrf_of(c.get("/sites/T1/intake/manifest").text)
    r = c.post("/sites/T1/intake/manifest", data={"csrf_token": token})
    assert r.status_code == 422 and "Choose a manifest file" in r.text
    r = upload(c, b"surname,dob\nx,1990-01-01\n")
    assert r.status_code == 422 and "unknown column" in r.text and "required column" in r.text
    # T1's reception holds at most 12
    r = upload(c, to_csv([row(external_ref=f"F-{i}", national_id=f"F{i}") for i in range(13)]))
    assert r.status_code == 409 and "no room to admit 13 more" in r.text
    assert people(sessions) == 0


_REAL_DIRECTORY = uploads.directory  # (the tests above use a folder of their own)


def test_the_upload_folder_must_be_private_to_the_server(tmp_path, monkeypatch):
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    d = _REAL_DIRECTORY()
    assert d.is_dir() and (os.stat(d).st_mode & 0o777) == 0o700
    os.chmod(d, 0o777)  # opened to others (or made by someone else): refused, not trusted
    with pytest.raises(PermissionError):
        _REAL_DIRECTORY()
