"""The movement ledger's rules: who may be moved where and when.

Every change of location is a movement appended through :mod:`habeas.movements.ledger`; the
current location is derived from the ledger in the same transaction. Nothing is edited: a
mistake is put right by a compensating movement marked as a correction, with its reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock, collector
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, NotFound, ValidationFailed
from habeas.models import CustodyEpisode, Location, Movement, Prisoner, prisoners_table
from habeas.movements import ledger
from habeas.movements import repository as repo
from habeas.prisoners import repository as prisoners_repo
from habeas.sites import repository as sites_repo

# Kinds a caller may record directly. Admission, transfers, release and death have their own
# flows (intake, transfers, release, incidents), which append through the same ledger.
INSIDE_KINDS = ("internal", "return")
OUT_KINDS = ("court", "hospital", "other_out")
KINDS = INSIDE_KINDS + OUT_KINDS
DISCHARGE_KINDS = ledger.DISCHARGES
PLACE_TYPES = ("cell", "reception", "video_link_room", "visits_room", "exercise_area", "medical_unit", "room")
# A movement may be recorded a little after it happened; beyond this it is a late entry.
FUTURE_TOLERANCE = timedelta(minutes=2)


@dataclass(frozen=True)
class MoveRequest:
    prisoner_id: int
    to_location_id: int | None
    reason: str
    kind: str = "internal"
    moved_at: datetime | None = None
    escort: str | None = None
    destination: str | None = None
    correction: bool = False
    corrects_id: int | None = None


@collector.paused()  # a batch of thousands makes tens of thousands of objects, and no cycles
def move_many(session: Session, actor: Actor, site_id: int, moves: list[MoveRequest], *, check_capacity: bool = True) -> list[int]:
    """Validate and write a batch of movements in one go: all or nothing. Returns the movement ids.

    Refused (every problem is reported, by row): a person not in custody at this site; a
    destination that is not an active, in-service place of the site (a cell, reception or room);
    a kind that does not fit the person's state (an internal move of someone at court, a return
    of someone inside); a time in the future, or before the person's last movement unless the
    movement is a correction with a reason; and any move that would put a location above its
    max capacity."""
    if not moves:
        return []
    ids = [m.prisoner_id for m in moves]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("a person appears twice in one batch of movements", code="duplicate_move")
    people = repo.people_state(session, ids)
    locs = {loc.id: loc for loc in repo.locations(session, {m.to_location_id for m in moves if m.to_location_id is not None})}
    now = clock.now()
    now_db = clock.db_time(now)
    issues = IssueList()
    closed = sites_repo.closed_at_site(session, site_id)
    entries: list[ledger.Entry] = []
    times: dict[datetime, datetime] = {}  # a batch mostly shares one instant: converted once
    for i, m in enumerate(moves):
        p = people.get(m.prisoner_id)
        if p is None or not p.in_custody or p.current_site_id != site_id:
            issues.add("not in custody at this site", field="prisoner", row=i)
            continue
        if not m.reason or not m.reason.strip():
            issues.add("a movement needs a reason", field="reason", row=i)
        if m.kind not in KINDS:
            issues.add(f"kind must be one of {', '.join(KINDS)}, not {m.kind!r}", field="kind", row=i)
            continue
        inside = m.kind in INSIDE_KINDS
        loc = locs.get(m.to_location_id) if inside and m.to_location_id is not None else None
        if inside:
            if loc is None or loc.site_id != site_id or not loc.active:
                issues.add("no such active location at this site", field="to_location", row=i)
            elif loc.type not in PLACE_TYPES:
                issues.add(f"{loc.code} is a {loc.type}: move people to a cell, reception or room", field="to_location", row=i)
            elif not loc.in_service:
                issues.add(f"{loc.code} is out of service{': ' + loc.service_note if loc.service_note else ''}", field="to_location", row=i)
            elif loc.id in closed:
                above = sites_repo.ancestors_closed(session, loc)
                issues.add(f"{loc.code} is in {above.code}, which is out of service{': ' + above.service_note if above.service_note else ''}",
                           field="to_location", row=i)
        else:
            if m.to_location_id is not None:
                issues.add(f"a {m.kind} movement leaves the site: give a destination, not a location", field="to_location", row=i)
            if not m.destination:
                issues.add(f"a {m.kind} movement needs its destination (the court, the hospital)", field="destination", row=i)
        if not m.correction:
            if m.kind == "return" and p.away is None:
                issues.add(f"{p.prisoner_number} is inside the site: a return needs someone out at court or hospital", field="kind", row=i)
            if m.kind != "return" and p.away is not None:
                issues.add(f"{p.prisoner_number} is out of the site ({p.away}): record their return first", field="kind", row=i)
            if m.kind == "internal" and m.to_location_id == p.current_location_id:
                issues.add(f"{p.prisoner_number} is already there", field="to_location", row=i)
        if m.moved_at is None:
            at = now_db
        else:
            at = times.get(m.moved_at)
            if at is None:
                at = times[m.moved_at] = clock.db_time(m.moved_at)
        if at > now_db + FUTURE_TOLERANCE:
            issues.add(f"moved_at {at:%Y-%m-%d %H:%M} is in the future", field="moved_at", row=i)
        last = p.last_moved_at
        if last is not None and at < last and not m.correction:
            issues.add(f"moved_at {at:%Y-%m-%d %H:%M:%S} is before {p.prisoner_number}'s last movement ({last:%Y-%m-%d %H:%M:%S}): "
                       "record it as a correction, with the reason", field="moved_at", row=i)
        if m.corrects_id is not None and not m.correction:
            issues.add("naming the movement corrected makes this a correction: set correction", field="corrects", row=i)
        to = m.to_location_id if inside else None
        entries.append(ledger.Entry(
            prisoner_id=p.id, prisoner_number=p.prisoner_number, episode_id=p.current_episode_id, site_id=site_id,
            from_location_id=p.current_location_id, to_location_id=to,
            kind=m.kind, reason=(m.reason or "").strip(), moved_at=at, escort=m.escort, destination=m.destination,
            corrects_id=m.corrects_id, correction=m.correction, away=ledger.away_after(m.kind, to),
            cell_id=to if loc is not None and loc.type == "cell" else p.cell_id, from_cell_id=p.cell_id,
            last_movement_id=p.last_movement_id, last_moved_at=p.last_moved_at,
        ))
    _check_corrected(session, issues, moves)
    _check_episode_start(session, issues, entries, people)
    issues.raise_if_any("movements refused")
    if check_capacity:
        _check_capacity(session, site_id, entries, locs)
    return ledger.append(session, actor, entries, now=now_db)


def _check_corrected(session: Session, issues: IssueList, moves: list[MoveRequest]) -> None:
    named = {m.corrects_id for m in moves if m.corrects_id is not None}
    if not named:
        return
    owners = dict(session.execute(select(Movement.id, Movement.prisoner_id).where(Movement.id.in_(named))).all())
    for i, m in enumerate(moves):
        if m.corrects_id is not None and owners.get(m.corrects_id) != m.prisoner_id:
            issues.add(f"movement {m.corrects_id} is not a movement of this person", field="corrects", row=i)


def _check_episode_start(session: Session, issues: IssueList, entries: list[ledger.Entry], people) -> None:
    """A movement in ledger order follows the admission (itself a movement); a correction dated
    before the person's last movement must still follow the admission."""
    early = [e for e in entries if e.last_moved_at is not None and e.moved_at < e.last_moved_at]
    if not early:
        return
    episodes = repo.admitted_at(session, (e.episode_id for e in early))
    for i, e in enumerate(entries):
        admitted = episodes.get(e.episode_id)
        if admitted is not None and e.moved_at < admitted:
            issues.add(f"moved_at {e.moved_at:%Y-%m-%d %H:%M} is before {e.prisoner_number}'s admission ({admitted:%Y-%m-%d %H:%M})",
                       field="moved_at", row=i)


def _check_capacity(session: Session, site_id: int, entries: list[ledger.Entry], locs: dict[int, Location]) -> None:
    occ = Counter(sites_repo.occupancy_of(session, locs))
    for e in entries:
        if e.from_location_id is not None:
            occ[e.from_location_id] -= 1
        if e.to_location_id is not None:
            occ[e.to_location_id] += 1
    over = [(loc, occ[loc.id]) for loc in locs.values() if occ[loc.id] > loc.max_capacity]
    if over:
        loc, n = over[0]
        raise Conflict(f"{loc.code} would hold {n}, above its max capacity {loc.max_capacity}", code="over_max_capacity",
                       details=[{"location": lo.code, "would_hold": k, "max_capacity": lo.max_capacity} for lo, k in over])


def discharge(session: Session, actor: Actor, prisoner: Prisoner, kind: str, *, reason: str, moved_at: datetime | None = None,
              destination: str | None = None) -> int:
    """The person leaves custody (release, death, handover to another authority): the last movement
    of the episode, which is closed. The flows that decide it (release, incident) call this."""
    if kind not in DISCHARGE_KINDS:
        raise ValueError(kind)
    if not prisoner.in_custody:
        raise Conflict(f"{prisoner.prisoner_number} is not in custody", code="not_in_custody")
    now_db = clock.db_time(clock.now())
    at = clock.db_time(moved_at) if moved_at else now_db
    if prisoner.last_moved_at is not None and at < prisoner.last_moved_at:
        raise ValidationFailed(f"{kind} at {at:%Y-%m-%d %H:%M} is before {prisoner.prisoner_number}'s last movement "
                               f"({prisoner.last_moved_at:%Y-%m-%d %H:%M})", code="out_of_order", details=[{"field": "moved_at"}])
    site_id, episode_id, number = prisoner.current_site_id, prisoner.current_episode_id, prisoner.prisoner_number
    entry = ledger.Entry(
        prisoner_id=prisoner.id, prisoner_number=number, episode_id=episode_id, site_id=site_id,
        from_location_id=prisoner.current_location_id, to_location_id=None, kind=kind, reason=reason, moved_at=at,
        destination=destination, last_movement_id=prisoner.last_movement_id, last_moved_at=prisoner.last_moved_at)
    [mid] = ledger.append(session, actor, [entry], now=now_db)
    p = session.get(Prisoner, entry.prisoner_id)
    p.in_custody = False
    p.current_location_id = None
    p.away = None
    p.cell_id = None
    p.updated_at = now_db
    if episode_id is not None:
        ep = session.get(CustodyEpisode, episode_id)
        ep.status = "closed"
        ep.released_at = at
        record(session, actor, "custody.episode_closed", "prisoner", number, after={"episode": episode_id, "by": kind, "at": at})
    session.flush()
    return mid


def set_in_service(session: Session, actor: Actor, site_id: int, code: str, in_service: bool, note: str | None) -> Location:
    """Take a location out of service (nobody may be moved in) or put it back. People already
    there stay until moved."""
    loc = sites_repo.location_by_code(session, site_id, code)
    if loc is None or not loc.active:
        raise NotFound(f"no active location {code}", code="location_not_found")
    if not in_service and not (note and note.strip()):
        raise ValidationFailed("taking a location out of service needs a reason", code="reason_required", details=[{"field": "note"}])
    before = {"in_service": loc.in_service, "note": loc.service_note}
    loc.in_service = in_service
    loc.service_note = note.strip() if note else None
    loc.updated_at = clock.db_time(clock.now())
    record(session, actor, "location.service", "location", loc.code, before=before, after={"in_service": in_service, "note": loc.service_note})
    session.flush()
    return loc


# --- point in time ---------------------------------------------------------------------------

@dataclass(frozen=True)
class WhereWas:
    prisoner_number: str
    at: datetime
    in_custody: bool
    site_id: int | None
    location: str | None  # location code when inside the site
    away: str | None  # court, hospital, escaped... when out of the site but held
    destination: str | None
    since: datetime | None
    movement_id: int | None
    movement_kind: str | None


def where_was(session: Session, prisoner: Prisoner, at: datetime | None = None) -> WhereWas:
    """Where the person was at ``at`` (now by default), from the ledger alone."""
    when = clock.db_time(at) if at else clock.db_time(clock.now())
    row = repo.last_movement_at(session, prisoner.id, when)
    if row is None:
        return WhereWas(prisoner.prisoner_number, when, False, None, None, None, None, None, None, None)
    m, _from_code, to_code = row
    held = m.kind not in DISCHARGE_KINDS
    return WhereWas(prisoner.prisoner_number, when, held, m.site_id if held else None, to_code,
                    ledger.away_after(m.kind, m.to_location_id) if held else None, m.destination, m.moved_at, m.id, m.kind)


@dataclass(frozen=True)
class Occupant:
    prisoner_id: int
    prisoner_number: str
    surname: str
    given_names: str
    location: str
    since: datetime


def occupants_at(session: Session, site_id: int, location: Location, at: datetime | None = None) -> list[Occupant]:
    """Everyone in ``location`` or anywhere below it (a cell, a landing, a pavilion) at ``at``."""
    when = clock.db_time(at) if at else clock.db_time(clock.now())
    if location.type in PLACE_TYPES:  # nothing below a cell or a room
        codes = {location.id: location.code}
    else:
        codes = sites_repo.subtree_codes(session, site_id, location)
    out = [Occupant(pid, number, surname, given, codes[loc], since)
           for pid, number, surname, given, loc, since in repo.occupants_with_names(session, list(codes), when)]
    out.sort(key=lambda o: (o.location, o.surname.casefold(), o.given_names.casefold(), o.prisoner_number))
    return out


def history(session: Session, prisoner: Prisoner, *, since: datetime | None = None, until: datetime | None = None,
            limit: int = 500, offset: int = 0) -> list[dict]:
    """The person's movements in ledger order, each with where they came from and went to."""
    out = []
    for m, from_code, to_code in repo.timeline(session, prisoner.id, since=since, until=until, limit=limit, offset=offset):
        out.append({"id": m.id, "moved_at": m.moved_at, "kind": m.kind, "from": from_code, "to": to_code,
                    "destination": m.destination, "reason": m.reason, "escort": m.escort, "correction": m.correction,
                    "corrects": m.corrects_id, "recorded_at": m.recorded_at, "recorded_by": m.recorded_by})
    return out


# --- by number and code (what the API and the CLI call) --------------------------------------

def record_movements(session: Session, actor: Actor, site_code: str, items: list) -> list[int]:
    """Record movements given by prisoner number and location code (schemas.MovementIn), all or nothing."""
    from habeas.prisoners.numbers import normalise as normalise_number
    from habeas.sites.service import get_site

    site = get_site(session, site_code)
    numbers = [normalise_number(i.prisoner) for i in items]
    found = prisoners_repo.by_numbers(session, numbers)
    codes = {i.to_location for i in items if i.to_location}
    locs = {loc.code: loc for loc in sites_repo.locations_by_codes(session, site.id, codes)}
    issues = IssueList()
    moves = []
    for row, (item, number) in enumerate(zip(items, numbers, strict=True)):
        p = found.get(number)
        if p is None:
            issues.add(f"no prisoner {item.prisoner!r}", field="prisoner", row=row)
            continue
        loc = locs.get(item.to_location) if item.to_location else None
        if item.to_location and loc is None:
            issues.add(f"no location {item.to_location!r} at site {site.code}", field="to_location", row=row)
            continue
        if loc is not None and loc.type == "cell" and loc.id != p.cell_id and not item.correction:
            issues.add(f"{loc.code} is not {p.prisoner_number}'s cell: a change of cell is a housing move (`habeas housing move`), "
                       "checked against the separation rules and non-associations", field="to_location", row=row)
            continue
        moves.append(MoveRequest(prisoner_id=p.id, to_location_id=loc.id if loc else None, reason=item.reason, kind=item.kind,
                                 moved_at=item.moved_at, escort=item.escort, destination=item.destination,
                                 correction=item.correction, corrects_id=item.corrects))
    issues.raise_if_any("movements refused")
    return move_many(session, actor, site.id, moves)


def where(session: Session, number: str, at: datetime | None = None) -> dict:
    from habeas.prisoners.service import get as get_prisoner

    p = get_prisoner(session, number)
    w = where_was(session, p, at)
    site = sites_repo.site_by_id(session, w.site_id) if w.site_id else None
    return {"prisoner_number": w.prisoner_number, "at": w.at, "in_custody": w.in_custody, "site": site.code if site else None,
            "location": w.location, "away": w.away, "destination": w.destination, "since": w.since, "movement_id": w.movement_id}


def occupants(session: Session, site_code: str, location_code: str, at: datetime | None = None) -> dict:
    from habeas.sites.service import get_site

    site = get_site(session, site_code)
    loc = sites_repo.location_by_code(session, site.id, location_code)
    if loc is None:
        raise NotFound(f"no location {location_code!r} at site {site.code}", code="unknown_location")
    when = clock.db_time(at) if at else clock.db_time(clock.now())
    found = occupants_at(session, site.id, loc, when)
    return {"site": site.code, "location": loc.code, "at": when, "total": len(found),
            "occupants": [{"prisoner_number": o.prisoner_number, "surname": o.surname, "given_names": o.given_names,
                           "location": o.location, "since": o.since} for o in found]}


def movements_of(session: Session, number: str, *, since: datetime | None = None, until: datetime | None = None,
                 limit: int = 500, offset: int = 0) -> list[dict]:
    from habeas.prisoners.service import get as get_prisoner

    p = get_prisoner(session, number)
    return history(session, p, since=clock.db_time(since) if since else None, until=clock.db_time(until) if until else None,
                   limit=limit, offset=offset)


# --- transfers ---------------------------------------------------------------------------------

def transfer_out(session: Session, actor: Actor, prisoner_ids: list[int], *, to: str, at: datetime | None = None) -> list[int]:
    """Check people out of their site on a transfer: they are in transit, still held, on the
    origin's roll as out of the site until they arrive."""
    people = repo.people_state(session, prisoner_ids)
    now_db = clock.db_time(clock.now())
    when = clock.db_time(at) if at else now_db
    entries = []
    for pid in prisoner_ids:
        p = people[pid]
        if not p.in_custody or p.away is not None:
            raise Conflict(f"{p.prisoner_number} is not inside the site", code="not_inside")
        if p.last_moved_at and when < p.last_moved_at:
            raise ValidationFailed(f"departure is before {p.prisoner_number}'s last movement", code="out_of_order",
                                   details=[{"row": None, "field": "at", "message": "too early"}])
        entries.append(ledger.Entry(prisoner_id=pid, prisoner_number=p.prisoner_number, episode_id=p.current_episode_id, site_id=p.current_site_id,
                                    from_location_id=p.current_location_id, to_location_id=None, kind="transfer_out", reason=to, moved_at=when,
                                    destination=to, away="transit", cell_id=None, from_cell_id=p.cell_id, last_movement_id=p.last_movement_id,
                                    last_moved_at=p.last_moved_at))
    return ledger.append(session, actor, entries, now=now_db)


def transfer_in(session: Session, actor: Actor, prisoner_ids: list[int], *, site_id: int, reason: str, at: datetime | None = None) -> list[int]:
    """Check people in at a site's reception (the end of a transfer, or a return to the origin)."""
    from sqlalchemy import update as sa_update

    reception = sites_repo.reception(session, site_id)
    if reception is None:
        raise Conflict("the site has no reception", code="no_reception")
    people = repo.people_state(session, prisoner_ids)
    now_db = clock.db_time(clock.now())
    when = clock.db_time(at) if at else now_db
    here = sites_repo.occupancy_of(session, [reception.id]).get(reception.id, 0)
    if here + len(prisoner_ids) > reception.max_capacity:
        raise Conflict(f"reception {reception.code} holds {here} of {reception.max_capacity}: no room for {len(prisoner_ids)} more",
                       code="reception_full")
    entries = [ledger.Entry(prisoner_id=pid, prisoner_number=people[pid].prisoner_number, episode_id=people[pid].current_episode_id, site_id=site_id,
                            from_location_id=None, to_location_id=reception.id, kind="transfer_in", reason=reason,
                            moved_at=max(when, people[pid].last_moved_at or when), cell_id=None,
                            last_movement_id=people[pid].last_movement_id, last_moved_at=people[pid].last_moved_at) for pid in prisoner_ids]
    ids = ledger.append(session, actor, entries, now=now_db)
    session.execute(sa_update(prisoners_table).where(prisoners_table.c.id.in_(prisoner_ids)).values(current_site_id=site_id))
    prisoners_repo.expire_loaded(session, prisoner_ids, ("current_site_id",))
    return ids
