"""The movement ledger: every change of a person's location is an appended movement, and the
current location is updated in the same transaction. (Counts, the roll and point-in-time
queries build on this ledger.)"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, ValidationFailed
from habeas.models import Location, Movement, Prisoner
from habeas.sites import repository as sites_repo


@dataclass(frozen=True)
class MoveRequest:
    prisoner_id: int
    to_location_id: int
    reason: str
    kind: str = "internal"
    moved_at: datetime | None = None
    escort: str | None = None


def move_many(session: Session, actor: Actor, site_id: int, moves: list[MoveRequest]) -> int:
    """Validate and write a batch of internal moves in one go: all or nothing.

    Refused: a person not in custody at this site, a location that is not an active location of
    the site, or a move that would put a location above its max capacity."""
    if not moves:
        return 0
    ids = [m.prisoner_id for m in moves]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("a person appears twice in one batch of moves", code="duplicate_move")
    people = {p.id: p for p in _chunked(session, Prisoner, Prisoner.id, ids)}
    locs = {loc.id: loc for loc in _chunked(session, Location, Location.id, {m.to_location_id for m in moves})}
    issues = IssueList()
    for i, m in enumerate(moves):
        p = people.get(m.prisoner_id)
        if p is None or not p.in_custody or p.current_site_id != site_id:
            issues.add("not in custody at this site", field="prisoner", row=i)
        loc = locs.get(m.to_location_id)
        if loc is None or loc.site_id != site_id or not loc.active:
            issues.add("no such active location at this site", field="to_location", row=i)
    issues.raise_if_any("moves refused")

    occ = Counter(sites_repo.occupancy(session, site_id))
    for m in moves:
        occ[people[m.prisoner_id].current_location_id] -= 1
        occ[m.to_location_id] += 1
    over = [(loc, occ[loc.id]) for loc in locs.values() if occ[loc.id] > loc.max_capacity]
    if over:
        loc, n = over[0]
        raise Conflict(f"{loc.code} would hold {n}, above its max capacity {loc.max_capacity}", code="over_max_capacity",
                       details=[{"location": lo.code, "would_hold": k, "max_capacity": lo.max_capacity} for lo, k in over])

    now = clock.db_time(clock.now())
    numbers = {p.id: p.prisoner_number for p in people.values()}
    rows = []
    for m in moves:
        p = people[m.prisoner_id]
        rows.append({
            "prisoner_id": p.id, "episode_id": p.current_episode_id, "site_id": site_id, "from_location_id": p.current_location_id,
            "to_location_id": m.to_location_id, "kind": m.kind, "reason": m.reason, "escort": m.escort,
            "moved_at": clock.db_time(m.moved_at) if m.moved_at else now, "recorded_at": now, "recorded_by": actor.username,
        })
    session.execute(insert(Movement), rows)
    session.connection().execute(
        update(Prisoner.__table__).where(Prisoner.__table__.c.id == bindparam("pid")).values(current_location_id=bindparam("loc"), updated_at=now),
        [{"pid": r["prisoner_id"], "loc": r["to_location_id"]} for r in rows],
    )
    codes = {loc.id: loc.code for loc in locs.values()}
    session.expire_all()  # the prisoners were updated in bulk above
    from_codes = {loc.id: loc.code for loc in _chunked(session, Location, Location.id, {r["from_location_id"] for r in rows if r["from_location_id"]})}
    for r in rows:
        record(session, actor, f"movement.{r['kind']}", "prisoner", numbers[r["prisoner_id"]],
               before={"location": from_codes.get(r["from_location_id"])}, after={"location": codes[r["to_location_id"]], "reason": r["reason"], "moved_at": r["moved_at"]})
    return len(rows)


def _chunked(session: Session, model, column, values, size: int = 900):
    values = list(values)
    out = []
    for i in range(0, len(values), size):
        out.extend(session.execute(select(model).where(column.in_(values[i : i + size]))).scalars())
    return out
