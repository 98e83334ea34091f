"""Every query of the movements domain: people and places by id, the ledger in time order,
and the point-in-time questions (where was P at T, who was in L at T)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session, aliased

from habeas.db import as_time, fetch_all, in_chunks
from habeas.models import CustodyEpisode, Location, Movement, Prisoner
from habeas.movements.ledger import STAYS_AT, stays_at_params


def _chunked(session: Session, model, column, values: Iterable) -> list:
    out = []
    for chunk in in_chunks(values):
        out.extend(session.execute(select(model).where(column.in_(chunk))).scalars())
    return out


def people(session: Session, ids: Iterable[int]) -> list[Prisoner]:
    return _chunked(session, Prisoner, Prisoner.id, ids)


class PersonState(NamedTuple):
    """What the movement rules need of one person. Plain tuples, not rows or objects: a batch
    reads thousands, and each attribute of a result row costs ten times a tuple's."""

    id: int
    prisoner_number: str
    in_custody: bool
    current_site_id: int | None
    current_location_id: int | None
    current_episode_id: int | None
    away: str | None
    cell_id: int | None
    last_movement_id: int | None
    last_moved_at: datetime | None


_STATE = ("SELECT p.id, p.prisoner_number, p.in_custody, p.current_site_id, q.current_location_id, p.current_episode_id, q.away, q.cell_id, "
          "q.last_movement_id, q.last_moved_at FROM prisoners p JOIN positions q ON q.prisoner_id = p.id WHERE p.id IN ({})")


def people_state(session: Session, ids: Iterable[int]) -> dict[int, PersonState]:
    out = {}
    times: dict = {}  # people moved together share their last movement's time: read once
    for chunk in in_chunks(ids):
        for r in fetch_all(session, _STATE.format(",".join("?" * len(chunk))), chunk):
            last = times.get(r[9])
            if last is None:
                last = times[r[9]] = as_time(r[9])
            out[r[0]] = PersonState(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], last)
    return out


def admitted_at(session: Session, episode_ids: Iterable[int]) -> dict[int, datetime]:
    out = {}
    for chunk in in_chunks(i for i in set(episode_ids) if i is not None):
        out.update(session.execute(select(CustodyEpisode.id, CustodyEpisode.admitted_at).where(CustodyEpisode.id.in_(chunk))).all())
    return out


class PlaceState(NamedTuple):
    """What the movement rules need of one destination (see :class:`PersonState`)."""

    id: int
    site_id: int
    code: str
    type: str
    active: bool
    in_service: bool
    service_note: str | None
    max_capacity: int
    parent_id: int | None


_PLACE = "SELECT id, site_id, code, type, active, in_service, service_note, max_capacity, parent_id FROM locations WHERE id IN ({})"


def locations(session: Session, ids: Iterable[int]) -> list[PlaceState]:
    out: list[PlaceState] = []
    for chunk in in_chunks(ids):
        out.extend(PlaceState(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), r[6], r[7], r[8])
                   for r in fetch_all(session, _PLACE.format(",".join("?" * len(chunk))), chunk))
    return out


_from = aliased(Location)
_to = aliased(Location)


def _with_codes():
    return (select(Movement, _from.code, _to.code)
            .outerjoin(_from, _from.id == Movement.from_location_id)
            .outerjoin(_to, _to.id == Movement.to_location_id))


def last_movement_at(session: Session, prisoner_id: int, at: datetime):
    """The person's last movement at or before ``at`` in ledger order, with location codes, or None."""
    return session.execute(
        _with_codes().where(Movement.prisoner_id == prisoner_id, Movement.moved_at <= at)
        .order_by(Movement.moved_at.desc(), Movement.id.desc()).limit(1)
    ).first()


def timeline(session: Session, prisoner_id: int, *, since: datetime | None = None, until: datetime | None = None,
             limit: int = 500, offset: int = 0) -> list:
    q = _with_codes().where(Movement.prisoner_id == prisoner_id)
    if since is not None:
        q = q.where(Movement.moved_at >= since)
    if until is not None:
        q = q.where(Movement.moved_at <= until)
    return list(session.execute(q.order_by(Movement.moved_at, Movement.id).offset(offset).limit(limit)).all())


def occupants_at(session: Session, location_ids: list[int], at: datetime) -> list[tuple[int, int, datetime]]:
    """(prisoner_id, location_id, since) of everyone in one of the locations at ``at``."""
    if not location_ids:
        return []
    out = []
    for chunk in in_chunks(location_ids, 400):
        out.extend((r.prisoner_id, r.location_id, r.start_at)
                   for r in session.execute(STAYS_AT, stays_at_params(chunk, at)))
    return out


_stays_sq = STAYS_AT.subquery("s")
OCCUPANTS_AT = (select(Prisoner.id, Prisoner.prisoner_number, Prisoner.surname, Prisoner.given_names, _stays_sq.c.location_id,
                       _stays_sq.c.start_at).select_from(_stays_sq).join(Prisoner, Prisoner.id == _stays_sq.c.prisoner_id))


def occupants_with_names(session: Session, location_ids: list[int], at: datetime) -> list[Row]:
    """(id, prisoner_number, surname, given_names, location_id, start_at) of everyone in the locations at ``at``."""
    out: list[Row] = []
    for chunk in in_chunks(location_ids, 400):
        out.extend(session.execute(OCCUPANTS_AT, stays_at_params(chunk, at)).all())
    return out


def names(session: Session, ids: Iterable[int]) -> dict[int, Row]:
    """(id, prisoner_number, surname, given_names) by id."""
    out = {}
    for chunk in in_chunks(ids):
        out.update((r.id, r) for r in session.execute(select(Prisoner.id, Prisoner.prisoner_number, Prisoner.surname, Prisoner.given_names)
                                                      .where(Prisoner.id.in_(chunk))))
    return out


def movements_after(session: Session, site_id: int, mark: int, *, until: datetime | None = None) -> list[Movement]:
    """Movements of the site recorded after movement ``mark`` (ids grow in recording order)."""
    q = select(Movement).where(Movement.id > mark, Movement.site_id == site_id)
    if until is not None:
        q = q.where(Movement.recorded_at <= until)
    return list(session.execute(q.order_by(Movement.moved_at, Movement.id)).scalars())


def ledger_mark(session: Session) -> int:
    return session.execute(select(func.coalesce(func.max(Movement.id), 0))).scalar_one()


def count_since(session: Session, site_id: int, kinds: Iterable[str], since: datetime) -> int:
    """How many movements of these kinds the site recorded since ``since``."""
    return session.execute(select(func.count()).select_from(Movement).where(
        Movement.site_id == site_id, Movement.moved_at >= since, Movement.kind.in_(list(kinds)))).scalar_one()


def waiting_in(session: Session, location_ids: list[int], *, limit: int = 50) -> list[Row]:
    """People now in these locations, longest there first: (prisoner_number, surname, given_names, since)."""
    if not location_ids:
        return []
    return list(session.execute(
        select(Prisoner.prisoner_number, Prisoner.surname, Prisoner.given_names, Prisoner.last_moved_at)
        .where(Prisoner.current_location_id.in_(location_ids), Prisoner.in_custody.is_(True))
        .order_by(Prisoner.last_moved_at, Prisoner.id).limit(limit)).all())
