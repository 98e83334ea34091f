"""The roll, headcounts with a mismatch resolved through the ledger, incidents and welfare checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from habeas.counts import service as counts
from habeas.incidents.service import record_incident
from habeas.kit import clock
from habeas.kit.errors import Conflict, NotFound, ValidationFailed
from habeas.models import CountSubmission, Prisoner
from habeas.movements.service import MoveRequest, move_many
from habeas.roll.service import roll
from habeas.welfare import service as welfare

from tests import factories as f

# 08:00 in El Salvador (UTC-6)
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def ops(sessions):
    return f.booked_ops_site(sessions, at=T0 - timedelta(days=1), people=12)


def test_roll_reconciles_the_day(sessions, ops):
    site, ids = ops
    clock.freeze(at(0))
    with sessions.begin() as s:
        ex = f.loc_id(s, site, "P1-EX")
        move_many(s, f.ACTOR, site.id, [MoveRequest(pid, ex, "exercise") for pid in ids[:3]])
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[3], None, "hearing", kind="court", destination="Juzgado 1")])
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[4], None, "x-ray", kind="hospital", destination="Hospital Rosales")])
    clock.freeze(at(60))
    with sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[4], f.loc_id(s, site, "P1-L1-C2"), "back", kind="return")])
        from habeas.intake.service import book_many

        book_many(s, f.ACTOR, "OPS", [(None, f.booking()), (None, f.booking())])
        f_ = s.get(Prisoner, ids[5])
        from habeas.movements.service import discharge

        discharge(s, f.ACTOR, f_, "release", reason="bail")
    with sessions() as s:
        r = roll(s, "OPS", depth=None)
    assert r.population == 12 + 2 - 1
    assert r.current_roll == 12 + 2 - 1 - 1  # one still at court
    assert r.in_reception == 2 and r.out_of_site == {"court": 1}
    assert r.out_of_cell_where == {"P1-EX": 3, "REC": 2}
    assert r.in_cell == 12 - 1 - 3 - 1
    assert r.arrived_today == 2 and r.out_today == 3 and r.out_and_back == 1
    # at unlock (08:00 local) the 12 booked yesterday were all inside
    assert r.unlock_roll == 12
    assert r.working_capacity == 6 * 4 + 1 and r.max_capacity == 6 * 5 + 1
    assert r.net_vacancies == r.working_capacity - 11
    lines = {ln.code: ln for ln in r.lines}
    c1 = lines["P1-L1-C1"]
    assert c1.housed == 2 and c1.present + c1.out_of_cell == c1.housed
    assert lines["P1"].housed == 11 and lines["P1"].present == 11 - 1  # one at court; the exercise area is in P1
    assert r.m2_per_person == pytest.approx(round(12 * 6 / 7, 2), abs=0.01)


def test_roll_shows_occupants_above_cna(sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        site, booked = f.ops_site(s, people=5, housed=False)
        c1 = f.loc_id(s, site, "P1-L1-C1")
        move_many(s, f.ACTOR, site.id, [MoveRequest(b.prisoner_id, c1, "housing") for b in booked])
    with sessions() as s:
        r = roll(s, "OPS", depth=None)
    assert {ln.code: ln.above_cna for ln in r.lines}["P1-L1-C1"] == 2  # cna 3, 5 there
    assert r.above_cna == 2


def test_count_with_a_mismatch_resolved_by_recording_the_movement(sessions, ops):
    site, ids = ops
    clock.freeze(at(0))
    with sessions.begin() as s:
        c = counts.open_count(s, f.ACTOR, "OPS", kind="scheduled", scope="P1")
        count_id = c.id
        view = counts.view(s, count_id)
    lines = {ln["location"]: ln for ln in view["lines"]}
    assert set(lines) == {"P1-EX", "P1-SEG-S1"} | {f"P1-L{a}-C{b}" for a in (1, 2) for b in (1, 2, 3)}
    assert lines["P1-L1-C1"]["expected"] == 2 and view["expected"] == 12
    # the officers see one person too few in C1 and one too many in C2: he moved without it being recorded
    clock.freeze(at(5))
    observed = [(code, ln["expected"]) for code, ln in lines.items()]
    observed = [(code, n - 1 if code == "P1-L1-C1" else n + 1 if code == "P1-L1-C2" else n) for code, n in observed]
    with sessions.begin() as s:
        status = counts.submit(s, f.ACTOR, count_id, observed)
    assert status["P1-L1-C1"] == "mismatch" and status["P1-L1-C2"] == "mismatch" and status["P1-L2-C1"] == "matched"
    with sessions() as s:
        view = counts.view(s, count_id)
        c1 = next(ln for ln in view["lines"] if ln["location"] == "P1-L1-C1")
        assert len(c1["expected_people"]) == 2
    # a second number without a recount order is refused
    with pytest.raises(ValidationFailed, match="refused") as err, sessions.begin() as s:
        counts.submit(s, f.ACTOR, count_id, [("P1-L1-C1", 2)])
    assert "needs a recount order" in str(err.value.details)
    with pytest.raises(Conflict, match="not reconciled"), sessions.begin() as s:
        counts.clear(s, f.ACTOR, count_id)
    # recount C1: still one short
    with sessions.begin() as s:
        counts.order_recount(s, f.ACTOR, count_id, ["P1-L1-C1"], "check again")
        assert counts.submit(s, f.ACTOR, count_id, [("P1-L1-C1", 1)]) == {"P1-L1-C1": "mismatch"}
    # the unrecorded movement is recorded (it happened before the count): both cells reconcile
    clock.freeze(at(20))
    with sessions.begin() as s:
        who = next(p for p in (s.get(Prisoner, i) for i in ids) if p.current_location_id == f.loc_id(s, site, "P1-L1-C1"))
        move_many(s, f.ACTOR, site.id, [MoveRequest(who.id, f.loc_id(s, site, "P1-L1-C2"), "moved by landing officer, unrecorded",
                                                    moved_at=at(-30), correction=True)])
        result = counts.reconcile(s, f.ACTOR, count_id)
    assert result == {"P1-L1-C1": "explained", "P1-L1-C2": "explained"}
    with sessions.begin() as s:
        counts.clear(s, f.ACTOR, count_id)
        view = counts.view(s, count_id)
    assert view["status"] == "cleared"
    assert [m["correction"] for m in view["movements_during_count"]] == [True]
    with sessions() as s:
        assert len(s.execute(select(CountSubmission)).scalars().all()) == len(lines) + 1


def test_count_mismatch_explained_by_an_escape(sessions, ops):
    site, ids = ops
    clock.freeze(at(0))
    with sessions.begin() as s:
        count_id = counts.open_count(s, f.ACTOR, "OPS", kind="emergency").id
        lines = {ln["location"]: ln["expected"] for ln in counts.view(s, count_id)["lines"]}
        runaway = s.get(Prisoner, ids[0])
        cell = s.get(type(runaway), ids[0]).current_location_id
        code = next(c for c in lines if f.loc_id(s, site, c) == cell)
    with sessions.begin() as s:
        counts.submit(s, f.ACTOR, count_id, [(c, n - 1 if c == code else n) for c, n in lines.items()])
        record_incident(s, f.ACTOR, "OPS", kind="escape", prisoner=s.get(Prisoner, ids[0]).prisoner_number,
                        occurred_at=at(-120), description="cut through the window bars")
        assert counts.reconcile(s, f.ACTOR, count_id) == {code: "explained"}
        counts.clear(s, f.ACTOR, count_id)
    with sessions() as s:
        p = s.get(Prisoner, ids[0])
        assert p.away == "escaped" and p.in_custody
        assert roll(s, "OPS").out_of_site == {"escaped": 1}


def test_count_input_errors(sessions, ops):
    site, _ = ops
    clock.freeze(at(0))
    with sessions.begin() as s:
        count_id = counts.open_count(s, f.ACTOR, "OPS", scope="P1-L1").id
    for bad, message in ([("P1-L2-C1", 1)], "not part of count"), ([("P1-L1-C1", -1)], "0 or more"), ([("P1-L1-C1", 500)], "more than"):
        with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
            counts.submit(s, f.ACTOR, count_id, bad)
        assert message in str(err.value.details)
    with pytest.raises(Conflict, match="still open"), sessions.begin() as s:
        counts.open_count(s, f.ACTOR, "OPS")
    with sessions.begin() as s:
        counts.cancel(s, f.ACTOR, count_id, "fire alarm")
    with pytest.raises(Conflict, match="cannot become cleared"), sessions.begin() as s:
        counts.clear(s, f.ACTOR, count_id)
    with pytest.raises(NotFound), sessions.begin() as s:
        counts.open_count(s, f.ACTOR, "OPS", scope="NOPE")


def test_death_closes_custody(sessions, ops):
    site, ids = ops
    clock.freeze(at(0))
    with sessions.begin() as s:
        record_incident(s, f.ACTOR, "OPS", kind="death", prisoner=s.get(Prisoner, ids[1]).prisoner_number, description="found unresponsive")
    with sessions() as s:
        assert not s.get(Prisoner, ids[1]).in_custody
        assert roll(s, "OPS").population == 11


def test_welfare_rounds_late_and_missed(sessions, ops):
    site, ids = ops
    clock.freeze(at(0))  # 08:00 local, inside the 06:00-14:00 shift
    with sessions.begin() as s:
        number = s.get(Prisoner, ids[0]).prisoner_number
        cell = s.get(Prisoner, ids[0]).current_location_id
        code = next(c for c in ("P1-L1-C1", "P1-L1-C2") if f.loc_id(s, site, c) == cell)
        welfare.set_requirement(s, f.ACTOR, "OPS", prisoner=number, interval_minutes=15, reason="at risk of self-harm")
    for minute in (10, 25, 55):
        clock.freeze(at(minute))
        with sessions.begin() as s:
            welfare.record_rounds(s, f.ACTOR, "OPS", [welfare.RoundIn(location=code)])
    clock.freeze(at(90))
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        welfare.record_rounds(s, f.ACTOR, "OPS", [welfare.RoundIn(location=code, observed_at=at(62))])
    assert "late entry needs its reason" in str(err.value.details)
    with sessions.begin() as s:
        welfare.record_rounds(s, f.ACTOR, "OPS", [welfare.RoundIn(location=code, observed_at=at(70), late_entry_reason="radio down")])
    with sessions() as s:
        rep = welfare.report(s, "OPS", date(2026, 3, 2), "06:00-14:00")
    [shift] = rep["shifts"]
    [req] = shift["requirements"]
    assert req["rounds"] == 4
    # due 15 after 10 -> 25 on time; due 40 -> seen 55: late 15 min; 55 -> 70 on time; then due 85 passed by 90: missed
    assert [x["late_minutes"] for x in req["late"]] == [15.0]
    assert [m["due_at"] for m in req["missed"]] == [clock.db_time(at(85))]


def test_gaps_counts_missed_rounds():
    start = datetime(2026, 1, 1, 6)
    late, missed = welfare.gaps(start, start + timedelta(hours=2), [start + timedelta(minutes=50)], timedelta(minutes=15))
    assert len(late) == 1 and late[0]["late_minutes"] == 35
    assert [m.minute for m in missed[:2]] == [30, 45]  # due 15 late (seen 50), 30 and 45 passed with nothing
    assert len(missed) == 2 + 4  # after 50: due 65, 80, 95, 110 before 120
