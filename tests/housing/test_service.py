"""Housing from the register: allocation dry run and commit, non-associations (records and CSV
import), single moves with supervised overrides, and concurrent allocations."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from habeas.housing import non_associations as na
from habeas.housing import service
from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.models import HousingOverride, Location, Movement, Prisoner

from tests import factories as f

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def numbers(s, booked) -> list[str]:
    return [s.get(Prisoner, b.prisoner_id).prisoner_number for b in booked]


@pytest.fixture
def arrivals(sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        site, _ = f.ops_site(s, people=0)
        men = book_many(s, f.ACTOR, "OPS", [(None, f.booking()) for _ in range(10)])
        women = book_many(s, f.ACTOR, "OPS", [(None, f.booking(sex="F")) for _ in range(2)])
        return site, numbers(s, men), numbers(s, women)


def test_dry_run_writes_nothing_then_commit_houses_and_explains(sessions, arrivals):
    site, men, women = arrivals
    with sessions() as s:
        before = s.execute(select(func.count()).select_from(Movement)).scalar_one()
    with sessions.begin() as s:
        plan = service.allocate(s, f.ACTOR, "OPS", dry_run=True)
    assert plan["placed"] == 10 and plan["unplaced"] == 2 and not plan["committed"] and plan["violations"] == []
    assert all("female" in x["reason"] for x in plan["left_in_reception"])
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Movement)).scalar_one() == before
    with sessions.begin() as s:
        done = service.allocate(s, f.ACTOR, "OPS", dry_run=False)
    assert done["placed"] == 10 and done["committed"]
    with sessions() as s:
        housed = s.execute(select(Location.code, func.count()).join(Prisoner, Prisoner.cell_id == Location.id).group_by(Location.code)).all()
        assert sum(n for _, n in housed) == 10 and all(n <= 4 for _, n in housed)
        assert {o["pavilion"] for o in done["occupancy"]} == {"P1"}


def test_non_associations_are_enforced_and_imported_all_or_nothing(sessions, arrivals):
    site, men, women = arrivals
    csv_bad = ("prisoner_a,prisoner_b,reason,role_a,role_b,level\n"
               f"{men[0]},{men[1]},gang,victim,perpetrator,landing\n"
               f"{men[1]},{men[0]},violence,unknown,unknown,cell\n"        # the same pair again
               f"{men[2]},{men[2]},threat,unknown,unknown,cell\n"          # self
               f"{men[3]},H9999999Z,threat,unknown,unknown,cell\n"         # unknown
               f"{men[4]},{men[5]},gossip,unknown,unknown,wing\n")        # bad reason and level
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        na.import_csv(s, f.ACTOR, csv_bad.encode(), "na.csv")
    got = {(d["row"], d["field"]) for d in err.value.details}
    assert {(3, "prisoner_b"), (4, "prisoner_b"), (5, "prisoner_b"), (6, "reason"), (6, "level")} <= got
    ext = None
    with sessions() as s:
        ext = s.execute(select(Prisoner).where(Prisoner.prisoner_number == men[3])).scalar_one()
        from habeas.models import CustodyEpisode
        ext_ref = s.get(CustodyEpisode, ext.current_episode_id).source_ref
    ok = ("prisoner_a,prisoner_b,reason,level\n" + f"{men[0]},{men[1]},gang,landing\n" + f"{ext_ref},{men[4]},violence,cell\n")
    with sessions.begin() as s:
        assert na.import_csv(s, f.ACTOR, ok.encode(), "na.csv") == 2
    with pytest.raises(ValidationFailed, match="nothing was recorded") as err, sessions.begin() as s:
        na.import_csv(s, f.ACTOR, ok.encode(), "na.csv")
    assert "already have an open non-association" in str(err.value.details)
    with sessions.begin() as s:
        service.allocate(s, f.ACTOR, "OPS", dry_run=False)
    with sessions() as s:
        get = {n: s.execute(select(Prisoner).where(Prisoner.prisoner_number == n)).scalar_one() for n in men}
        landing = {n: s.get(Location, get[n].cell_id).parent_id for n in men}
        assert landing[men[0]] != landing[men[1]]
        assert get[men[3]].cell_id != get[men[4]].cell_id
        [rec] = [r for r in na.of_person(s, men[0]) if r["other"] == men[1]]
        assert rec["level"] == "landing" and rec["status"] == "open"


def test_single_move_checks_and_supervised_override(sessions, arrivals):
    site, men, women = arrivals
    with sessions.begin() as s:
        service.allocate(s, f.ACTOR, "OPS", dry_run=False)
        a = s.execute(select(Prisoner).where(Prisoner.prisoner_number == men[0])).scalar_one()
        b = s.execute(select(Prisoner).where(Prisoner.prisoner_number == men[1])).scalar_one()
        b_cell = s.get(Location, b.cell_id).code
        na.add(s, f.ACTOR, na.PairIn(men[0], men[1], "threat", "victim", "perpetrator", "cell", "threatened on the landing"))
    with pytest.raises(Conflict) as err, sessions.begin() as s:
        service.move_to_cell(s, f.ACTOR, men[0], b_cell, reason="cell change")
    assert err.value.code == "housing_rule" and err.value.details[0]["overridable"]
    with sessions.begin() as s:
        out = service.move_to_cell(s, f.ACTOR, men[0], b_cell, reason="cell change", override_reason="victim asked to stay with his cousin; reviewed by the supervisor")
    assert out["overridden"]
    with sessions() as s:
        ov = s.execute(select(HousingOverride)).scalar_one()
        assert ov.prisoner_id == a.id and "reviewed by the supervisor" in ov.reason
    with sessions.begin() as s:  # visible on the person's record
        from habeas.prisoners.service import full_record

        rec = full_record(s, f.ACTOR, men[0])
        assert rec["housing_overrides"][0]["reason"].endswith("reviewed by the supervisor")
        assert rec["non_associations"][0]["other"] == men[1]
    with pytest.raises(Conflict) as err, sessions.begin() as s:  # women cannot go to a male pavilion, override or not
        service.move_to_cell(s, f.ACTOR, women[0], "P1-L1-C1", reason="x", override_reason="y")
    assert err.value.code == "housing_refused"


def test_two_allocations_at_once_never_double_book(engine, sessions, arrivals):
    site, men, women = arrivals
    with sessions.begin() as s:  # fill most beds so the two plans compete for the last ones
        extra = book_many(s, f.ACTOR, "OPS", [(None, f.booking()) for _ in range(10)])
        more = numbers(s, extra)
    errors = []

    def run(names):
        try:
            with sessions.begin() as s:
                service.allocate(s, f.ACTOR, "OPS", dry_run=False, arrivals=names)
        except Exception as exc:  # noqa: BLE001 - the test reports what happened
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(men,)), threading.Thread(target=run, args=(more,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with sessions() as s:
        per_cell = s.execute(select(Location.code, Location.working_capacity, func.count()).join(Prisoner, Prisoner.cell_id == Location.id)
                             .group_by(Location.code, Location.working_capacity)).all()
        assert all(n <= cap for _, cap, n in per_cell), per_cell
        assert sum(n for _, _, n in per_cell) == 20
