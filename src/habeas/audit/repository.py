from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.models import AuditEvent


def events(session: Session, *, entity_type: str | None, entity_id: str | None, actor: str | None, action: str | None,
           since: datetime | None, until: datetime | None, offset: int, limit: int) -> tuple[list[AuditEvent], int]:
    conds = _conditions(entity_type, entity_id, actor, action, since, until)
    items = list(session.execute(select(AuditEvent).where(*conds).order_by(AuditEvent.seq.desc()).offset(offset).limit(limit)).scalars())
    total = session.execute(select(func.count()).select_from(AuditEvent).where(*conds)).scalar_one()
    return items, total


def _conditions(entity_type, entity_id, actor, action, since, until) -> list:
    conds = []
    if entity_type:
        conds.append(AuditEvent.entity_type == entity_type)
    if entity_id:
        conds.append(AuditEvent.entity_id == entity_id)
    if actor:
        conds.append(AuditEvent.actor == actor)
    if action:
        conds.append(AuditEvent.action == action)
    if since:
        conds.append(AuditEvent.at >= since)
    if until:
        conds.append(AuditEvent.at < until)
    return conds


def events_page(session: Session, *, entity_type: str | None, entity_id: str | None, actor: str | None, action: str | None,
                since: datetime | None, until: datetime | None, offset: int, limit: int) -> tuple[list[AuditEvent], int]:
    """What :func:`events` returns, in two steps: the page's sequence numbers from the indexes
    alone, then only those events. Sorting whole rows (their JSON included) of a time range took
    80 ms for a day of 15,000 events on SQLite; sorting their numbers takes 4."""
    conds = _conditions(entity_type, entity_id, actor, action, since, until)
    seqs = list(session.execute(select(AuditEvent.seq).where(*conds).order_by(AuditEvent.seq.desc()).offset(offset).limit(limit)).scalars())
    items = list(session.execute(select(AuditEvent).where(AuditEvent.seq.in_(seqs)).order_by(AuditEvent.seq.desc())).scalars()) if seqs else []
    total = session.execute(select(func.count()).select_from(AuditEvent).where(*conds)).scalar_one()
    return items, total


def event(session: Session, seq: int) -> AuditEvent | None:
    """One event by its sequence number."""
    return session.get(AuditEvent, seq)
