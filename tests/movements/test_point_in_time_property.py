"""Where-was and who-was, for any history, agree with a plain reading of the ledger.

Random histories of internal moves, court trips and returns, batches of several people at one
instant, and late corrections dated before a person's last movement; then, at many instants, the
answers of ``where_was`` and ``occupants_at`` (stays that ended, plus the people there now) are
compared with the ledger read movement by movement in (moved_at, id) order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from habeas.kit import clock
from habeas.kit.errors import DomainError
from habeas.models import Location, Movement, Prisoner
from habeas.movements import service
from habeas.movements.service import MoveRequest, move_many

from tests import factories as f

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PLACES = ("P1-L1-C1", "P1-L1-C2", "P1-L2-C1", "P1-EX", "MED", "court")

# one step: some minutes later, 1 to 3 people move at the same instant; a correction is dated
# back before the mover's last movement
step = st.tuples(
    st.integers(min_value=0, max_value=90),                       # minutes since the previous step
    st.lists(st.tuples(st.integers(0, 5), st.sampled_from(PLACES)), min_size=1, max_size=3,
             unique_by=lambda m: m[0]),                             # (person, destination)
    st.one_of(st.none(), st.integers(min_value=1, max_value=240)),  # correction: minutes back
)


@pytest.fixture
def ops(sessions):
    return f.booked_ops_site(sessions, at=T0, people=6)


def ledger_location(moves: list[Movement], at: datetime) -> int | None:
    """The destination of the person's last movement at or before ``at`` (None: away or not yet admitted)."""
    where = None
    for m in moves:
        if m.moved_at > at:
            break
        where = m.to_location_id
    return where


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=12), probes=st.lists(st.integers(0, 24 * 60), min_size=3, max_size=8))
def test_point_in_time_answers_match_the_ledger(sessions, ops, steps, probes):
    site, ids = ops
    s = sessions()
    try:
        places = {code: f.loc_id(s, site, code) for code in PLACES if code != "court"}
        now = T0
        for gap, group, back in steps:
            now += timedelta(minutes=gap + 1)
            clock.freeze(now)
            moves = []
            for person, code in group:
                p = s.get(Prisoner, ids[person])
                when = None
                if back is not None:
                    when = max(T0 + timedelta(seconds=30), now - timedelta(minutes=back))
                if p.away is not None and back is None:
                    moves.append(MoveRequest(p.id, places["P1-L1-C1"], "back", kind="return", moved_at=when))
                elif code == "court":
                    moves.append(MoveRequest(p.id, None, "hearing", kind="court", destination="Juzgado 1", moved_at=when, correction=back is not None))
                else:
                    kind = "return" if p.away is not None else "internal"
                    moves.append(MoveRequest(p.id, places[code], "move", kind=kind, moved_at=when, correction=back is not None))
            try:
                with s.begin_nested():
                    move_many(s, f.ACTOR, site.id, moves)
            except DomainError:
                pass  # refused (already there, full, a return of someone inside): nothing written

        ledger = {pid: list(s.execute(select(Movement).where(Movement.prisoner_id == pid)
                                      .order_by(Movement.moved_at, Movement.id)).scalars()) for pid in ids}
        codes = {loc.id: loc.code for loc in s.execute(select(Location).where(Location.site_id == site.id)).scalars()}
        instants = [clock.db_time(T0 + timedelta(minutes=m, seconds=7)) for m in probes]
        instants += [m.moved_at for moves in ledger.values() for m in moves[-3:]]  # on a movement's own instant
        for at in instants:
            truth = {pid: ledger_location(ledger[pid], at) for pid in ids}
            for pid in ids:
                w = service.where_was(s, s.get(Prisoner, pid), clock.from_db(at))
                assert w.location == (codes[truth[pid]] if truth[pid] is not None else None), (pid, at)
            for code, loc_id in places.items():
                there = {o.prisoner_id for o in service.occupants_at(s, site.id, s.get(Location, loc_id), clock.from_db(at))}
                assert there == {pid for pid in ids if truth[pid] == loc_id}, (code, at)
    finally:
        s.rollback()
        s.close()
