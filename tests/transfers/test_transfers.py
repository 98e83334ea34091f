"""Transfers: planned -> departed -> arrived -> closed, beds reserved at planning, arrival
reconciled against the manifest, nobody unaccounted for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from habeas.db import transaction
from habeas.demo.generator import generate_bookings, to_manifest_csv
from habeas.housing import service as housing
from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.models import Prisoner, TransferAlert
from habeas.roll.service import roll
from habeas.transfers import service as transfers

from tests import factories as f

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SECOND = f.OPS_LAYOUT.replace("code: OPS, name: Operations test prison", "code: OPS2, name: Second prison")


@pytest.fixture
def two_sites(sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        f.ops_site(s, people=0)
        f.load(s, SECOND)
        booked = book_many(s, f.ACTOR, "OPS", [(None, f.booking()) for _ in range(6)])
        housing.allocate(s, f.ACTOR, "OPS", dry_run=False)
        return [s.get(Prisoner, b.prisoner_id).prisoner_number for b in booked]


def test_inter_site_transfer_from_plan_to_close(sessions, two_sites):
    numbers = two_sites
    with sessions.begin() as s:
        t = transfers.plan_transfer(s, f.ACTOR, "OPS2", origin_code="OPS", numbers=numbers[:4], reason="decongestion")
        tid = t.id
        rec = transfers.reconciliation(s, tid)
        assert all(i["reserved_cell"] for i in rec["items"])
        # the reserved beds are taken for other allocations at the destination
        state = housing.load_state(s, "OPS2", arrivals=[])
        assert len(state.problem.residents) == 4
    clock.freeze(T0 + timedelta(hours=1))
    with sessions.begin() as s:
        transfers.depart(s, f.ACTOR, tid)
        assert roll(s, "OPS").out_of_site == {"transit": 4}
        from habeas.movements.service import where

        w = where(s, numbers[0])
        assert w["in_custody"] and w["away"] == "transit" and w["site"] == "OPS"
    clock.freeze(T0 + timedelta(hours=3))
    with pytest.raises(ValidationFailed) as err, transaction(sessions) as s:  # as a request or command runs it
        transfers.arrive(s, f.ACTOR, tid, [numbers[0], numbers[5]])  # numbers[5] is not on the manifest
    assert "not on the manifest" in str(err.value.details)
    with sessions() as s:
        assert [a.kind for a in s.execute(select(TransferAlert)).scalars()] == ["unexpected"]  # the alert is kept
        assert s.execute(select(Prisoner).where(Prisoner.prisoner_number == numbers[0])).scalar_one().away == "transit"
    with sessions.begin() as s:
        rec = transfers.arrive(s, f.ACTOR, tid, numbers[:3])
    assert rec["counts"] == {"arrived": 3, "departed": 1} and [m["prisoner_number"] for m in rec["missing"]] == [numbers[3]]
    with pytest.raises(Conflict, match="not accounted for"), sessions.begin() as s:
        transfers.close(s, f.ACTOR, tid)
    with sessions.begin() as s:
        transfers.account(s, f.ACTOR, tid, numbers[3], outcome="returned", reason="taken ill on the road, brought back")
        transfers.close(s, f.ACTOR, tid)
    with sessions() as s:
        p0 = s.execute(select(Prisoner).where(Prisoner.prisoner_number == numbers[0])).scalar_one()
        p3 = s.execute(select(Prisoner).where(Prisoner.prisoner_number == numbers[3])).scalar_one()
        site2 = s.execute(select(Prisoner.current_site_id).where(Prisoner.id == p0.id)).scalar_one()
        assert p0.away is None and site2 != p3.current_site_id
        assert roll(s, "OPS2").in_reception == 3 and roll(s, "OPS").in_reception == 1
        assert transfers.reconciliation(s, tid)["status"] == "closed"


def test_planning_refuses_what_the_destination_cannot_hold(sessions, two_sites):
    numbers = two_sites
    with sessions.begin() as s:  # women: the male pavilion of OPS2 can never take them
        women = book_many(s, f.ACTOR, "OPS", [(None, f.booking(sex="F")) for _ in range(2)])
        wn = [s.get(Prisoner, b.prisoner_id).prisoner_number for b in women]
    with pytest.raises(Conflict) as err, sessions.begin() as s:
        transfers.plan_transfer(s, f.ACTOR, "OPS2", origin_code="OPS", numbers=wn, reason="x")
    assert err.value.code == "no_room" and "female" in err.value.message
    with pytest.raises(ValidationFailed, match="refused"), sessions.begin() as s:
        transfers.plan_transfer(s, f.ACTOR, "OPS2", origin_code="OPS", numbers=[numbers[0], numbers[0]], reason="x")


def test_manifest_too_large_for_the_destination(sessions, two_sites):
    clock.freeze(T0)
    people = generate_bookings(40, seed=5, start=500, now=clock.now(), ref_prefix="AG")
    data = to_manifest_csv(people)
    with pytest.raises(Conflict) as err, sessions.begin() as s:
        transfers.plan_transfer(s, f.ACTOR, "OPS2", agency="Policía Nacional Civil", manifest=data, filename="pnc.csv", reason="mass transfer")
    assert err.value.code == "manifest_too_large"


def test_from_an_outside_agency_booked_at_arrival(sessions, two_sites):
    clock.freeze(T0)
    people = [b for b in generate_bookings(40, seed=5, start=500, now=clock.now(), ref_prefix="AG") if b.sex == "M"][:5]
    data = to_manifest_csv(people)
    with sessions.begin() as s:
        tid = transfers.plan_transfer(s, f.ACTOR, "OPS2", agency="Policía Nacional Civil", manifest=data, filename="pnc.csv", reason="arrest operation").id
        transfers.depart(s, f.ACTOR, tid)
    refs = [p.external_ref for p in people]
    with sessions.begin() as s:
        rec = transfers.arrive(s, f.ACTOR, tid, refs[:4])
        assert rec["counts"]["arrived"] == 4 and all(i["prisoner_number"] for i in rec["items"] if i["status"] == "arrived")
        transfers.account(s, f.ACTOR, tid, refs[4], outcome="incident", reason="not handed over: hospitalised before departure (incident 12/2026)")
        transfers.close(s, f.ACTOR, tid)
    with sessions() as s:
        assert roll(s, "OPS2").in_reception == 4


def test_planning_keeps_non_associations_with_people_at_the_destination(sessions, two_sites):
    numbers = two_sites
    with sessions.begin() as s:  # one of them already at OPS2, at site level apart from another
        from habeas.housing import non_associations as na

        t = transfers.plan_transfer(s, f.ACTOR, "OPS2", origin_code="OPS", numbers=[numbers[0]], reason="first")
        transfers.depart(s, f.ACTOR, t.id)
        transfers.arrive(s, f.ACTOR, t.id, [numbers[0]])
        na.add(s, f.ACTOR, na.PairIn(numbers[0], numbers[1], "threat", level="site"))
    with pytest.raises(Conflict) as err, sessions.begin() as s:
        transfers.plan_transfer(s, f.ACTOR, "OPS2", origin_code="OPS", numbers=[numbers[1]], reason="second")
    assert err.value.code == "no_room" and "site-level non-association" in str(err.value.details)


def test_a_departed_transfer_nobody_completed_can_close_once_accounted(sessions, two_sites):
    numbers = two_sites
    with sessions.begin() as s:
        tid = transfers.plan_transfer(s, f.ACTOR, "OPS2", origin_code="OPS", numbers=numbers[:2], reason="r").id
        transfers.depart(s, f.ACTOR, tid)
        for n in numbers[:2]:
            transfers.account(s, f.ACTOR, tid, n, outcome="returned", reason="road closed, convoy turned back")
        assert transfers.close(s, f.ACTOR, tid).status == "closed"
