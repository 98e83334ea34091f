"""The prisoner search and the prisoner record pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from habeas.court import service as court
from habeas.housing import non_associations as na
from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.legal import sentences
from habeas.models import AuditEvent
from habeas.movements.service import MoveRequest, move_many
from habeas.prisoners import service as prisoners
from habeas.sites import repository as sites_repo

from tests import factories as f
from tests.web.conftest import csrf_of

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}


def results(html: str) -> str:
    return html[html.index('<div id="results">'):]


def book(sessions, *bookings):
    with sessions.begin() as s:
        return [b.prisoner_number for b in book_many(s, f.ACTOR, "T1", [(None, b) for b in bookings])]


@pytest.fixture
def frozen():
    clock.freeze(T0)
    yield T0
    clock.freeze(None)


@pytest.fixture
def convicted(sessions, staff, frozen):
    """A convicted person with a full record: marks, an alias, an affiliation, two sentences and an
    adjustment (three calculations), movements, a non-association and a court case with a hearing."""
    [n] = book(sessions, f.booking(
        surname="Hernández Ruiz", given_names="Marvin Alexis", aliases=["El Flaco"], legal_status="convicted",
        marks=[{"kind": "tattoo", "body_location": "left forearm", "description": "a clock without hands"}],
        affiliation={"group": "Barrio 18", "source": "self-declared"},
        legal_bases=[{"type": "sentence", "reference": "SENT-77", "issuing_authority": "Tribunal Primero de Sentencia", "issue_date": "2025-03-02"}],
        admission={"commitment_reason": "sentence", "admitted_at": "2025-03-02T10:00:00Z", "visible_injuries": "none"}))
    [other] = book(sessions, f.booking(surname="Quintanilla", given_names="Oscar"))
    with sessions.begin() as s:
        sentences.add_sentence(s, f.ACTOR, n, key="S1", sentence_date=date(2025, 3, 2), years=2, offence="robbery")
        sentences.add_sentence(s, f.ACTOR, n, key="S2", sentence_date=date(2025, 3, 2), years=1, consecutive_to="S1")
        sentences.add_adjustment(s, f.ACTOR, n, kind="added_days", days=10, reason="adjudication 12/2026")
        site = sites_repo.site_by_code(s, "T1")
        p = prisoners.get(s, n)
        move_many(s, f.ACTOR, site.id, [MoveRequest(p.id, f.loc_id(s, site, "A-C1"), "initial housing", moved_at=T0 - timedelta(hours=3))])
        move_many(s, f.ACTOR, site.id, [MoveRequest(p.id, None, "trial", kind="court", destination="Juzgado Cuarto", escort="PNC team 2",
                                                    moved_at=T0 - timedelta(hours=2))])
        move_many(s, f.ACTOR, site.id, [MoveRequest(p.id, f.loc_id(s, site, "A-C1"), "back from court", kind="return",
                                                    moved_at=T0 - timedelta(hours=1))])
        move_many(s, f.ACTOR, site.id, [MoveRequest(p.id, f.loc_id(s, site, "REC"), "entered late: searched at reception", correction=True,
                                                    moved_at=T0 - timedelta(minutes=150))])
        na.add(s, f.ACTOR, na.PairIn(prisoner_a=n, prisoner_b=other, reason="threat", role_a="perpetrator", role_b="victim", level="pavilion"))
        case = court.open_case(s, f.ACTOR, n, reference="CASE-2026-9", court="Juzgado Cuarto", charges=[("extortion", date(2024, 12, 1))])
        court.schedule(s, f.ACTOR, case.id, starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=1, hours=1), mode="video_link", room="VL1")
    return n, other


# --- search ---------------------------------------------------------------------------------------

def test_search_by_name_shows_the_results_table(signed_in, sessions):
    n, = book(sessions, f.booking(surname="Zelaya Portillo", given_names="Kevin", date_of_birth=date(1991, 7, 14)))
    book(sessions, f.booking(surname="Arévalo", given_names="Kevin"))
    c = signed_in("viewer")
    r = c.get("/prisoners", params={"q": "zelaya kev"})
    assert r.status_code == 200
    assert n in r.text and "Zelaya Portillo, Kevin" in r.text and "1991-07-14" in r.text and "Arévalo" not in r.text
    row = r.text[r.text.index(n):]
    assert "T1" in row and "REC" in row and "remand" in row
    assert 'hx-trigger="input changed delay:300ms, search"' in r.text and 'action="/prisoners"' in r.text


def test_live_search_answers_with_the_results_fragment(signed_in, sessions):
    n, = book(sessions, f.booking(surname="Zelaya", given_names="Kevin"))
    c = signed_in("viewer")
    r = c.get("/prisoners", params={"q": "zelaya"}, headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and r.text.lstrip().startswith('<div id="results">') and n in r.text
    # htmx restoring the page from history gets the whole page
    r = c.get("/prisoners", params={"q": "zelaya"}, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in r.text


def test_an_exact_prisoner_number_goes_to_the_record(signed_in, sessions):
    n, = book(sessions, f.booking(surname="Zelaya", given_names="Kevin"))
    c = signed_in("viewer")
    r = c.get("/prisoners", params={"q": f" {n.lower()} "}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/prisoners/{n}"
    spaced = f"{n[0]} {n[1:5]} {n[5:8]}-{n[8]}"
    assert c.get("/prisoners", params={"q": spaced}, follow_redirects=False).headers["location"] == f"/prisoners/{n}"
    # typing live, the number shows as one result instead of leaving the page
    r = c.get("/prisoners", params={"q": n}, headers=HX)
    assert r.status_code == 200 and f'href="/prisoners/{n}"' in r.text
    unknown = "H9999999" + "TRWAGMYFPDXBNJZSQVHLCKE"[9999999 % 23]
    r = c.get("/prisoners", params={"q": unknown})
    assert r.status_code == 200 and f"No prisoner has the number {unknown}" in r.text


def test_search_by_date_of_birth_with_and_without_words(signed_in, sessions):
    a, b = book(sessions, f.booking(surname="Zelaya", given_names="Kevin", date_of_birth=date(1988, 2, 29)),
                f.booking(surname="Orellana", given_names="Kevin", date_of_birth=date(1988, 2, 29)))
    c = signed_in("viewer")
    r = c.get("/prisoners", params={"q": "29/02/1988"})
    assert a in results(r.text) and b in results(r.text)
    r = c.get("/prisoners", params={"q": "orellana 1988-02-29"})
    assert b in results(r.text) and a not in results(r.text)


def test_bad_search_input_is_named_and_never_a_server_error(signed_in, sessions):
    c = signed_in("viewer")
    r = c.get("/prisoners", params={"q": "H0000001X"})
    assert r.status_code == 422 and "H0000001X is not a valid prisoner number" in r.text and 'aria-invalid="true"' in r.text
    r = c.get("/prisoners", params={"q": "garcia 1990-02-31"})
    assert r.status_code == 422 and "1990-02-31 is not a date" in r.text
    r = c.get("/prisoners", params={"q": "!!! ..."})
    assert r.status_code == 422 and "Type a name, a prisoner number or a date of birth" in r.text
    r = c.get("/prisoners", params={"q": "!!!"}, headers=HX)  # htmx swaps 200 answers only
    assert r.status_code == 200 and "Type a name" in r.text
    assert c.get("/prisoners", params={"q": "x" * 300}).status_code == 422
    assert c.get("/prisoners", params={"q": "perez", "page": "zero"}).status_code == 422
    r = c.get("/prisoners")
    assert r.status_code == 200 and 'id="q"' in r.text and "<table" not in r.text


def test_search_results_come_in_pages(signed_in, sessions):
    # reception holds 12: house each group before booking the next
    for start, count in ((0, 10), (10, 10), (20, 3)):
        numbers = book(sessions, *[f.booking(surname="Umaña", given_names=f"Persona {i:02d}") for i in range(start, start + count)])
        if count == 10:
            with sessions.begin() as s:
                site = sites_repo.site_by_code(s, "T1")
                move_many(s, f.ACTOR, site.id, [MoveRequest(prisoners.get(s, x).id, f.loc_id(s, site, f"A-C{1 + (start + i) // 5}"), "housing")
                                               for i, x in enumerate(numbers)])
    c = signed_in("viewer")
    first = c.get("/prisoners", params={"q": "umaña"}).text
    assert "23 people match." in first and first.count("<tr>") == 21 and "page=2" in first and "Page 1 of 2" in first
    second = c.get("/prisoners", params={"q": "umaña", "page": 2}).text
    assert second.count("<tr>") == 4 and "Persona 22" in second and 'rel="prev"' in second


def test_search_needs_a_signed_in_user(browser_like, staff):
    r = browser_like().get("/prisoners", params={"q": "x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/prisoners")


# --- the record -----------------------------------------------------------------------------------

def section(html: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}".*?</section>', html, re.S)
    assert m, f"no section #{anchor}"
    return m.group(0)


def test_the_record_shows_each_section_with_its_data(signed_in, convicted):
    n, other = convicted
    c = signed_in("records")
    r = c.get(f"/prisoners/{n}")
    assert r.status_code == 200
    html = r.text
    ident = section(html, "identity")
    assert "Hernández Ruiz" in ident and "Marvin Alexis" in ident and "El Flaco" in ident and "a clock without hands" in ident
    assert "left forearm" in ident and "Barrio 18" in ident and "self-declared" in ident and "No photograph on file" in ident
    legal = section(html, "legal")
    assert "SENT-77" in legal and "Tribunal Primero de Sentencia" in legal and "active" in legal
    release = section(html, "sentences")
    with_adjustment = re.search(r'<span class="n">(\d{4}-\d{2}-\d{2})</span>', release).group(1)
    assert "Why this date" in release and "Release date: " + with_adjustment in release and "Added days" in release
    assert "adjudication 12/2026" in release and "robbery" in release and "Earlier calculations" in release
    assert release.count("line by line") == 2  # the two calculations before the latest
    location = section(html, "location")
    assert "Now at" in location and "A-C1" in location and "PNC team 2" in location and "Juzgado Cuarto" in location
    assert "correction" in location and "entered late: searched at reception" in location
    apart = section(html, "non-associations")
    assert other in apart and "Quintanilla, Oscar" in apart and "threat" in apart and "perpetrator / victim" in apart
    cases = section(html, "court")
    assert "CASE-2026-9" in cases and "extortion" in cases and "video link" in cases and "VL1" in cases and "scheduled" in cases
    # health data is never on the record; the audit trail only for audit readers
    assert 'id="audit"' not in html and "medical" not in html.lower()


def test_an_overdue_review_is_shown_in_red(signed_in, sessions, staff, frozen):
    n, = book(sessions, f.booking(legal_bases=[{"type": "remand_order", "reference": "RO-LATE", "issuing_authority": "Juzgado Primero",
                                                "issue_date": T0.date() - timedelta(days=10), "review_due": T0.date() + timedelta(days=5)}]))
    clock.freeze(T0 + timedelta(days=8))
    html = signed_in("viewer").get(f"/prisoners/{n}").text
    row = re.search(r'<tr class="([^"]*)">\s*<td>remand order</td><td>RO-LATE</td>', section(html, "legal"))
    assert row and row.group(1) == "overdue"
    assert "overdue" in section(html, "legal")


def test_reading_the_record_is_audited_and_listed_under_who_viewed(signed_in, sessions, convicted):
    n, _ = convicted
    c = signed_in("inspector")
    assert c.get(f"/prisoners/{n}").status_code == 200
    with sessions() as s:
        reads = s.execute(select(AuditEvent).where(AuditEvent.action == "prisoner.read", AuditEvent.entity_id == n)).scalars().all()
    assert [e.actor for e in reads] == ["inspector1"]
    who = section(c.get(f"/prisoners/{n}").text, "audit")
    assert "inspector1" in who and "viewed the record" in who and "intake.book" in who and "sentence.add" in who
    # a role without audit:read sees no trail on the record and may not ask for it
    viewer = signed_in("viewer")
    assert 'id="audit"' not in viewer.get(f"/prisoners/{n}").text
    assert viewer.get(f"/prisoners/{n}/audit").status_code == 403
    r = c.get(f"/prisoners/{n}/audit", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and "viewer1" in r.text


def test_the_location_history_comes_in_pages(signed_in, sessions, staff, frozen):
    n, = book(sessions, f.booking(admission={"commitment_reason": "remand", "admitted_at": "2026-01-01T08:00:00Z"}))
    with sessions.begin() as s:
        site = sites_repo.site_by_code(s, "T1")
        p = prisoners.get(s, n)
        cell, rec = f.loc_id(s, site, "A-C2"), f.loc_id(s, site, "REC")
        for i in range(30):
            move_many(s, f.ACTOR, site.id, [MoveRequest(p.id, cell if i % 2 == 0 else rec, f"move {i:02d}", moved_at=datetime(2026, 1, 2, tzinfo=UTC) + timedelta(hours=i))])
    c = signed_in("viewer")
    first = section(c.get(f"/prisoners/{n}").text, "location")
    assert "move 29" in first and "move 10" in first and "move 09" not in first and "Page 1 of 2" in first
    r = c.get(f"/prisoners/{n}/timeline", params={"page": 2}, headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and "move 09" in r.text and "admission" in r.text and "move 10" not in r.text
    # the newest stay on page 2 ends when the oldest stay of page 1 begins
    assert "2026-01-02 10:00" in r.text
    page = c.get(f"/prisoners/{n}/timeline", params={"page": 2})
    assert "<html" in page.text and "Location history" in page.text


def test_an_earlier_calculation_shows_line_by_line(signed_in, sessions, convicted):
    n, other = convicted
    c = signed_in("legal")
    html = c.get(f"/prisoners/{n}").text
    ids = re.findall(rf'/prisoners/{n}/calculations/(\d+)', html)
    assert len(ids) == 2
    r = c.get(f"/prisoners/{n}/calculations/{ids[-1]}")  # the first one: S1 alone
    assert r.status_code == 200 and "Sentence S1" in r.text and "Sentence S2" not in r.text
    r = c.get(f"/prisoners/{n}/calculations/{ids[0]}", headers=HX)
    assert "<html" not in r.text and "Sentence S2" in r.text and "Added days" not in r.text
    assert c.get(f"/prisoners/{other}/calculations/{ids[-1]}").status_code == 404


def test_an_unknown_or_malformed_number_is_not_found(signed_in, staff):
    c = signed_in("viewer")
    for number in ("H0000999Z", "nonsense", "H9999999" + "TRWAGMYFPDXBNJZSQVHLCKE"[9999999 % 23]):
        r = c.get(f"/prisoners/{number}")
        assert r.status_code == 404 and "<h1>" in r.text


def test_the_record_in_spanish(signed_in, convicted):
    n, _ = convicted
    html = signed_in("viewer").get(f"/prisoners/{n}", headers={"Accept-Language": "es"}).text
    assert "Bases legales" in html and "Por qué esta fecha" in html and "Historial de ubicaciones" in html


# --- corrections and legal changes from the record ------------------------------------------------

def test_forms_show_only_for_roles_that_may_write(signed_in, convicted):
    n, _ = convicted
    viewer = signed_in("viewer").get(f"/prisoners/{n}").text
    assert "Add a distinguishing mark" not in viewer and "Renew a legal basis" not in viewer
    records = signed_in("records").get(f"/prisoners/{n}").text
    assert "Add a distinguishing mark" in records and "Correct the identity" in records and "Renew a legal basis" in records
    legal = signed_in("legal").get(f"/prisoners/{n}").text
    assert "Add a distinguishing mark" not in legal and "Revoke a legal basis" in legal


@pytest.mark.parametrize("role,url,data", [
    ("viewer", "/prisoners/{n}/marks", {"kind": "scar", "body_location": "chin", "description": "small"}),
    ("legal", "/prisoners/{n}/amend", {"surname": "Otro", "reason": "typo at intake"}),
    ("records", "/prisoners/{n}/audit", None),
    ("housing", "/prisoners/{n}/legal-bases/revoke", {"basis_id": "1", "reason": "court order"}),
    ("viewer", "/prisoners/{n}/legal-bases/renew", {"basis_id": "1", "issue_date": "2026-03-01", "reason": "renewed"}),
])
def test_writes_need_the_apis_permission(signed_in, sessions, convicted, role, url, data):
    n, _ = convicted
    c = signed_in(role)
    page = c.get(f"/prisoners/{n}").text
    target = url.format(n=n)
    r = c.get(target) if data is None else c.post(target, data={**data, "csrf_token": csrf_of(page)})
    assert r.status_code == 403
    with sessions() as s:
        assert not s.execute(select(AuditEvent).where(AuditEvent.entity_id == n, AuditEvent.action.in_(
            ("prisoner.mark.add", "prisoner.amend", "legal_basis.revoke", "legal_basis.renew")))).first()


def test_a_post_without_the_csrf_token_is_refused(signed_in, sessions, convicted):
    n, _ = convicted
    r = signed_in("records").post(f"/prisoners/{n}/marks", data={"kind": "scar", "body_location": "chin", "description": "small"})
    assert r.status_code == 403
    with sessions() as s:
        assert prisoners.full_record(s, f.ACTOR, n)["marks"].__len__() == 1


def test_records_adds_a_mark_and_corrects_the_identity(signed_in, sessions, convicted):
    n, _ = convicted
    c = signed_in("records")
    token = csrf_of(c.get(f"/prisoners/{n}").text)
    r = c.post(f"/prisoners/{n}/marks", data={"kind": "scar", "body_location": "chin", "description": "a 2 cm scar", "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/prisoners/{n}#identity"
    page = c.get(r.headers["location"]).text
    assert "The mark is recorded." in page and "a 2 cm scar" in section(page, "identity")
    r = c.post(f"/prisoners/{n}/amend", data={"surname": "Hernández Ruíz", "given_names": "Marvin Alexis", "date_of_birth": "1990-01-05",
                                              "sex": "M", "reason": "spelling on the national identity card", "csrf_token": token},
               follow_redirects=True)
    ident = section(r.text, "identity")
    assert "Hernández Ruíz" in ident and "1990-01-05" in ident and "spelling on the national identity card" in ident
    with sessions() as s:
        e = s.execute(select(AuditEvent).where(AuditEvent.action == "prisoner.amend", AuditEvent.entity_id == n)).scalar_one()
        assert e.actor == "records1" and e.before["surname"] == "Hernández Ruiz"


def test_bad_input_reshows_the_form_with_the_field_named_and_writes_nothing(signed_in, sessions, convicted):
    n, _ = convicted
    c = signed_in("records")
    token = csrf_of(c.get(f"/prisoners/{n}").text)
    r = c.post(f"/prisoners/{n}/marks", data={"kind": "freckle", "body_location": "", "description": "x", "csrf_token": token})
    assert r.status_code == 422 and "The mark was not recorded" in r.text
    assert 'id="mark-kind-error"' in r.text and 'id="mark-body_location-error"' in r.text and 'value="x"' not in r.text and ">x</textarea>" in r.text
    r = c.post(f"/prisoners/{n}/amend", data={"surname": "Otro", "nationality": "El Salvador", "reason": "x", "csrf_token": token})
    assert r.status_code == 422 and 'id="amend-nationality-error"' in r.text and 'id="amend-reason-error"' in r.text
    r = c.post(f"/prisoners/{n}/amend", data={"surname": "Hernández Ruiz", "reason": "no change really", "csrf_token": token})
    assert r.status_code == 422 and "nothing to change" in r.text
    with sessions() as s:
        rec = prisoners.full_record(s, f.ACTOR, n)
        assert len(rec["marks"]) == 1 and rec["surname"] == "Hernández Ruiz" and not rec["amendments"]


def test_legal_renews_and_revokes_a_basis(signed_in, sessions, staff, frozen):
    n, = book(sessions, f.booking(legal_bases=[{"type": "remand_order", "reference": "RO-1", "issuing_authority": "Juzgado Primero",
                                                "issue_date": T0.date() - timedelta(days=20), "review_due": T0.date() + timedelta(days=10)},
                                               {"type": "warrant", "reference": "W-9", "issuing_authority": "Juzgado Segundo",
                                                "issue_date": T0.date() - timedelta(days=1)}]))
    c = signed_in("legal")
    page = c.get(f"/prisoners/{n}").text
    token = csrf_of(page)
    ids = dict((ref, int(i)) for i, ref in re.findall(r'<option value="(\d+)" >[^<]* (RO-1|W-9) \(', page))
    # a date beyond what the rules allow is named and nothing is written
    r = c.post(f"/prisoners/{n}/legal-bases/renew", data={"basis_id": ids["RO-1"], "issue_date": T0.date().isoformat(),
                                                          "review_due": "2099-01-01", "reason": "hearing of 2 March", "csrf_token": token})
    assert r.status_code == 422 and 'id="renew-review_due-error"' in r.text and "later than the rules allow" in r.text
    r = c.post(f"/prisoners/{n}/legal-bases/renew", data={"basis_id": ids["RO-1"], "issue_date": "", "reason": "", "csrf_token": token})
    assert r.status_code == 422 and 'id="renew-issue_date-error"' in r.text and 'id="renew-reason-error"' in r.text
    r = c.post(f"/prisoners/{n}/legal-bases/renew", data={"basis_id": ids["RO-1"], "issue_date": T0.date().isoformat(), "reference": "RO-2",
                                                          "reason": "hearing of 2 March", "csrf_token": token}, follow_redirects=True)
    legal = section(r.text, "legal")
    assert "The basis is renewed." in r.text and "RO-2" in legal and "superseded" in legal and "hearing of 2 March" in legal
    r = c.post(f"/prisoners/{n}/legal-bases/revoke", data={"basis_id": ids["W-9"], "reason": "", "csrf_token": token})
    assert r.status_code == 422 and 'id="revoke-reason-error"' in r.text
    r = c.post(f"/prisoners/{n}/legal-bases/revoke", data={"basis_id": ids["W-9"], "reason": "warrant withdrawn", "csrf_token": token},
               follow_redirects=True)
    assert "The basis is revoked." in r.text and "revoked" in section(r.text, "legal")
    r = c.post(f"/prisoners/{n}/legal-bases/revoke", data={"basis_id": ids["W-9"], "reason": "again", "csrf_token": token})
    assert r.status_code == 409 and "revoked" in r.text
    with sessions() as s:
        actions = s.execute(select(AuditEvent.action).where(AuditEvent.entity_id == n, AuditEvent.action.like("legal_basis.%"))).scalars().all()
    assert sorted(actions) == ["legal_basis.renew", "legal_basis.revoke"]
