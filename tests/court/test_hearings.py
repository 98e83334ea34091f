"""Court hearings: video-link room slots (one main, at most one pre and post, in order, no
overlap, a room whose use allows it), clashes named, movements through the ledger, outcomes
updating the legal basis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from habeas.court import service as court
from habeas.court.service import SlotIn
from habeas.kit import clock
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.legal import service as legal
from habeas.models import LegalBasis, Prisoner

from tests import factories as f

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
H = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 09:00 in El Salvador, two days later


def at(minutes: int) -> datetime:
    return H + timedelta(minutes=minutes)


@pytest.fixture
def people(sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        _, booked = f.ops_site(s, people=3)
        numbers = [s.get(Prisoner, b.prisoner_id).prisoner_number for b in booked]
        cases = [court.open_case(s, f.ACTOR, n, reference=f"CASE-{i}", court="Juzgado Especializado", charges=[("illicit association", None)]).id
                 for i, n in enumerate(numbers)]
    return numbers, cases


def test_slots_in_order_and_room_uses(sessions, people):
    numbers, cases = people
    with sessions.begin() as s:
        h = court.schedule(s, f.ACTOR, cases[0], starts_at=at(30), ends_at=at(60), mode="video_link",
                           slots=[SlotIn("pre", at(0), at(25), "VL2"), SlotIn("main", at(30), at(60), "VL1"), SlotIn("post", at(60), at(75), "VL2")])
        assert [x["slot"] for x in court.day(s, "OPS", date(2026, 3, 4))[0]["slots"]] == ["pre", "main", "post"]
    bad = [
        ([SlotIn("main", at(100), at(130), "VL2")], "legal_visit room"),                      # main needs a court room
        ([SlotIn("pre", at(95), at(110), "VL1"), SlotIn("main", at(100), at(130), "VL1")], "pre slot must end before"),
        ([SlotIn("pre", at(80), at(90), "VL1")], "exactly one main slot"),
        ([SlotIn("main", at(100), at(130), "VL1"), SlotIn("main", at(100), at(130), "VL1")], "exactly one main slot"),
        ([SlotIn("main", at(100), at(130), "NOPE")], "no video-link room"),
    ]
    for slots, message in bad:
        with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
            court.schedule(s, f.ACTOR, cases[1], starts_at=at(100), ends_at=at(130), mode="video_link", slots=slots)
        assert message in str(err.value.details) + err.value.message, (slots, err.value.details)
    assert h.id


def test_clashes_are_named(sessions, people):
    numbers, cases = people
    with sessions.begin() as s:
        first = court.schedule(s, f.ACTOR, cases[0], starts_at=at(30), ends_at=at(60), mode="video_link", room="VL1")
    with pytest.raises(Conflict) as err, sessions.begin() as s:
        court.schedule(s, f.ACTOR, cases[1], starts_at=at(45), ends_at=at(90), mode="video_link", room="VL1")
    assert err.value.code == "room_double_booked" and f"hearing {first.id}" in err.value.message and numbers[0] in err.value.message
    with pytest.raises(Conflict) as err, sessions.begin() as s:
        second_case = court.open_case(s, f.ACTOR, numbers[0], reference="CASE-X", court="Juzgado 2", charges=[])
        court.schedule(s, f.ACTOR, second_case.id, starts_at=at(40), ends_at=at(50), mode="in_person")
    assert err.value.code == "person_double_booked"
    with sessions.begin() as s:
        court.block_room(s, f.ACTOR, "OPS", "VL1", starts_at=at(200), ends_at=at(400), reason="camera repair")
    with pytest.raises(Conflict, match="camera repair"), sessions.begin() as s:
        court.schedule(s, f.ACTOR, cases[2], starts_at=at(300), ends_at=at(330), mode="video_link", room="VL1")
    # back to back is not a clash
    with sessions.begin() as s:
        court.schedule(s, f.ACTOR, cases[2], starts_at=at(60), ends_at=at(90), mode="video_link", room="VL1")


def test_a_lifted_block_frees_the_room_and_is_kept(sessions, people):
    from sqlalchemy import select

    from habeas.kit.errors import NotFound, ValidationFailed
    from habeas.models import AuditEvent, RoomBlock

    numbers, cases = people
    with sessions.begin() as s:
        block_id = court.block_room(s, f.ACTOR, "OPS", "VL1", starts_at=at(200), ends_at=at(400), reason="camera repair").id
    with pytest.raises(ValidationFailed), sessions.begin() as s:
        court.lift_block(s, f.ACTOR, block_id, "  ")
    with pytest.raises(NotFound), sessions.begin() as s:
        court.lift_block(s, f.ACTOR, block_id + 99, "mended")
    with sessions.begin() as s:
        court.lift_block(s, f.ACTOR, block_id, "camera mended early")
    with pytest.raises(Conflict, match="already lifted"), sessions.begin() as s:
        court.lift_block(s, f.ACTOR, block_id, "again")
    with sessions.begin() as s:
        court.schedule(s, f.ACTOR, cases[2], starts_at=at(300), ends_at=at(330), mode="video_link", room="VL1")
    with sessions() as s:
        kept = s.get(RoomBlock, block_id)
        assert kept is not None and kept.active is False and kept.reason == "camera repair"
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "court.room_unblock")).scalar_one()
        assert event.entity_id == "VL1" and "camera mended early" in str(event.after)


def test_the_days_movements_go_through_the_ledger(sessions, people):
    numbers, cases = people
    with sessions.begin() as s:
        h = court.schedule(s, f.ACTOR, cases[0], starts_at=at(30), ends_at=at(60), mode="video_link", room="VL1")
        hp = court.schedule(s, f.ACTOR, cases[1], starts_at=at(30), ends_at=at(90), mode="in_person")
    clock.freeze(at(20))
    with sessions.begin() as s:
        court.move(s, f.ACTOR, h.id, "out")
        court.move(s, f.ACTOR, hp.id, "out")
    with sessions() as s:
        p0 = legal.get_prisoner(s, numbers[0])
        assert p0.current_location_id == f.loc_id(s, type("S", (), {"id": p0.current_site_id}), "VL1")
        assert legal.get_prisoner(s, numbers[1]).away == "court"
    clock.freeze(at(100))
    with sessions.begin() as s:
        court.move(s, f.ACTOR, h.id, "back")
        court.move(s, f.ACTOR, hp.id, "back")
    with sessions() as s:
        for n in numbers[:2]:
            p = legal.get_prisoner(s, n)
            assert p.current_location_id == p.cell_id and p.away is None


def test_outcomes_update_the_legal_basis(sessions, people):
    numbers, cases = people
    with sessions.begin() as s:
        hs = [court.schedule(s, f.ACTOR, c, starts_at=at(30 + 60 * i), ends_at=at(50 + 60 * i), mode="in_person").id for i, c in enumerate(cases)]
    clock.freeze(H)
    with sessions.begin() as s:
        court.record_outcome(s, f.ACTOR, hs[0], outcome="remanded", remanded_until=date(2026, 6, 1))
        court.record_outcome(s, f.ACTOR, hs[1], outcome="convicted", sentence_reference="SENT-9")
        court.record_outcome(s, f.ACTOR, hs[2], outcome="released", note="charges dismissed")
    with sessions() as s:
        b0 = [b for b in legal.list_bases(s, numbers[0]) if b.status == "active"]
        assert [(b.type, b.review_due) for b in b0] == [("remand_order", date(2026, 6, 1))]
        b1 = [b for b in legal.list_bases(s, numbers[1]) if b.status == "active"]
        assert [(b.type, b.reference) for b in b1] == [("sentence", "SENT-9")]
        assert legal.get_prisoner(s, numbers[1]).legal_status == "convicted"
        assert not legal.get_prisoner(s, numbers[2]).in_custody
        assert s.execute(select(LegalBasis.status).where(LegalBasis.prisoner_id == legal.get_prisoner(s, numbers[2]).id)).scalars().all() == ["ended"]
    with pytest.raises(Conflict), sessions.begin() as s:
        court.record_outcome(s, f.ACTOR, hs[0], outcome="adjourned")
    with pytest.raises(ValidationFailed), sessions.begin() as s:
        h = court.schedule(s, f.ACTOR, cases[0], starts_at=at(600), ends_at=at(630), mode="in_person")
        court.record_outcome(s, f.ACTOR, h.id, outcome="remanded")


def test_a_person_convicted_at_the_hearing_goes_back_to_reception_for_rehousing(sessions, people):
    numbers, cases = people
    with sessions.begin() as s:  # house them first (remand landings)
        from habeas.housing import service as housing

        housing.allocate(s, f.ACTOR, "OPS", dry_run=False)
        others = [legal.get_prisoner(s, n) for n in numbers]
        h = court.schedule(s, f.ACTOR, cases[0], starts_at=at(30), ends_at=at(60), mode="video_link", room="VL1")
    clock.freeze(at(20))
    with sessions.begin() as s:
        court.move(s, f.ACTOR, h.id, "out")
    clock.freeze(at(70))
    with sessions.begin() as s:
        court.record_outcome(s, f.ACTOR, h.id, outcome="convicted", sentence_reference="SENT-77")
        court.move(s, f.ACTOR, h.id, "back")
    with sessions() as s:
        p = legal.get_prisoner(s, numbers[0])
        assert p.legal_status == "convicted"
        reception = s.execute(select(Prisoner.current_location_id).where(Prisoner.id == p.id)).scalar_one()
        from habeas.models import Location

        assert s.get(Location, reception).type == "reception" and len(others) == 3
