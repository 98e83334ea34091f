"""The movement ledger: append-only, current location derived in the same transaction, every
refusal named; where-was and who-was answered from the ledger at any past minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from habeas.kit import clock
from habeas.kit.errors import Conflict, NotFound, ValidationFailed
from habeas.models import AuditEvent, LocationStay, Movement, Prisoner
from habeas.movements import service
from habeas.movements.ledger import span_level
from habeas.movements.service import MoveRequest, move_many

from tests import factories as f

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def ops(sessions):
    return f.booked_ops_site(sessions, at=T0, people=6)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_span_levels_bound_the_stay_length():
    start = datetime(2026, 1, 1)
    assert span_level(start, start) == 0
    for seconds in (1, 2, 4, 5, 16, 17, 3600, 86_400 * 365 * 30):
        level = span_level(start, start + timedelta(seconds=seconds))
        assert 4**level >= seconds and (level == 0 or 4 ** (level - 1) < seconds)


def test_a_move_writes_the_position_and_leaves_the_record_alone(sessions, ops, engine):
    """A person's place lives in ``positions``; their record (``prisoners``) is not rewritten by a move."""
    site, ids = ops
    record, position = text("SELECT * FROM prisoners WHERE id = :id"), text("SELECT * FROM positions WHERE prisoner_id = :id")
    with engine.connect() as conn:
        before = conn.execute(record, {"id": ids[0]}).one()
    clock.freeze(at(60))
    with sessions.begin() as s:
        ex = f.loc_id(s, site, "P1-EX")
        [mid] = move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], ex, "exercise")])
    with engine.connect() as conn:
        assert conn.execute(record, {"id": ids[0]}).one() == before
        now = conn.execute(position, {"id": ids[0]}).one()
    assert (now.current_location_id, now.last_movement_id, now.away) == (ex, mid, None)


def test_move_updates_current_location_and_keeps_the_ledger(sessions, ops):
    site, ids = ops
    clock.freeze(at(60))
    with sessions.begin() as s:
        ex = f.loc_id(s, site, "P1-EX")
        [mid] = move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], ex, "exercise")])
    with sessions() as s:
        p = s.get(Prisoner, ids[0])
        assert p.current_location_id == ex and p.last_movement_id == mid and p.cell_id == f.loc_id(s, site, "P1-L1-C1")
        kinds = [m.kind for m in s.execute(select(Movement).where(Movement.prisoner_id == ids[0]).order_by(Movement.id)).scalars()]
        assert kinds == ["admission", "internal", "internal"]
        single = s.execute(select(AuditEvent).where(AuditEvent.action == "movement.internal", AuditEvent.entity_id == p.prisoner_number)).scalar_one()
        assert single.after["movement"] == mid and single.after["to"] == "P1-EX" and single.before == {"location": "P1-L1-C1"}
        batch = s.execute(select(AuditEvent).where(AuditEvent.action == "movement.batch")).scalar_one()
        assert batch.entity_id == "OPS" and batch.after["count"] == 6
        assert [r[1] for r in batch.after["rows"]].count(p.prisoner_number) == 1
        # the stay in the cell ended with this movement; the one in the yard is open: the current location
        stays = s.execute(select(LocationStay).where(LocationStay.prisoner_id == ids[0]).order_by(LocationStay.start_at)).scalars().all()
        cell = f.loc_id(s, site, "P1-L1-C1")
        assert [(st.location_id, st.end_at) for st in stays][-1] == (cell, clock.db_time(at(60)))
        assert ex not in [st.location_id for st in stays]


@pytest.mark.parametrize("change, message", [
    ({"to": "P1"}, "is a pavilion"),
    ({"to": "P1-L1"}, "is a landing"),
    ({"to": "NOPE"}, "no location"),
    ({"kind": "return"}, "is inside the site"),
    ({"kind": "court", "to": None}, "needs its destination"),
    ({"moved_at": at(60 * 24)}, "in the future"),
    ({"moved_at": at(-60 * 24)}, "before"),
    ({"reason": " "}, "reason"),
])
def test_refused_movements_write_nothing(sessions, ops, change, message):
    site, ids = ops
    clock.freeze(at(60))
    from habeas.movements.schemas import MovementIn

    with sessions() as s:
        number = s.get(Prisoner, ids[0]).prisoner_number
        before = s.execute(select(func.count()).select_from(Movement)).scalar_one()
    item = {"prisoner": number, "kind": change.get("kind", "internal"), "to_location": change.get("to", "P1-EX"),
            "reason": change.get("reason", "exercise"), "moved_at": change.get("moved_at")}
    with pytest.raises((ValidationFailed, NotFound)) as err, sessions.begin() as s:
        service.record_movements(s, f.ACTOR, "OPS", [MovementIn.model_construct(**item, escort=None, destination=None, correction=False, corrects=None)])
    assert message in str(err.value.details) + err.value.message
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Movement)).scalar_one() == before


def test_not_in_custody_and_out_of_service_are_refused(sessions, ops):
    site, ids = ops
    clock.freeze(at(60))
    with sessions.begin() as s:
        service.set_in_service(s, f.ACTOR, site.id, "P1-L2-C3", False, "flooded")
    with pytest.raises(ValidationFailed, match="refused") as err, sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], f.loc_id(s, site, "P1-L2-C3"), "move")])
    assert "out of service: flooded" in str(err.value.details)
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(999_999, f.loc_id(s, site, "P1-EX"), "move")])
    assert "not in custody" in str(err.value.details)
    with pytest.raises(ValidationFailed, match="needs a reason"), sessions.begin() as s:
        service.set_in_service(s, f.ACTOR, site.id, "P1-L2-C2", False, None)


def test_max_capacity_is_never_exceeded(sessions, ops):
    site, ids = ops
    clock.freeze(at(60))
    with pytest.raises(Conflict, match="above its max capacity 1"), sessions.begin() as s:
        seg = f.loc_id(s, site, "P1-SEG-S1")
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], seg, "segregation"), MoveRequest(ids[1], seg, "segregation")])
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Prisoner).where(Prisoner.current_location_id == seg)).scalar_one() == 0


def test_court_trip_and_return(sessions, ops):
    site, ids = ops
    clock.freeze(at(60))
    with sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], None, "hearing", kind="court", destination="Juzgado 3 San Salvador", escort="Officer Ruiz")])
    with sessions() as s:
        p = s.get(Prisoner, ids[0])
        assert p.current_location_id is None and p.away == "court" and p.in_custody
    with pytest.raises(ValidationFailed, match="refused") as err, sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], f.loc_id(s, site, "P1-EX"), "exercise")])
    assert "record their return first" in str(err.value.details)
    clock.freeze(at(300))
    with sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], f.loc_id(s, site, "P1-L1-C1"), "back from court", kind="return")])
    with sessions() as s:
        p = s.get(Prisoner, ids[0])
        w = service.where_was(s, p, at(120))
        assert w.away == "court" and w.location is None and w.destination == "Juzgado 3 San Salvador"
        assert service.where_was(s, p, at(301)).location == "P1-L1-C1"


def test_where_was_and_who_was_at_past_minutes(sessions, ops):
    site, ids = ops
    # every 10 minutes someone moves to exercise and back
    with sessions.begin() as s:
        ex = f.loc_id(s, site, "P1-EX")
        home = {pid: s.get(Prisoner, pid).current_location_id for pid in ids}
    for k in range(6):
        clock.freeze(at(100 + 10 * k))
        with sessions.begin() as s:
            move_many(s, f.ACTOR, site.id, [MoveRequest(ids[k], ex, "exercise")])
    clock.freeze(at(200))
    with sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(pid, home[pid], "back to cell") for pid in ids])
    with sessions() as s:
        ex_loc = s.get(Prisoner, ids[0]).current_location_id and service.sites_repo.location_by_code(s, site.id, "P1-EX")
        for k in range(7):
            there = {o.prisoner_id for o in service.occupants_at(s, site.id, ex_loc, at(105 + 10 * k))}
            assert there == set(ids[: min(k + 1, 6)])
        assert service.occupants_at(s, site.id, ex_loc, at(200)) == []
        assert service.occupants_at(s, site.id, ex_loc, at(99)) == []
        # a whole pavilion: everyone, at any minute after housing
        pav = service.sites_repo.location_by_code(s, site.id, "P1")
        assert {o.prisoner_id for o in service.occupants_at(s, site.id, pav, at(150))} == set(ids)
        landing = service.sites_repo.location_by_code(s, site.id, "P1-L1")
        on_l1 = {o.prisoner_id for o in service.occupants_at(s, site.id, landing, at(201))}
        assert on_l1 == {pid for pid in ids if home[pid] in {f.loc_id(s, site, f"P1-L1-C{n}") for n in (1, 2, 3)}}
        p = s.get(Prisoner, ids[2])
        assert service.where_was(s, p, at(125)).location == "P1-EX"
        assert service.where_was(s, p, at(119)).location != "P1-EX"
        assert service.where_was(s, p, at(-10 * 60 * 24)).in_custody is False  # before admission


def test_late_entry_needs_correction_and_rebuilds_history(sessions, ops):
    site, ids = ops
    clock.freeze(at(100))
    with sessions.begin() as s:
        ex, med = f.loc_id(s, site, "P1-EX"), f.loc_id(s, site, "MED")
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], ex, "exercise")])
    clock.freeze(at(130))
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], med, "seen by doctor", moved_at=at(90))])
    assert "record it as a correction" in str(err.value.details)
    # the person actually went to the medical unit at 90 and came back to exercise at 100: record the missing movement
    with sessions.begin() as s:
        [mid] = move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], med, "seen by doctor (recorded late)", moved_at=at(90), correction=True)])
    with sessions() as s:
        p = s.get(Prisoner, ids[0])
        assert p.current_location_id == ex  # the later movement still stands
        assert service.where_was(s, p, at(95)).location == "MED"
        assert service.where_was(s, p, at(105)).location == "P1-EX"
        medloc = service.sites_repo.location_by_code(s, site.id, "MED")
        assert [o.prisoner_id for o in service.occupants_at(s, site.id, medloc, at(95))] == [ids[0]]
        assert service.occupants_at(s, site.id, medloc, at(101)) == []
        m = s.get(Movement, mid)
        assert m.correction and m.recorded_at > m.moved_at


def test_correction_of_a_wrong_destination(sessions, ops):
    site, ids = ops
    clock.freeze(at(100))
    with sessions.begin() as s:
        c3 = f.loc_id(s, site, "P1-L2-C3")
        [wrong] = move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], c3, "cell change")])
    clock.freeze(at(140))
    with sessions.begin() as s:
        c2 = f.loc_id(s, site, "P1-L2-C2")
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], c2, "was taken to C2, not C3", moved_at=at(100), correction=True, corrects_id=wrong)])
    with sessions() as s:
        p = s.get(Prisoner, ids[0])
        assert p.current_location_id == c2 and p.cell_id == c2
        assert service.where_was(s, p, at(120)).location == "P1-L2-C2"
        hist = service.history(s, p)
        assert [h["kind"] for h in hist][-2:] == ["internal", "internal"] and hist[-1]["corrects"] == wrong
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[1], c2, "x", moved_at=at(139), correction=True, corrects_id=wrong)])
    assert "not a movement of this person" in str(err.value.details)


def test_batch_is_all_or_nothing(sessions, ops):
    site, ids = ops
    clock.freeze(at(100))
    with sessions() as s:
        before = s.execute(select(func.count()).select_from(Movement)).scalar_one()
    with pytest.raises(ValidationFailed), sessions.begin() as s:
        ex = f.loc_id(s, site, "P1-EX")
        move_many(s, f.ACTOR, site.id, [MoveRequest(pid, ex, "exercise") for pid in ids[:5]] + [MoveRequest(ids[5], ex, "")])
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Movement)).scalar_one() == before
    with sessions.begin() as s:
        assert len(move_many(s, f.ACTOR, site.id, [MoveRequest(pid, ex, "exercise") for pid in ids])) == 6


def test_discharge_closes_the_episode(sessions, ops):
    site, ids = ops
    clock.freeze(at(100))
    with sessions.begin() as s:
        p = s.get(Prisoner, ids[0])
        service.discharge(s, f.ACTOR, p, "release", reason="court order")
    with sessions() as s:
        p = s.get(Prisoner, ids[0])
        assert not p.in_custody and p.current_location_id is None and p.cell_id is None
        assert service.where_was(s, p, at(101)).in_custody is False
        assert service.where_was(s, p, at(99)).in_custody is True
    with pytest.raises(Conflict), sessions.begin() as s:
        service.discharge(s, f.ACTOR, s.get(Prisoner, ids[0]), "release", reason="again")


def test_a_landing_out_of_service_closes_its_cells(sessions, ops):
    site, ids = ops
    clock.freeze(at(60))
    with sessions.begin() as s:
        service.set_in_service(s, f.ACTOR, site.id, "P1-L2", False, "roof repairs")
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        move_many(s, f.ACTOR, site.id, [MoveRequest(ids[0], f.loc_id(s, site, "P1-L2-C3"), "move")])
    assert "in P1-L2, which is out of service: roof repairs" in str(err.value.details)
    with sessions() as s:
        from habeas.roll.service import roll

        r = roll(s, "OPS", depth=None)
        assert r.working_capacity == 3 * 4 + 1  # landing 2's three cells offer nothing
        assert {ln.code: ln.out_of_service for ln in r.lines}["P1-L2"] == 3
