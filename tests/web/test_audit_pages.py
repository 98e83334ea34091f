"""The audit log page: who may see it, its filters, each event's before and after, and the
verification of the hash chain (also after a row is altered behind the application's back)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.models import AuditEvent

from tests import factories as f

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}


def events_section(html: str) -> str:
    m = re.search(r'<section id="events".*?</section>', html, re.S)
    assert m, "no events section"
    return m.group(0)


@pytest.fixture
def two_people(sessions, staff):
    """One person booked on 2026-03-02 and one on 2026-03-05 (site T1 keeps UTC)."""
    clock.freeze(T0)
    with sessions.begin() as s:
        [a] = book_many(s, f.ACTOR, "T1", [(None, f.booking(surname="Alvarenga"))])
    clock.freeze(T0 + timedelta(days=3))
    with sessions.begin() as s:
        [b] = book_many(s, f.ACTOR, "T1", [(None, f.booking(surname="Benítez"))])
    yield a.prisoner_number, b.prisoner_number
    clock.freeze(None)


@pytest.mark.parametrize("role", ["viewer", "records", "legal", "health", "housing"])
def test_only_inspectors_and_admins_see_the_audit_log(signed_in, role):
    c = signed_in(role)
    for url in ("/audit", "/audit/verify", "/audit/events/1", "/audit?verify=1"):
        for headers in ({}, HX):
            assert c.get(url, headers=headers, follow_redirects=False).status_code == 403, url
    assert 'href="/audit"' not in c.get("/prisoners").text


@pytest.mark.parametrize("role", ["inspector", "admin"])
def test_inspector_and_admin_read_the_log_newest_first(signed_in, two_people, role):
    a, b = two_people
    html = signed_in(role).get("/audit").text
    table = events_section(html)
    seqs = [int(x) for x in re.findall(r'<td class="num">(\d+)</td>', table)]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) > 5
    assert table.index(b) < table.index(a)  # booked later, listed first
    assert "auth.login" in table and "intake.book" in table


def test_filter_by_person_user_action_and_days(signed_in, sessions, two_people):
    a, b = two_people
    c = signed_in("inspector")
    c.get(f"/prisoners/{a}")  # a read by inspector1
    table = events_section(c.get("/audit", params={"person": a.lower()}).text)
    assert a in table and b not in table and "prisoner.read" in table and "intake.book" in table
    table = events_section(c.get("/audit", params={"user": "inspector1", "action": "prisoner.read"}).text)
    assert "<small>1 event</small>" in table and a in table and "intake.book" not in table
    table = events_section(c.get("/audit", params={"user": "tester", "from": "2026-03-05", "to": "2026-03-05"}).text)
    assert b in table and a not in table
    table = events_section(c.get("/audit", params={"user": "tester", "to": "2026-03-04"}).text)
    assert a in table and b not in table
    table = events_section(c.get("/audit", params={"user": "nobody"}).text)
    assert "No event matches these filters" in table


def test_bad_filters_are_named_and_search_nothing(signed_in, two_people):
    c = signed_in("inspector")
    r = c.get("/audit", params={"from": "2026-02-30", "person": "not-a-number"})
    assert r.status_code == 422
    assert "2026-02-30 is not a date" in r.text and 'id="f-from-error"' in r.text and 'aria-invalid="true"' in r.text
    assert "not-a-number is not a prisoner number" in r.text and "<table class=\"audit-log\"" not in r.text
    r = c.get("/audit", params={"from": "2026-03-05", "to": "2026-03-01"})
    assert r.status_code == 422 and "before its start" in r.text
    assert c.get("/audit", params={"page": "-1"}).status_code == 422


def test_each_event_opens_with_its_before_and_after(signed_in, sessions, two_people):
    a, _ = two_people
    with sessions() as s:
        seq = s.execute(select(AuditEvent.seq).where(AuditEvent.action == "intake.book", AuditEvent.entity_id == a)).scalar_one()
    c = signed_in("inspector")
    r = c.get(f"/audit/events/{seq}", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and "Alvarenga" in r.text and "Before" in r.text and "After" in r.text
    page = c.get("/audit", params={"seq": seq}).text
    assert f"Event {seq}" in page and "Alvarenga" in page and "<details open>" in page
    # in the list, each row loads its details when opened (and links to them without script)
    listing = c.get("/audit").text
    assert f'hx-get="/audit/events/{seq}"' in listing and f'href="/audit?seq={seq}"' in listing
    r = c.get(f"/audit/events/{seq}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/audit?seq={seq}"
    assert c.get("/audit/events/999999", headers=HX).status_code == 404


def test_verification_on_request_reports_an_intact_chain(signed_in, two_people):
    c = signed_in("admin")
    page = c.get("/audit").text
    assert "Verify the chain now" in page and "The chain is intact" not in page  # not run on every view
    r = c.get("/audit/verify", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text
    assert "The chain is intact" in r.text and re.search(r"\d+ events checked", r.text) and "Chain head" in r.text
    full = c.get("/audit/verify", follow_redirects=True)
    assert "The chain is intact" in full.text and "<html" in full.text


def test_verification_names_an_event_altered_in_the_database(signed_in, engine, sessions, two_people):
    a, _ = two_people
    with sessions() as s:
        seq = s.execute(select(AuditEvent.seq).where(AuditEvent.action == "intake.book", AuditEvent.entity_id == a)).scalar_one()
    with engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(actor="someone-else"))
    c = signed_in("inspector")
    r = c.get("/audit/verify", headers=HX)
    assert f"The chain is broken at event {seq}" in r.text and "was altered" in r.text
    assert f'href="/audit?seq={seq}"' in r.text and "someone-else" in r.text
    assert f"{seq - 1} events before it were checked" in r.text
