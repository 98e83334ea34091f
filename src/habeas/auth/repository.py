from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.models import ApiToken, User, WebSession


def user_by_name(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def token_owner(session: Session, digest: str) -> tuple[ApiToken, User] | None:
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest)
    ).first()
    return None if row is None else (row[0], row[1])


def token_by_prefix(session: Session, prefix: str) -> ApiToken | None:
    if len(prefix) < 8:
        return None  # too short to name one token
    rows = session.execute(select(ApiToken).where(ApiToken.prefix == prefix[:12], ApiToken.revoked_at.is_(None))).scalars().all()
    return rows[0] if len(rows) == 1 else None


def active_admins(session: Session) -> int:
    return len(session.execute(select(User.id).where(User.role == "admin", User.active.is_(True))).all())


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def web_session(session: Session, digest: str) -> tuple[WebSession, User] | None:
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.secret_hash == digest)
    ).first()
    return None if row is None else (row[0], row[1])


def open_web_sessions(session: Session, user_id: int) -> list[WebSession]:
    return list(session.execute(select(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))).scalars())
