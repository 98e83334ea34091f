"""The court day page: the day's hearings and the video-link rooms' timetable, in the site's time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from habeas.court import service as court
from habeas.court.service import SlotIn
from habeas.kit import clock
from habeas.models import Prisoner

from tests import factories as f
from tests.web.conftest import csrf_of

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
H = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 09:00 at OPS (America/El_Salvador, UTC-6)


def at(minutes: int) -> datetime:
    return H + timedelta(minutes=minutes)


@pytest.fixture
def hearings(sessions, staff):
    """At OPS on 2026-03-04: a video-link hearing with pre, main and post slots, an in-person
    hearing, and a block on VL1 in the afternoon."""
    clock.freeze(T0)
    with sessions.begin() as s:
        _, booked = f.ops_site(s, people=3)
        numbers = [s.get(Prisoner, b.prisoner_id).prisoner_number for b in booked]
        cases = [court.open_case(s, f.ACTOR, n, reference=f"CASE-{i}", court="Juzgado Especializado", charges=[]).id for i, n in enumerate(numbers)]
        video = court.schedule(s, f.ACTOR, cases[0], starts_at=at(30), ends_at=at(60), mode="video_link",
                               slots=[SlotIn("pre", at(0), at(25), "VL2"), SlotIn("main", at(30), at(60), "VL1"), SlotIn("post", at(60), at(75), "VL2")])
        person = court.schedule(s, f.ACTOR, cases[1], starts_at=at(120), ends_at=at(240), mode="in_person", court="Tribunal de Sentencia")
        court.block_room(s, f.ACTOR, "OPS", "VL1", starts_at=at(300), ends_at=at(420), reason="camera repair")
        court.schedule(s, f.ACTOR, cases[2], starts_at=at(24 * 60), ends_at=at(24 * 60 + 30), mode="video_link", room="VL1")  # next day
    yield numbers, video.id, person.id
    clock.freeze(None)


def test_the_day_lists_each_hearing_with_its_room_slots(signed_in, hearings):
    numbers, video, in_person = hearings
    r = signed_in("viewer").get("/sites/OPS/court", params={"on": "2026-03-04"})
    assert r.status_code == 200
    table = re.search(r'<table class="hearings">.*?</table>', r.text, re.S).group(0)
    rows = re.findall(r"<tr class=\"[^\"]*\" id=\"hearing-\d+\">.*?</tr>", table, re.S)
    assert len(rows) == 2  # the next day's hearing is not on this day
    first, second = rows
    assert numbers[0] in first and "CASE-0" in first and "Juzgado Especializado" in first and "video link" in first
    assert "09:30–10:00" in first  # in the site's own time
    assert re.search(r"pre</span> VL2 09:00–09:25", first) and re.search(r"main</span> VL1 09:30–10:00", first)
    assert re.search(r"post</span> VL2 10:00–10:15", first) and "scheduled" in first
    assert numbers[1] in second and "CASE-1" in second and "in person" in second and "Tribunal de Sentencia" in second and "11:00–13:00" in second
    assert numbers[2] not in table


def test_the_rooms_timetable_shows_slots_and_blocks(signed_in, hearings):
    numbers, video, _ = hearings
    html = signed_in("legal").get("/sites/OPS/court", params={"on": "2026-03-04"}).text
    svg = re.search(r"<svg[^>]*class=\"timetable\".*?</svg>", html, re.S).group(0)
    assert svg.count('class="slot pre"') == 2 and svg.count('class="slot main"') == 2 and svg.count('class="slot post"') == 2  # + legend
    assert "camera repair" in svg and 'class="block"' in svg
    rooms = re.search(r'<table class="room-slots">.*?</table>', html, re.S).group(0)
    vl1 = rooms[rooms.index(">VL1<"):rooms.index(">VL2<")]
    assert "09:30" in vl1 and "10:00" in vl1 and "main" in vl1 and numbers[0] in vl1 and f"hearing {video}" in vl1
    assert "blocked" in vl1 and "camera repair" in vl1 and "14:00" in vl1
    vl2 = rooms[rooms.index(">VL2<"):]
    assert "pre" in vl2 and "post" in vl2 and "09:00" in vl2 and "10:15" in vl2


def test_the_default_day_is_the_sites_today(signed_in, hearings):
    numbers, *_ = hearings
    clock.freeze(datetime(2026, 3, 5, 3, 0, tzinfo=UTC))  # still 2026-03-04 (21:00) at OPS
    html = signed_in("viewer").get("/sites/OPS/court").text
    assert "Court day · 2026-03-04" in html and numbers[0] in html and 'value="2026-03-04"' in html
    clock.freeze(datetime(2026, 3, 5, 7, 0, tzinfo=UTC))  # 01:00 on the 5th at OPS
    html = signed_in("viewer").get("/sites/OPS/court").text
    assert "Court day · 2026-03-05" in html and numbers[2] in html and numbers[0] not in html


def test_bad_day_and_unknown_site(signed_in, hearings):
    c = signed_in("viewer")
    r = c.get("/sites/OPS/court", params={"on": "2026-02-30"})
    assert r.status_code == 422 and "2026-02-30 is not a date" in r.text and 'aria-invalid="true"' in r.text
    r = c.get("/sites/NOPE/court")
    assert r.status_code == 404 and "NOPE" in r.text


def test_an_empty_day_says_so(signed_in, hearings):
    html = signed_in("viewer").get("/sites/OPS/court", params={"on": "2026-03-10"}).text
    assert "No hearing is scheduled on this day" in html and "Free all day: VL1, VL2" in html


def test_the_court_day_needs_a_signed_in_user(browser_like, staff):
    r = browser_like().get("/sites/T1/court", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]


# --- the legal role's forms -----------------------------------------------------------------------

def test_only_the_legal_role_sees_and_may_post_the_outcome_form(signed_in, sessions, hearings):
    numbers, video, _ = hearings
    assert "Record the outcome" not in signed_in("viewer").get("/sites/OPS/court", params={"on": "2026-03-04"}).text
    for role in ("viewer", "operations", "inspector"):
        c = signed_in(role)
        token = csrf_of(c.get("/sites/OPS/court").text)
        assert c.post(f"/hearings/{video}/outcome", data={"outcome": "adjourned", "csrf_token": token}).status_code == 403
    legal = signed_in("legal")
    assert "Record the outcome" in legal.get("/sites/OPS/court", params={"on": "2026-03-04"}).text
    assert legal.post(f"/hearings/{video}/outcome", data={"outcome": "adjourned"}).status_code == 403  # no CSRF token
    with sessions() as s:
        assert court.hearing_of(s, video).status == "scheduled"


def test_legal_records_an_outcome(signed_in, sessions, hearings):
    numbers, video, in_person = hearings
    c = signed_in("legal")
    token = csrf_of(c.get("/sites/OPS/court", params={"on": "2026-03-04"}).text)
    # remanded needs its date: the form comes back on the day's page, in that row, and nothing is written
    r = c.post(f"/hearings/{video}/outcome", data={"outcome": "remanded", "csrf_token": token})
    assert r.status_code == 422 and "remanded until when?" in r.text and f'id="outcome-{video}-remanded_until-error"' in r.text
    assert "<details class=\"action\" open>" in r.text
    r = c.post(f"/hearings/{video}/outcome", data={"outcome": "maybe", "remanded_until": "soon", "csrf_token": token})
    assert r.status_code == 422 and f'id="outcome-{video}-outcome-error"' in r.text and "soon is not a date" in r.text
    with sessions() as s:
        assert court.hearing_of(s, video).status == "scheduled"
    r = c.post(f"/hearings/{video}/outcome", data={"outcome": "remanded", "remanded_until": "2026-05-04", "note": "next hearing in May",
                                                   "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/sites/OPS/court?on=2026-03-04#hearing-{video}"
    page = c.get(r.headers["location"]).text
    assert "The outcome is recorded." in page and "held: remanded" in page
    with sessions() as s:
        assert court.hearing_of(s, video).outcome == "remanded"


def test_legal_opens_a_case_and_schedules_a_hearing_from_the_record(signed_in, sessions, hearings):
    numbers, *_ = hearings
    n = numbers[2]
    c = signed_in("legal")
    page = c.get(f"/prisoners/{n}").text
    assert "Open a court case" in page and "Schedule a hearing" in page and "VL2 · legal visit" in page
    token = csrf_of(page)
    r = c.post(f"/prisoners/{n}/cases", data={"reference": "", "court": "", "csrf_token": token})
    assert r.status_code == 422 and 'id="case-reference-error"' in r.text and 'id="case-court-error"' in r.text
    r = c.post(f"/prisoners/{n}/cases", data={"reference": "CASE-NEW", "court": "Juzgado Tercero", "charges": "extortion\nthreats",
                                              "csrf_token": token}, follow_redirects=True)
    assert "The case is opened." in r.text and "CASE-NEW" in r.text and "extortion; threats" in r.text
    case_id = re.search(r'<option value="(\d+)" >CASE-NEW', r.text).group(1)
    base = {"case_id": case_id, "day": "2026-03-04", "mode": "video_link", "room": "VL1", "csrf_token": token}
    r = c.post(f"/prisoners/{n}/hearings", data={**base, "starts": "", "ends": "25:00"})
    assert r.status_code == 422 and 'id="hearing-starts-error"' in r.text and "25:00 is not a time" in r.text
    # VL1 is booked 09:30-10:00 that day: the clash is named
    r = c.post(f"/prisoners/{n}/hearings", data={**base, "starts": "09:45", "ends": "10:15"})
    assert r.status_code == 409 and "VL1 is booked" in r.text and "Nothing was written." in r.text
    r = c.post(f"/prisoners/{n}/hearings", data={**base, "room": "VL1", "starts": "17:00", "ends": "17:30", "pre_starts": "16:30",
                                                 "pre_ends": "16:50"}, follow_redirects=True)
    assert "The hearing is scheduled." in r.text
    day = c.get("/sites/OPS/court", params={"on": "2026-03-04"}).text
    row = re.search(r"<tr[^>]*>\s*<td class=\"date\">17:00–17:30</td>.*?</tr>", day, re.S).group(0)
    assert n in row and "CASE-NEW" in row and "16:30–16:50" in row


def test_legal_lifts_a_block_from_the_court_day_with_a_reason(signed_in, hearings, sessions):
    from habeas.models import RoomBlock

    viewer = signed_in("viewer").get("/sites/OPS/court", params={"on": "2026-03-04"})
    assert "Lift the block" not in viewer.text
    c = signed_in("legal")
    page = c.get("/sites/OPS/court", params={"on": "2026-03-04"})
    action = re.search(r'action="(/sites/OPS/court/blocks/(\d+)/lift)"', page.text)
    assert action, "legal sees a form to lift the block"
    url, block_id = action.group(1), int(action.group(2))
    r = c.post(url.replace("/OPS/", "/T1/"), data={"csrf_token": csrf_of(page.text), "reason": "camera mended"}, follow_redirects=False)
    assert r.status_code == 404  # a block is lifted only under its own site
    r = c.post(url, data={"csrf_token": csrf_of(page.text), "on": "2026-03-04", "reason": "  "}, follow_redirects=False)
    assert r.status_code == 422 and "needs a reason" in r.text
    with sessions() as s:
        assert s.get(RoomBlock, block_id).active is True
    r = c.post(url, data={"csrf_token": csrf_of(page.text), "on": "2026-03-04", "reason": "camera mended"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sites/OPS/court?on=2026-03-04"
    after = c.get(r.headers["location"])
    assert "block is lifted" in after.text and "camera repair" not in after.text
    with sessions() as s:
        assert s.get(RoomBlock, block_id).active is False
    r = signed_in("viewer").post(url, data={"csrf_token": csrf_of(viewer.text), "reason": "x"}, follow_redirects=False)
    assert r.status_code == 403
