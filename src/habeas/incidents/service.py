"""Incidents that change custody outside the normal flow. Each is recorded with its movement in
the same transaction: an escape takes the person out of the site (still held: unlawfully at
large), a recapture brings them back, a death ends the custody episode."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.models import Incident, Prisoner
from habeas.movements import service as movements
from habeas.prisoners.service import get as get_prisoner
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site

KINDS = ("escape", "recapture", "death", "other")


def record_incident(session: Session, actor: Actor, site_code: str, *, kind: str, description: str, prisoner: str | None = None,
                    occurred_at: datetime | None = None, location: str | None = None) -> Incident:
    site = get_site(session, site_code)
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", code="validation_failed", details=[{"field": "kind"}])
    if not description or not description.strip():
        raise ValidationFailed("an incident needs a description", code="validation_failed", details=[{"field": "description"}])
    if kind != "other" and not prisoner:
        raise ValidationFailed(f"an incident of kind {kind} names the prisoner", code="validation_failed", details=[{"field": "prisoner"}])
    now = clock.db_time(clock.now())
    at = clock.db_time(occurred_at) if occurred_at else now
    if at > now + movements.FUTURE_TOLERANCE:
        raise ValidationFailed("occurred_at is in the future", code="validation_failed", details=[{"field": "occurred_at"}])
    p = get_prisoner(session, prisoner) if prisoner else None
    if p is not None and (not p.in_custody or p.current_site_id != site.id):
        raise Conflict(f"{p.prisoner_number} is not in custody at {site.code}", code="not_in_custody")
    # A late report is a correction of the ledger, and says so.
    late = p is not None and p.last_moved_at is not None and at < p.last_moved_at
    movement_id = None
    if kind == "escape":
        if p.away == "escaped":
            raise Conflict(f"{p.prisoner_number} is already recorded as escaped", code="already_escaped")
        [movement_id] = _escape(session, actor, site.id, p, at, description, late)
    elif kind == "recapture":
        if p.away != "escaped":
            raise Conflict(f"{p.prisoner_number} is not recorded as escaped", code="not_escaped")
        if not location:
            raise ValidationFailed("a recapture names the location the person is brought to", code="validation_failed",
                               details=[{"field": "location"}])
        loc = sites_repo.location_by_code(session, site.id, location)
        if loc is None:
            raise ValidationFailed(f"no location {location!r} at {site.code}", code="validation_failed", details=[{"field": "location"}])
        if loc.type == "cell" and loc.id != p.cell_id:
            raise ValidationFailed(f"{loc.code} is not {p.prisoner_number}'s cell: bring them to reception or their own cell; "
                                   "a new cell is a housing move", code="validation_failed", details=[{"field": "location"}])
        [movement_id] = movements.move_many(session, actor, site.id, [movements.MoveRequest(
            prisoner_id=p.id, to_location_id=loc.id, kind="return", reason=f"recaptured: {description}", moved_at=at, correction=late)])
    elif kind == "death":
        movement_id = movements.discharge(session, actor, p, "death", reason=description, moved_at=at)
    inc = Incident(site_id=site.id, prisoner_id=p.id if p else None, kind=kind, occurred_at=at, description=description.strip(),
                   movement_id=movement_id, recorded_at=now, recorded_by=actor.username)
    session.add(inc)
    session.flush()
    record(session, actor, f"incident.{kind}", "incident", inc.id, after={
        "site": site.code, "prisoner": p.prisoner_number if p else None, "occurred_at": at, "description": inc.description,
        "movement": movement_id})
    return inc


def _escape(session: Session, actor: Actor, site_id: int, p, at: datetime, description: str, late: bool) -> list[int]:
    from habeas.movements import ledger

    entry = ledger.Entry(prisoner_id=p.id, prisoner_number=p.prisoner_number, episode_id=p.current_episode_id, site_id=site_id,
                         from_location_id=p.current_location_id, to_location_id=None, kind="escape", reason=description, moved_at=at,
                         correction=late, away="escaped", cell_id=p.cell_id, last_movement_id=p.last_movement_id,
                         last_moved_at=p.last_moved_at)
    return ledger.append(session, actor, [entry], now=clock.db_time(clock.now()))


def list_incidents(session: Session, site_code: str, *, limit: int = 100) -> list[dict]:
    site = get_site(session, site_code)
    rows = session.execute(select(Incident).where(Incident.site_id == site.id).order_by(Incident.occurred_at.desc()).limit(limit)).scalars()
    numbers: dict[int, str] = {}
    out = []
    for inc in rows:
        if inc.prisoner_id and inc.prisoner_id not in numbers:
            numbers[inc.prisoner_id] = session.get(Prisoner, inc.prisoner_id).prisoner_number
        out.append({"id": inc.id, "kind": inc.kind, "prisoner_number": numbers.get(inc.prisoner_id), "occurred_at": inc.occurred_at,
                    "description": inc.description, "movement": inc.movement_id, "recorded_at": inc.recorded_at,
                    "recorded_by": inc.recorded_by})
    return out
