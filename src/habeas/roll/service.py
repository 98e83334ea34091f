"""The roll: the live count of a site, from the movement ledger's current state.

Definitions (DESIGN.md "Roll"):
- population: everyone held at the site, inside it or temporarily out (court, hospital, escaped);
- current roll: everyone physically inside the site now;
- in cell: in a cell (any use); out of cell: inside the site but not in a cell (rooms, reception);
- arrived today: admissions, transfers in, and returns of people who left on an earlier day;
- out today: people who left the site today (temporarily or for good);
- out and back: people who left today and are back inside now;
- unlock roll = current roll - arrived today + out today - out and back: who was inside at the
  start of the day;
- working capacity, net vacancies (working - people housed), occupants above cna and floor area
  per person are over cells.
"today" is the site's calendar day in its own time zone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.db import fetch_all, in_chunks
from habeas.kit import clock
from habeas.models import Movement, Prisoner
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site

ARRIVAL_KINDS = ("admission", "transfer_in")  # a transfer_in back to the origin is also an arrival
LEAVING_KINDS = ("court", "hospital", "other_out", "escape", "release", "transfer_out", "death", "handover")


@dataclass
class RollLine:
    """One location of the roll with everything below it summed."""

    code: str
    name: str
    type: str
    depth: int
    housed: int = 0  # people whose cell is here
    present: int = 0  # people physically here now
    in_cell: int = 0  # housed here and in their own cell now
    out_of_cell: int = 0  # housed here, elsewhere now (inside the site or out of it)
    cna: int = 0
    working: int = 0
    max: int = 0
    above_cna: int = 0
    floor_area_m2: float = 0.0
    cell_occupants: int = 0  # people physically in the cells below
    out_of_service: int = 0  # cells out of service

    @property
    def net_vacancies(self) -> int:
        return self.working - self.housed

    @property
    def m2_per_person(self) -> float | None:
        return round(self.floor_area_m2 / self.cell_occupants, 2) if self.cell_occupants else None


@dataclass
class Roll:
    site: str
    at: datetime
    day: str
    population: int
    current_roll: int
    in_cell: int
    out_of_cell: int
    in_reception: int
    out_of_site: dict[str, int]
    out_of_cell_where: dict[str, int]
    arrived_today: int
    out_today: int
    out_and_back: int
    unlock_roll: int
    working_capacity: int
    max_capacity: int
    cna: int
    net_vacancies: int
    above_cna: int
    m2_per_person: float | None
    lines: list[RollLine] = field(default_factory=list)


def day_start(tz_name: str, now: datetime) -> datetime:
    """The start of the site's calendar day containing ``now``, as naive UTC."""
    tz = ZoneInfo(tz_name)
    local = clock.to_utc(now).astimezone(tz)
    start = datetime.combine(local.date(), time(0), tzinfo=tz)
    return clock.db_time(start)


def roll(session: Session, site_code: str, *, depth: int | None = 2) -> Roll:
    """The live roll of a site, with one line per location down to ``depth`` (None: every cell)."""
    site = get_site(session, site_code)
    now = clock.now()
    since = day_start(site.timezone, now)
    locs = sites_repo.map_rows(session, site.id)  # the active locations as plain rows: no ORM objects to build
    by_id = {loc.id: loc for loc in locs}

    # one pass over the people held: how many are at each (place now, housing cell, state away)
    present: Counter = Counter()
    away: Counter = Counter()
    housed: Counter = Counter()  # (housing cell, in it now) -> people
    for loc_id, cell_id, away_state, n in fetch_all(
            session, "SELECT q.current_location_id, q.cell_id, q.away, count(*) FROM prisoners p JOIN positions q ON q.prisoner_id = p.id "
            "WHERE p.current_site_id = ? AND p.in_custody = ? "
            "GROUP BY q.current_location_id, q.cell_id, q.away", (site.id, True)):
        if loc_id is None:
            away[away_state] += n
        else:
            present[loc_id] += n
        if cell_id is not None:
            housed[(cell_id, loc_id == cell_id)] += n
    housed_rows = [(cell_id, at_home, n) for (cell_id, at_home), n in housed.items()]

    today = session.execute(
        select(Movement.prisoner_id, Movement.kind, Movement.to_location_id, Movement.moved_at, Movement.id)
        .where(Movement.site_id == site.id, Movement.moved_at >= since).order_by(Movement.moved_at, Movement.id)).all()
    arrived, left = set(), set()
    for pid, kind, _to, _at, _id in today:
        if kind in ARRIVAL_KINDS:
            arrived.add(pid)
        elif kind == "return" and pid not in left:
            arrived.add(pid)  # back from an absence that began before today
        elif kind in LEAVING_KINDS:
            left.add(pid)
    inside_now = set()
    if left:
        ids = list(left)
        for chunk in in_chunks(ids):
            inside_now.update(session.execute(select(Prisoner.id).where(
                Prisoner.id.in_(chunk), Prisoner.current_site_id == site.id, Prisoner.in_custody.is_(True),
                Prisoner.current_location_id.is_not(None))).scalars())

    # lines: every location, then sums up the tree
    closed = sites_repo.closed_ids(locs)
    lines = {loc.id: RollLine(loc.code, loc.name, loc.type, loc.depth) for loc in locs}
    for loc in locs:
        line = lines[loc.id]
        line.present = present.get(loc.id, 0)
        if loc.type == "cell":
            # a cell out of service (itself or its landing, pavilion...) offers no working places
            line.cna, line.working, line.max = loc.cna, 0 if loc.id in closed else loc.working_capacity, loc.max_capacity
            line.cell_occupants = line.present
            line.above_cna = max(0, line.present - loc.cna)
            line.floor_area_m2 = (loc.floor_area_m2 or 0.0) if line.present else 0.0
            line.out_of_service = 1 if loc.id in closed else 0
    for cell_id, at_home, n in housed_rows:
        line = lines.get(cell_id)
        if line is None:
            continue
        line.housed += n
        if at_home:
            line.in_cell += n
        else:
            line.out_of_cell += n
    for loc in sorted(locs, key=lambda lo: -lo.depth):
        parent = lines.get(loc.parent_id) if loc.parent_id else None
        if parent is None:
            continue
        child = lines[loc.id]
        for attr in ("housed", "present", "in_cell", "out_of_cell", "cna", "working", "max", "above_cna", "floor_area_m2",
                     "cell_occupants", "out_of_service"):
            setattr(parent, attr, getattr(parent, attr) + getattr(child, attr))

    cells = [loc for loc in locs if loc.type == "cell"]
    in_cell = sum(present.get(c.id, 0) for c in cells)
    current = sum(present.values())
    in_reception = sum(present.get(loc.id, 0) for loc in locs if loc.type == "reception")
    where = Counter()
    for loc_id, n in present.items():
        loc = by_id.get(loc_id)
        if loc is not None and loc.type != "cell":
            where[loc.code] += n
    floor = sum((c.floor_area_m2 or 0.0) for c in cells if present.get(c.id))
    out_and_back = len(left & inside_now)
    shown = [lines[loc.id] for loc in locs if (depth is None or loc.depth <= depth)]
    return Roll(
        site=site.code, at=clock.db_time(now), day=str(clock.to_utc(now).astimezone(ZoneInfo(site.timezone)).date()),
        population=current + sum(away.values()), current_roll=current, in_cell=in_cell, out_of_cell=current - in_cell,
        in_reception=in_reception, out_of_site={k or "out": v for k, v in sorted(away.items(), key=lambda kv: kv[0] or "")},
        out_of_cell_where=dict(sorted(where.items())), arrived_today=len(arrived), out_today=len(left), out_and_back=out_and_back,
        unlock_roll=current - len(arrived) + len(left) - out_and_back,
        working_capacity=sum(lines[c.id].working for c in cells), max_capacity=sum(c.max_capacity for c in cells),
        cna=sum(c.cna for c in cells), net_vacancies=sum(lines[c.id].working for c in cells) - sum(lines[c.id].housed for c in cells),
        above_cna=sum(lines[c.id].above_cna for c in cells), m2_per_person=round(floor / in_cell, 2) if in_cell else None,
        lines=shown,
    )


def as_dict(r: Roll) -> dict:
    out = {k: getattr(r, k) for k in (
        "site", "at", "day", "population", "current_roll", "in_cell", "out_of_cell", "in_reception", "out_of_site",
        "out_of_cell_where", "arrived_today", "out_today", "out_and_back", "unlock_roll", "working_capacity", "max_capacity",
        "cna", "net_vacancies", "above_cna", "m2_per_person")}
    out["lines"] = [{
        "code": ln.code, "name": ln.name, "type": ln.type, "depth": ln.depth, "housed": ln.housed, "present": ln.present,
        "in_cell": ln.in_cell, "out_of_cell": ln.out_of_cell, "cna": ln.cna, "working": ln.working, "max": ln.max,
        "net_vacancies": ln.net_vacancies, "above_cna": ln.above_cna, "m2_per_person": ln.m2_per_person,
        "out_of_service_cells": ln.out_of_service,
    } for ln in r.lines]
    return out

