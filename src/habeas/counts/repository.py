"""Read-only queries of the counts domain that the pages need (the rules are in service.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.db import in_chunks
from habeas.models import CountLine, CountSession, Location


def scopes(session: Session, count_ids) -> dict[int, str | None]:
    """count id -> the code of the location it counts (None: the whole site)."""
    ids = list(count_ids)
    if not ids:
        return {}
    rows = session.execute(select(CountSession.id, Location.code).outerjoin(Location, Location.id == CountSession.scope_location_id)
                           .where(CountSession.id.in_(ids))).all()
    return {cid: code for cid, code in rows}


def open_count_id(session: Session, site_id: int) -> int | None:
    """The count open at a site, if any (only one may be)."""
    return session.execute(select(CountSession.id).where(CountSession.site_id == site_id, CountSession.status == "open")
                           .order_by(CountSession.id.desc()).limit(1)).scalar_one_or_none()


def lines(session: Session, count_id: int, *, codes=None) -> list:
    """The places of a count as plain rows in layout order (no ORM objects and no expected ids,
    so a whole-site count of a large site reads fast); ``codes`` keeps only those places."""
    q = (select(CountLine.id, CountLine.location_id, Location.code, Location.name, Location.parent_id, CountLine.expected,
                CountLine.observed, CountLine.status, CountLine.submissions, CountLine.explanation)
         .join(Location, Location.id == CountLine.location_id).where(CountLine.count_id == count_id))
    if codes is not None:
        q = q.where(Location.code.in_(list(codes)))
    return list(session.execute(q.order_by(Location.position, Location.id)).all())


def totals(session: Session, count_id: int) -> dict[str, dict[str, int]]:
    """Per line state: places, people expected and people observed."""
    rows = session.execute(select(CountLine.status, func.count(), func.coalesce(func.sum(CountLine.expected), 0),
                                  func.coalesce(func.sum(CountLine.observed), 0))
                           .where(CountLine.count_id == count_id).group_by(CountLine.status)).all()
    return {st: {"places": n, "expected": int(e), "observed": int(o)} for st, n, e, o in rows}


def expected_ids(session: Session, line_ids) -> dict[int, list[int]]:
    """line id -> the people the ledger expected there (read for the lines shown with their people)."""
    ids = list(line_ids)
    out: dict[int, list[int]] = {}
    for chunk in in_chunks(ids):
        out.update(session.execute(select(CountLine.id, CountLine.expected_ids).where(CountLine.id.in_(chunk))).all())
    return out
