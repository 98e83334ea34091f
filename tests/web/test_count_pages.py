"""The count pages: open a count, the screen an officer fills in (one number per place, a
difference shown at once with the people expected there), recount, reconcile, clear, cancel;
bad numbers refused at the field with nothing written; the guard and CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from habeas.kit import clock
from habeas.models import CountLine, CountSession, CountSubmission, Location, Prisoner
from habeas.movements.service import MoveRequest, move_many
from habeas.sites import repository

from tests import factories as f
from tests.web.conftest import csrf_of

HX = {"HX-Request": "true"}


@pytest.fixture
def ops(sessions, staff) -> dict[str, list[str]]:
    """OPS with 8 people housed round-robin in P1's six cells: P1-L1-C1 and C2 hold 2, the rest 1.
    Returns the prisoner numbers per cell."""
    now = clock.now()
    clock.freeze(now - timedelta(hours=2))  # housed two hours ago: a late correction may be dated before the count
    with sessions.begin() as s:
        f.ops_site(s, people=8)
    clock.freeze(now)
    with sessions.begin() as s:
        rows = s.execute(select(Location.code, Prisoner.prisoner_number).join(Location, Location.id == Prisoner.current_location_id)
                         .order_by(Prisoner.id)).all()
    out: dict[str, list[str]] = {}
    for code, number in rows:
        out.setdefault(code, []).append(number)
    return out


def open_count(c, scope: str = "P1-L1", kind: str = "scheduled") -> int:
    page = c.get("/sites/OPS/counts")
    r = c.post("/sites/OPS/counts", data={"kind": kind, "scope": scope, "note": "", "csrf_token": csrf_of(page.text)},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/sites/OPS/counts/(\d+)", r.headers["location"])
    assert m
    return int(m.group(1))


def post(c, count_id: int, action: str, data: dict, **kw):
    page = c.get(f"/sites/OPS/counts/{count_id}")
    return c.post(f"/sites/OPS/counts/{count_id}/{action}", data={**data, "csrf_token": csrf_of(page.text)}, follow_redirects=False, **kw)


def lines(sessions, count_id: int) -> dict[str, tuple]:
    with sessions.begin() as s:
        return {code: (st, obs, subs) for code, st, obs, subs in s.execute(
            select(Location.code, CountLine.status, CountLine.observed, CountLine.submissions)
            .join(Location, Location.id == CountLine.location_id).where(CountLine.count_id == count_id))}


def submissions(sessions) -> int:
    with sessions.begin() as s:
        return s.execute(select(func.count()).select_from(CountSubmission)).scalar_one()


def line_html(html: str, code: str) -> str:
    m = re.search(rf'<tbody id="line-{re.escape(code)}" class="[a-z]+">.*?</tbody>', html, re.S)
    assert m, f"no line {code}"
    return m.group(0)


def test_open_a_count_and_see_one_number_input_per_place(signed_in, ops, sessions):
    c = signed_in("operations")
    page = c.get("/sites/OPS/counts")
    assert page.status_code == 200 and "Open a count" in page.text and 'list="scope-options"' in page.text
    count_id = open_count(c)
    r = c.get(f"/sites/OPS/counts/{count_id}")
    assert r.status_code == 200 and f"Count {count_id} is open" in r.text  # the flash after opening
    html = r.text
    for code in ("P1-L1-C1", "P1-L1-C2", "P1-L1-C3"):
        assert f'<label for="obs-{code}">{code}</label>' in html
        assert re.search(rf'<input class="observed" type="text" id="obs-{code}" name="observed-{code}" inputmode="numeric"', html)
    assert "P1-L2-C1" not in html  # outside the scope
    # the expected numbers are shown only once a place is counted
    assert '<span class="n">0 / 3</span><span>places counted</span>' in html
    assert ">2<" not in line_html(html, "P1-L1-C1")
    listing = c.get("/sites/OPS/counts").text
    assert f'href="/sites/OPS/counts/{count_id}">Count {count_id}</a>' in listing and "P1-L1" in listing and "open" in listing


def test_submit_every_number_at_once_and_see_the_difference_with_the_people_expected(signed_in, ops, sessions):
    c = signed_in("operations")
    count_id = open_count(c)
    r = post(c, count_id, "submit", {"observed-P1-L1-C1": "2", "observed-P1-L1-C2": "1", "observed-P1-L1-C3": "1"})
    assert r.status_code == 303 and r.headers["location"].endswith("#line-P1-L1-C2")
    html = c.get(r.headers["location"]).text
    assert "3 places submitted: 1 difference (P1-L1-C2)" in html
    diff = line_html(html, "P1-L1-C2")
    assert 'class="mismatch"' in diff and "Difference in P1-L1-C2: expected 2, counted 1." in diff
    for number in ops["P1-L1-C2"]:
        assert f'<a href="/prisoners/{number}">{number}</a> Pérez' in diff
    assert 'class="matched"' in line_html(html, "P1-L1-C1")
    assert lines(sessions, count_id) == {"P1-L1-C1": ("matched", 2, 1), "P1-L1-C2": ("mismatch", 1, 1), "P1-L1-C3": ("matched", 1, 1)}


def test_one_place_with_htmx_comes_back_at_once_with_the_totals(signed_in, ops, sessions):
    c = signed_in("operations")
    count_id = open_count(c)
    r = post(c, count_id, "submit", {"only": "P1-L1-C1", "observed-P1-L1-C1": "1"}, headers=HX)
    assert r.status_code == 200 and "<html" not in r.text
    assert r.text.lstrip().startswith('<tbody id="line-P1-L1-C1" class="mismatch">')
    assert "Difference in P1-L1-C1: expected 2, counted 1." in r.text and all(n in r.text for n in ops["P1-L1-C1"])
    assert '<section id="count-totals"' in r.text and 'hx-swap-oob="true"' in r.text
    assert '<span class="n">1 / 3</span>' in r.text
    assert 'id="count-announce"' in r.text and "P1-L1-C1: mismatch. Expected 2, counted 1." in r.text
    # the other places were not touched
    assert lines(sessions, count_id)["P1-L1-C2"] == ("pending", None, 0)
    # without htmx, the same button answers with the count screen
    r = post(c, count_id, "submit", {"only": "P1-L1-C3", "observed-P1-L1-C3": "1", "observed-P1-L1-C2": "9"})
    assert r.status_code == 303
    assert lines(sessions, count_id)["P1-L1-C3"] == ("matched", 1, 1) and lines(sessions, count_id)["P1-L1-C2"][0] == "pending"


def test_a_long_list_of_people_expected_is_cut_short(signed_in, ops, sessions, monkeypatch):
    import habeas.counts.views

    monkeypatch.setattr(habeas.counts.views, "SHOWN_PEOPLE", 1)
    c = signed_in("operations")
    count_id = open_count(c)
    r = post(c, count_id, "submit", {"only": "P1-L1-C1", "observed-P1-L1-C1": "0"}, headers=HX)
    assert r.text.count('<a href="/prisoners/') == 1 and "and 1 more" in r.text


@pytest.mark.parametrize("value, message", [
    ("abc", "“abc” is not a number of people: enter a whole number, 0 or more."),
    ("-1", "“-1” is not a number of people"),
    ("1.5", "“1.5” is not a number of people"),
    ("1e3", "“1e3” is not a number of people"),
    ("99999999", "99999999 is far more than any place holds: count again."),
    ("500", "500 is more than P1-L1-C2 can hold (max 5): count again"),
    ("", "Enter the number of people you see in P1-L1-C2."),
])
def test_a_bad_number_is_refused_at_its_field_and_nothing_is_written(signed_in, ops, sessions, value, message):
    c = signed_in("operations")
    count_id = open_count(c)
    before = submissions(sessions)
    r = post(c, count_id, "submit", {"only": "P1-L1-C2", "observed-P1-L1-C2": value}, headers=HX)
    assert r.status_code == 422
    assert 'id="obs-P1-L1-C2"' in r.text and 'aria-invalid="true" aria-describedby="err-P1-L1-C2"' in r.text
    assert re.search(r'<p class="field-error" id="err-P1-L1-C2">[^<]*' + re.escape(message), r.text)
    assert f'value="{value}"' in r.text  # what was typed stays in the field
    assert submissions(sessions) == before and lines(sessions, count_id)["P1-L1-C2"] == ("pending", None, 0)


def test_one_bad_number_in_a_whole_submission_writes_nothing(signed_in, ops, sessions):
    c = signed_in("operations")
    count_id = open_count(c)
    r = post(c, count_id, "submit", {"observed-P1-L1-C1": "2", "observed-P1-L1-C2": "two", "observed-P1-L1-C3": "-4"})
    assert r.status_code == 422 and "<html" in r.text
    assert "Nothing was written: correct the numbers marked." in r.text
    assert '<a href="#obs-P1-L1-C2">P1-L1-C2</a>' in r.text and '<a href="#obs-P1-L1-C3">P1-L1-C3</a>' in r.text
    assert 'value="2"' in line_html(r.text, "P1-L1-C1") and 'value="two"' in line_html(r.text, "P1-L1-C2")
    assert all(st == ("pending", None, 0) for st in lines(sessions, count_id).values()) and submissions(sessions) == 0
    # a number above what the place can hold is the service's refusal, also at its field
    r = post(c, count_id, "submit", {"observed-P1-L1-C1": "2", "observed-P1-L1-C3": "70"})
    assert r.status_code == 422 and "70 is more than P1-L1-C3 can hold (max 5): count again" in line_html(r.text, "P1-L1-C3")
    assert submissions(sessions) == 0
    # nothing typed: nothing submitted
    r = post(c, count_id, "submit", {"observed-P1-L1-C1": " "})
    assert r.status_code == 303 and submissions(sessions) == 0


def test_a_second_number_needs_a_recount_order_with_its_reason(signed_in, ops, sessions):
    c = signed_in("operations")
    count_id = open_count(c)
    post(c, count_id, "submit", {"only": "P1-L1-C2", "observed-P1-L1-C2": "1"}, headers=HX)
    r = post(c, count_id, "submit", {"only": "P1-L1-C2", "observed-P1-L1-C2": "2"}, headers=HX)
    assert r.status_code == 422 and "already counted (1, mismatch): a second number needs a recount order" in r.text
    assert lines(sessions, count_id)["P1-L1-C2"] == ("mismatch", 1, 1)
    # the mismatch offers a recount; a recount needs a reason
    html = c.get(f"/sites/OPS/counts/{count_id}").text
    assert '<label for="reason-P1-L1-C2">Reason for the recount</label>' in line_html(html, "P1-L1-C2")
    r = post(c, count_id, "recount", {"recount": "P1-L1-C2", "reason-P1-L1-C2": " "}, headers=HX)
    assert r.status_code == 422 and 'id="err-reason-P1-L1-C2"' in r.text and "Give the reason for the recount." in r.text
    assert lines(sessions, count_id)["P1-L1-C2"][0] == "mismatch"
    r = post(c, count_id, "recount", {"recount": "P1-L1-C2", "reason-P1-L1-C2": "officer unsure"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<tbody id="line-P1-L1-C2" class="recount">')
    assert 'name="observed-P1-L1-C2"' in r.text and "before: 1" in r.text
    r = post(c, count_id, "submit", {"only": "P1-L1-C2", "observed-P1-L1-C2": "2"}, headers=HX)
    assert r.status_code == 200 and 'class="matched"' in r.text and "(2 counts)" in r.text
    assert lines(sessions, count_id)["P1-L1-C2"] == ("matched", 2, 2) and submissions(sessions) == 2
    # a place not yet counted cannot be recounted; the plain form works too
    r = post(c, count_id, "recount", {"recount": "P1-L1-C3", "reason-P1-L1-C3": "why not"})
    assert r.status_code == 422 and "P1-L1-C3 is pending: only a submitted number can be recounted" in r.text
    r = post(c, count_id, "recount", {"recount": "P1-L1-C2", "reason-P1-L1-C2": "supervisor check"})
    assert r.status_code == 303 and lines(sessions, count_id)["P1-L1-C2"][0] == "recount"
    assert post(c, count_id, "recount", {"recount": "P9-X", "reason-P9-X": "x"}).status_code == 404


def test_reconcile_explains_a_difference_once_the_missing_movement_is_recorded_then_clear(signed_in, ops, sessions):
    c = signed_in("operations")
    count_id = open_count(c)
    # one man of C1 is in C3: the landing officer moved him and recorded nothing
    post(c, count_id, "submit", {"observed-P1-L1-C1": "1", "observed-P1-L1-C2": "2", "observed-P1-L1-C3": "2"})
    r = post(c, count_id, "clear", {})
    assert r.status_code == 409 and "cannot clear: 2 location(s) not reconciled" in r.text
    assert '<a href="#line-P1-L1-C1">P1-L1-C1</a>: mismatch' in r.text and "Nothing was written." in r.text
    r = post(c, count_id, "reconcile", {})
    assert r.status_code == 303
    assert "still different: P1-L1-C1, P1-L1-C3" in c.get(r.headers["location"]).text
    with sessions.begin() as s:
        site = repository.site_by_code(s, "OPS")
        moved = s.execute(select(Prisoner.id).where(Prisoner.prisoner_number == ops["P1-L1-C1"][0])).scalar_one()
        count_time = s.get(CountSession, count_id).count_time
        move_many(s, f.ACTOR, site.id, [MoveRequest(prisoner_id=moved, to_location_id=f.loc_id(s, site, "P1-L1-C3"),
                                                    reason="unrecorded move found at the count", correction=True,
                                                    moved_at=count_time - timedelta(minutes=1))])
    html = c.get(f"/sites/OPS/counts/{count_id}").text
    assert "Movements recorded during the count (1)" in html and ops["P1-L1-C1"][0] in html and "correction" in html
    r = post(c, count_id, "reconcile", {})
    html = c.get(r.headers["location"]).text
    assert "explained by the corrected ledger: P1-L1-C1, P1-L1-C3" in html
    assert "Explained:" in line_html(html, "P1-L1-C1") and 'class="explained"' in line_html(html, "P1-L1-C3")
    r = post(c, count_id, "clear", {})
    assert r.status_code == 303
    html = c.get(r.headers["location"]).text
    assert f"Count {count_id} is cleared." in html and 'class="count-status cleared"' in html
    assert 'name="observed-' not in html and "Finish the count" not in html
    with sessions.begin() as s:
        assert s.get(CountSession, count_id).status == "cleared"


def test_cancel_needs_a_reason_and_a_cancelled_count_takes_no_numbers(signed_in, ops, sessions):
    c = signed_in("operations")
    count_id = open_count(c)
    r = post(c, count_id, "cancel", {"reason": "  "})
    assert r.status_code == 422 and 'id="cancel-error"' in r.text and "Give the reason for cancelling the count." in r.text
    assert 'id="cancel-reason" name="reason" maxlength="1000" value="" aria-invalid="true"' in r.text
    r = post(c, count_id, "cancel", {"reason": "opened by mistake"})
    assert r.status_code == 303
    with sessions.begin() as s:
        assert s.get(CountSession, count_id).status == "cancelled"
    page = c.get(f"/sites/OPS/counts/{count_id}")
    assert f"Count {count_id} is cancelled." in page.text and "cancelled: opened by mistake" in page.text
    r = c.post(f"/sites/OPS/counts/{count_id}/submit", data={"only": "P1-L1-C1", "observed-P1-L1-C1": "2", "csrf_token": csrf_of(page.text)},
               headers=HX, follow_redirects=False)
    assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/sites/OPS/counts/{count_id}"
    assert "is cancelled: no more submissions" in c.get(f"/sites/OPS/counts/{count_id}").text
    assert submissions(sessions) == 0
    r = post(c, count_id, "cancel", {"reason": "again"})
    assert r.status_code == 409


def test_the_open_form_refuses_a_bad_scope_a_second_open_count_and_a_bad_kind(signed_in, ops, sessions):
    c = signed_in("operations")
    page = c.get("/sites/OPS/counts")
    token = csrf_of(page.text)
    r = c.post("/sites/OPS/counts", data={"kind": "scheduled", "scope": "P9", "csrf_token": token})
    assert r.status_code == 422 and 'id="scope-error"' in r.text and "no location &#39;P9&#39; at site OPS" in r.text
    assert 'value="P9"' in r.text
    r = c.post("/sites/OPS/counts", data={"kind": "sometimes", "scope": "", "csrf_token": token})
    assert r.status_code == 422 and 'id="kind-error"' in r.text
    r = c.post("/sites/OPS/counts", data={"kind": "scheduled", "scope": "", "note": "x" * 1001, "csrf_token": token})
    assert r.status_code == 422 and 'id="note-error"' in r.text
    with sessions.begin() as s:
        assert s.execute(select(func.count()).select_from(CountSession)).scalar_one() == 0
    first = open_count(c, scope="", kind="emergency")
    r = c.post("/sites/OPS/counts", data={"kind": "scheduled", "scope": "P1-L2", "csrf_token": token})
    assert r.status_code == 409 and f"count {first} is still open at OPS" in r.text
    assert f'href="/sites/OPS/counts/{first}">Go to count {first}</a>' in r.text
    with sessions.begin() as s:
        assert s.execute(select(func.count()).select_from(CountSession)).scalar_one() == 1
    whole = c.get(f"/sites/OPS/counts/{first}").text
    assert "emergency" in whole and "whole site" in whole and "P1-L2-C3" in whole and "REC" in whole and "VL1" in whole


def test_filter_by_area_and_state_and_pages_of_places(signed_in, ops, sessions, monkeypatch):
    import habeas.counts.views

    c = signed_in("operations")
    count_id = open_count(c, scope="")
    html = c.get(f"/sites/OPS/counts/{count_id}?within=P1-L2").text
    assert "P1-L2-C1" in html and "P1-L1-C1" not in html and "REC" not in re.sub(r"<select.*?</select>", "", html, flags=re.S)
    assert '<input type="hidden" name="within" value="P1-L2">' in html
    post(c, count_id, "submit", {"observed-P1-L2-C1": "0", "within": "P1-L2"})
    html = c.get(f"/sites/OPS/counts/{count_id}?show=problems").text
    assert "P1-L2-C1" in html and "P1-L2-C2" not in html
    assert "P1-L2-C1" not in c.get(f"/sites/OPS/counts/{count_id}?show=todo&within=P1-L2").text
    monkeypatch.setattr(habeas.counts.views, "PAGE_SIZE", 4)
    first = c.get(f"/sites/OPS/counts/{count_id}").text
    assert first.count('<tbody id="line-') == 4 and "Next places" in first
    assert c.get(f"/sites/OPS/counts/{count_id}?page=99").status_code == 200
    assert c.get(f"/sites/OPS/counts/{count_id}?within=nowhere&show=odd").status_code == 200


def test_a_viewer_reads_counts_but_writes_nothing_and_csrf_is_required(signed_in, ops, sessions):
    ops_client = signed_in("operations")
    count_id = open_count(ops_client)
    viewer = signed_in("viewer")
    listing = viewer.get("/sites/OPS/counts")
    assert listing.status_code == 200 and "Open a count" not in listing.text
    screen = viewer.get(f"/sites/OPS/counts/{count_id}")
    assert screen.status_code == 200 and 'name="observed-' not in screen.text and "Finish the count" not in screen.text
    token = csrf_of(screen.text)
    for action, data in (("submit", {"observed-P1-L1-C1": "2"}), ("recount", {"recount": "P1-L1-C1", "reason-P1-L1-C1": "x"}),
                         ("reconcile", {}), ("clear", {}), ("cancel", {"reason": "x"})):
        assert viewer.post(f"/sites/OPS/counts/{count_id}/{action}", data={**data, "csrf_token": token}).status_code == 403
    assert viewer.post("/sites/OPS/counts", data={"scope": "", "csrf_token": token}).status_code == 403
    # without the CSRF token even the operations officer is refused, and nothing is written
    r = ops_client.post(f"/sites/OPS/counts/{count_id}/submit", data={"observed-P1-L1-C1": "2"})
    assert r.status_code == 403
    r = ops_client.post(f"/sites/OPS/counts/{count_id}/cancel", data={"reason": "x"})
    assert r.status_code == 403
    assert submissions(sessions) == 0 and lines(sessions, count_id)["P1-L1-C1"][0] == "pending"
    with sessions.begin() as s:
        assert s.get(CountSession, count_id).status == "open"


def test_counts_are_found_only_under_their_own_site(signed_in, ops):
    c = signed_in("operations")
    count_id = open_count(c)
    assert c.get(f"/sites/T1/counts/{count_id}").status_code == 404
    assert c.get("/sites/OPS/counts/999999").status_code == 404
    assert c.get("/sites/NOPE/counts").status_code == 404
    page = c.get("/sites/T1/counts")
    assert c.post(f"/sites/T1/counts/{count_id}/clear", data={"csrf_token": csrf_of(page.text)}).status_code == 404


def test_the_count_screen_in_spanish(signed_in, ops):
    c = signed_in("operations")
    count_id = open_count(c)
    html = c.get(f"/sites/OPS/counts/{count_id}", headers={"Accept-Language": "es"}).text
    assert f"Recuento {count_id}" in html and "Enviar todos los números anotados" in html and "sin contar" in html
