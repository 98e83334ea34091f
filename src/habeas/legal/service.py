"""Legal bases: recorded with every booking; more can be added to the open custody episode."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.intake.schemas import LegalBasisIn
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.models import CustodyEpisode, LegalBasis
from habeas.prisoners import repository as prisoners_repo
from habeas.prisoners.service import get as get_prisoner


def open_episode(session: Session, prisoner_id: int) -> CustodyEpisode | None:
    return session.execute(
        select(CustodyEpisode).where(CustodyEpisode.prisoner_id == prisoner_id, CustodyEpisode.status == "open").order_by(CustodyEpisode.id.desc()).limit(1)
    ).scalar_one_or_none()


def list_bases(session: Session, number: str) -> list[LegalBasis]:
    p = get_prisoner(session, number)
    return prisoners_repo.legal_bases(session, p.id)


def add_basis(session: Session, actor: Actor, number: str, basis: LegalBasisIn) -> LegalBasis:
    p = get_prisoner(session, number)
    episode = open_episode(session, p.id)
    if episode is None:
        raise Conflict(f"prisoner {p.prisoner_number} has no open custody episode", code="not_in_custody")
    if basis.issue_date > clock.today():
        raise ValidationFailed("issue date is in the future", details=[{"row": None, "field": "issue_date", "message": f"{basis.issue_date} is in the future"}])
    lb = LegalBasis(episode_id=episode.id, prisoner_id=p.id, status="active", created_at=clock.db_time(clock.now()), **basis.model_dump())
    session.add(lb)
    session.flush()
    record(session, actor, "legal_basis.add", "prisoner", p.prisoner_number, after={"id": lb.id, **basis.model_dump()})
    return lb
