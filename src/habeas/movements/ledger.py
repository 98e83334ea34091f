"""Writing the movement ledger. Every path that moves a person (intake, internal moves, court
and hospital trips, transfers, releases, deaths, corrections) appends here, so the ledger, the
derived stays and each person's current location always agree within one transaction.

Order: the ledger is ordered by (moved_at, id). A person's current location is the destination
of their last movement in that order. A movement dated before the person's last one (a late
correction) is inserted in its place: the person's stays and current state are then rebuilt
from the ledger.

Stays: each movement into a location opens a stay [moved_at, next movement's moved_at). A stay
still open is the person's current location (``positions.current_location_id`` since
``last_moved_at``); the next movement closes it into ``location_stays``, one row written and
nothing updated. A closed stay's length is bucketed into ``span_level`` (a stay of level k lasts
at most 4**k seconds), so "who was in L at T" needs, per level, only the stays that started
within 4**k seconds before T: a bounded range scan of an ordinary B-tree index, on SQLite and
PostgreSQL alike, plus the people in L now who arrived by T."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select, union_all, update
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.db import bulk_insert, bulk_update, fetch_all, in_chunks, reserve_ids, time_param
from habeas.kit.context import Actor
from habeas.models import Location, LocationStay, Movement, Site, positions_table
from habeas.prisoners import repository as prisoners_repo

MAX_LEVEL = 17  # 4**17 s is about 545 years: longer than any stay
LEVEL_SECONDS = [4**k for k in range(MAX_LEVEL + 1)]

MOVEMENT_COLUMNS = (("id", "bigint"), ("prisoner_id", "bigint"), ("episode_id", "bigint"), ("site_id", "bigint"),
                    ("from_location_id", "bigint"), ("to_location_id", "bigint"), ("kind", "text"), ("reason", "text"),
                    ("escort", "text"), ("destination", "text"), ("corrects_id", "bigint"), ("correction", "boolean"),
                    ("moved_at", "timestamp"), ("recorded_at", "timestamp"), ("recorded_by", "text"))
POSITION_COLUMNS = (("current_location_id", "bigint"), ("away", "text"), ("last_movement_id", "bigint"), ("last_moved_at", "timestamp"),
                    ("cell_id", "bigint"))

_stays = LocationStay.__table__
_moves = Movement.__table__
_positions = positions_table


def span_level(start: datetime, end: datetime) -> int:
    """The smallest k with 4**k seconds at least the stay's length (MAX_LEVEL at most)."""
    return min(bisect_left(LEVEL_SECONDS, (end - start).total_seconds()), MAX_LEVEL)


NOT_READ = object()


@dataclass(slots=True)
class Entry:
    """One validated movement to append. Times are naive UTC (database time)."""

    prisoner_id: int
    prisoner_number: str
    episode_id: int | None
    site_id: int
    from_location_id: int | None
    to_location_id: int | None
    kind: str
    reason: str
    moved_at: datetime
    escort: str | None = None
    destination: str | None = None
    corrects_id: int | None = None
    correction: bool = False
    away: str | None = None  # the person's state outside the site after this movement
    cell_id: int | None = None  # the person's housing cell after this movement
    # and before it, when the caller read it: the cell is then written only if it changes
    from_cell_id: int | None | object = NOT_READ
    # The person's latest movement before this one (from the prisoner row).
    last_movement_id: int | None = None
    last_moved_at: datetime | None = None


def append(session: Session, actor: Actor, entries: Sequence[Entry], *, now: datetime, codes: dict[int, str] | None = None,
           audit: bool = True) -> list[int]:
    """Write the movements, their stays and the people's current state. One entry per person.
    Returns the new movement ids in the order of ``entries``."""
    if not entries:
        return []
    ids = reserve_ids(session, _moves, len(entries))
    t = time_param(session)
    at_now = t(now)
    user = actor.username
    moves, stays, moved, rehoused, late = [], [], [], [], []
    levels: dict[tuple[datetime, datetime], int] = {}  # people moved together share both instants
    for e, mid in zip(entries, ids, strict=True):
        when = t(e.moved_at)
        moves.append((mid, e.prisoner_id, e.episode_id, e.site_id, e.from_location_id, e.to_location_id, e.kind, e.reason, e.escort,
                      e.destination, e.corrects_id, e.correction, when, at_now, user))
        if e.last_moved_at is not None and e.moved_at < e.last_moved_at:
            late.append(e)  # dated before the person's last movement: their history is rebuilt below
            continue
        if e.last_movement_id is not None:
            level = levels.get((e.last_moved_at, e.moved_at))
            if level is None:
                level = levels[e.last_moved_at, e.moved_at] = span_level(e.last_moved_at, e.moved_at)
            stays.append((e.last_movement_id, when, level))
        # The housing cell is written only where it changes (most movements leave it as it is),
        # so its index is left alone for everyone else.
        if e.cell_id != e.from_cell_id:
            rehoused.append((e.to_location_id, e.away, mid, when, e.cell_id, e.prisoner_id))
        else:
            moved.append((e.to_location_id, e.away, mid, when, e.prisoner_id))
    bulk_insert(session, "movements", MOVEMENT_COLUMNS, moves)
    _close_stays(session, stays)
    bulk_update(session, "positions", ("prisoner_id", "bigint"), POSITION_COLUMNS, rehoused)
    bulk_update(session, "positions", ("prisoner_id", "bigint"), POSITION_COLUMNS[:-1], moved)
    for e in late:
        rebuild_person(session, e.prisoner_id)

    if audit:
        if codes is None:
            wanted = {i for e in entries for i in (e.from_location_id, e.to_location_id) if i is not None}
            codes = location_codes(session, wanted)
        _audit(session, actor, entries, ids, codes)
    prisoners_repo.expire_loaded(session, {e.prisoner_id for e in entries}, prisoners_repo.POSITION)
    return ids


def _close_stays(session: Session, rows: list[tuple]) -> None:
    """End the stays opened by movements (id, end, span level): each is written from its opening
    movement in the ledger, so a stay is always where that movement put the person. A movement
    that left the site opened no stay."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO location_stays (movement_id, prisoner_id, site_id, location_id, start_at, end_at, span_level) "
                             "SELECT id, prisoner_id, site_id, to_location_id, moved_at, ?, ? FROM movements WHERE id = ? AND to_location_id IS NOT NULL",
                             [(end, level, mid) for mid, end, level in rows])
        return
    conn.exec_driver_sql("INSERT INTO location_stays (movement_id, prisoner_id, site_id, location_id, start_at, end_at, span_level) "
                         "SELECT m.id, m.prisoner_id, m.site_id, m.to_location_id, m.moved_at, v.end_at, v.span_level "
                         "FROM unnest(%s::bigint[], %s::timestamp[], %s::integer[]) AS v(id, end_at, span_level) "
                         "JOIN movements m ON m.id = v.id WHERE m.to_location_id IS NOT NULL",
                         tuple(list(col) for col in zip(*rows, strict=True)))


AUDIT_COLUMNS = ("movement", "prisoner", "kind", "from", "to", "moved_at", "reason", "escort", "destination", "correction", "corrects")


def _audit(session: Session, actor: Actor, entries: Sequence[Entry], ids: list[int], codes: dict[int, str]) -> None:
    """One audit event per call: a single movement is an event on the person; a batch is one
    event on the site listing every movement it wrote (so a batch of thousands hashes once)."""
    iso: dict[datetime, str] = {}
    rows = [[mid, e.prisoner_number, e.kind, codes.get(e.from_location_id) if e.from_location_id else None,
             codes.get(e.to_location_id) if e.to_location_id else None,
             iso.get(e.moved_at) or iso.setdefault(e.moved_at, e.moved_at.isoformat(timespec="microseconds")), e.reason, e.escort, e.destination,
             e.correction, e.corrects_id] for e, mid in zip(entries, ids, strict=True)]
    if len(rows) == 1:
        e, row = entries[0], rows[0]
        after = {k: v for k, v in zip(AUDIT_COLUMNS, row, strict=True) if k not in ("prisoner", "kind", "from") and v not in (None, False)}
        record(session, actor, f"movement.{e.kind}", "prisoner", e.prisoner_number, before={"location": row[3]}, after=after)
        return
    site = session.get(Site, entries[0].site_id)
    record(session, actor, "movement.batch", "site", site.code if site else entries[0].site_id,
           after={"count": len(rows), "columns": list(AUDIT_COLUMNS), "rows": rows}, native=True)


def location_codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in in_chunks(ids):
        out.update(fetch_all(session, f"SELECT id, code FROM locations WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    return out


def rebuild_person(session: Session, prisoner_id: int) -> None:
    """Re-derive one person's stays and current state from the ledger (after a late entry).

    Stays are an index over the ledger, not a record: replacing them loses nothing."""
    conn = session.connection()
    moves = conn.execute(
        select(_moves.c.id, _moves.c.site_id, _moves.c.to_location_id, _moves.c.moved_at, _moves.c.kind)
        .where(_moves.c.prisoner_id == prisoner_id).order_by(_moves.c.moved_at, _moves.c.id)).all()
    conn.execute(delete(_stays).where(_stays.c.movement_id.in_([m.id for m in moves])))
    stays = []
    for i, m in enumerate(moves[:-1]):  # the last movement's stay is still open: the current location
        if m.to_location_id is None:
            continue
        end = moves[i + 1].moved_at
        stays.append({"movement_id": m.id, "prisoner_id": prisoner_id, "site_id": m.site_id, "location_id": m.to_location_id,
                      "start_at": m.moved_at, "end_at": end, "span_level": span_level(m.moved_at, end)})
    if stays:
        conn.execute(_stays.insert(), stays)
    if moves:
        last = moves[-1]
        types = dict(conn.execute(select(Location.id, Location.type).where(Location.id.in_({m.to_location_id for m in moves if m.to_location_id}))).all())
        cell = None
        for m in moves:
            if m.kind in DISCHARGES or m.kind == "transfer_out":
                cell = None
            elif types.get(m.to_location_id) == "cell":
                cell = m.to_location_id
        conn.execute(update(_positions).where(_positions.c.prisoner_id == prisoner_id).values(
            current_location_id=last.to_location_id, away=away_after(last.kind, last.to_location_id), cell_id=cell,
            last_movement_id=last.id, last_moved_at=last.moved_at))
    prisoners_repo.expire_loaded(session, {prisoner_id}, prisoners_repo.POSITION)


# Movements that end custody at the site (the episode closes). A transfer between sites does not:
# the person is in transit, still held, until checked in at the destination.
DISCHARGES = ("release", "death", "handover")
AWAY_KINDS = {"court": "court", "hospital": "hospital", "escape": "escaped", "other_out": "out", "transfer_out": "transit"}


def away_after(kind: str, to_location_id: int | None) -> str | None:
    """The state outside the site a movement leaves a person in (None when inside or discharged)."""
    if to_location_id is not None:
        return None
    return AWAY_KINDS.get(kind)


# --- point in time -------------------------------------------------------------------------

def _stays_at_statement():
    cols = (_stays.c.prisoner_id, _stays.c.location_id, _stays.c.start_at, _stays.c.movement_id)
    loc = _stays.c.location_id.in_(bindparam("ids", expanding=True))
    at = bindparam("at")
    # stays still open: the people there now, since their last movement
    parts = [select(_positions.c.prisoner_id, _positions.c.current_location_id.label("location_id"),
                    _positions.c.last_moved_at.label("start_at"), _positions.c.last_movement_id.label("movement_id"))
             .where(_positions.c.current_location_id.in_(bindparam("ids", expanding=True)), _positions.c.last_moved_at <= at)]
    for k in range(len(LEVEL_SECONDS)):
        parts.append(select(*cols).where(loc, _stays.c.span_level == k, _stays.c.start_at >= bindparam(f"lo{k}"),
                                         _stays.c.start_at <= at, _stays.c.end_at > at))
    return union_all(*parts)


# Built once: each query binds the locations and the instant (the compiled form is cached).
STAYS_AT = _stays_at_statement()
_FLOOR = datetime(1900, 1, 1)


def stays_at_params(location_ids: Sequence[int], at: datetime) -> dict:
    """Parameters of :data:`STAYS_AT`: every stay in one of ``location_ids`` that contains ``at``."""
    params = {"ids": list(location_ids), "at": at}
    for k, seconds in enumerate(LEVEL_SECONDS):
        params[f"lo{k}"] = max(at - timedelta(seconds=seconds), _FLOOR)
    return params
