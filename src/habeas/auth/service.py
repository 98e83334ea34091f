"""Users, tokens and authentication rules."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.auth import repository
from habeas.auth.passwords import hash_password, new_token, token_digest, verify_password
from habeas.auth.permissions import ROLES
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, LoginFailed, NotFound, Unauthenticated, ValidationFailed
from habeas.models import ApiToken, User, WebSession

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def create_user(session: Session, actor: Actor, *, username: str, role: str, full_name: str | None = None, password: str | None = None) -> tuple[User, str]:
    """Create a user and a first API token; the token is returned once and stored only hashed."""
    if not USERNAME.match(username or ""):
        raise ValidationFailed(f"user name {username!r}: 2-80 letters, digits and . _ @ -", details=[{"row": None, "field": "username", "message": "invalid user name"}])
    if password is not None and len(password) < 10:
        raise ValidationFailed("a password needs at least 10 characters", details=[{"row": None, "field": "password", "message": "too short"}])
    if role not in ROLES:
        raise ValidationFailed(f"unknown role {role!r}", details=[{"row": None, "field": "role", "message": f"one of: {', '.join(ROLES)}"}])
    if repository.user_by_name(session, username) is not None:
        raise Conflict(f"user {username!r} already exists", code="user_exists")
    now = clock.db_time(clock.now())
    user = User(username=username, role=role, full_name=full_name, password_hash=hash_password(password) if password else None, active=True, failed_logins=0, created_at=now)
    session.add(user)
    session.flush()
    token = issue_token(session, actor, user, label="created with the account")
    record(session, actor, "user.create", "user", username, after={"username": username, "role": role, "full_name": full_name, "password_set": bool(password)})
    return user, token


def issue_token(session: Session, actor: Actor, user: User, *, label: str | None = None) -> str:
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), prefix=token[:12], label=label, created_at=clock.db_time(clock.now())))
    record(session, actor, "token.issue", "user", user.username, after={"prefix": token[:12], "label": label})
    return token


def set_password(session: Session, actor: Actor, username: str, password: str) -> None:
    user = repository.user_by_name(session, username)
    if user is None:
        raise ValidationFailed(f"no user {username!r}")
    if len(password) < 10:
        raise ValidationFailed("a password needs at least 10 characters", details=[{"row": None, "field": "password", "message": "too short"}])
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record(session, actor, "user.password", "user", username, after={"password_set": True})
    end_sessions_of(session, actor, user, "password changed")


def revoke_token(session: Session, actor: Actor, prefix: str, reason: str) -> ApiToken:
    """Revoke the token that starts with ``prefix`` (the first 12 characters shown at issue)."""
    tok = repository.token_by_prefix(session, prefix)
    if tok is None:
        raise NotFound(f"no active token starting {prefix!r}", code="unknown_token")
    tok.revoked_at = clock.db_time(clock.now())
    record(session, actor, "token.revoke", "token", tok.prefix, after={"reason": reason})
    return tok


def set_active(session: Session, actor: Actor, username: str, active: bool, reason: str) -> User:
    """Deactivate (or reactivate) an account: its tokens and password stop working; nothing is deleted."""
    user = repository.user_by_name(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}", code="unknown_user")
    if user.active == active:
        raise Conflict(f"user {username!r} is already {'active' if active else 'inactive'}", code="no_change")
    if not active and user.role == "admin" and repository.active_admins(session) <= 1:
        raise Conflict("the last active admin cannot be deactivated", code="last_admin")
    user.active = active
    record(session, actor, "user.activate" if active else "user.deactivate", "user", username, before={"active": not active}, after={"active": active, "reason": reason})
    if not active:
        end_sessions_of(session, actor, user, "account deactivated")
    return user


def authenticate_token(session: Session, token: str) -> Actor:
    found = repository.token_owner(session, token_digest(token)) if token else None
    if found is None:
        raise Unauthenticated("unknown or revoked token")
    tok, user = found
    if tok.revoked_at is not None or not user.active:
        raise Unauthenticated("unknown or revoked token")
    return Actor(username=user.username, role=user.role, user_id=user.id)


def login(session: Session, username: str, password: str) -> User:
    """Check a password. Repeated failures lock the account for a while; every attempt is audited."""
    user = repository.user_by_name(session, username)
    now = clock.now()
    system = Actor.system("auth")
    if user is None or not user.active:
        record(session, system, "auth.login_failed", "user", username, after={"reason": "unknown or inactive user"})
        raise LoginFailed("wrong user name or password")
    if user.locked_until is not None and clock.from_db(user.locked_until) > now:
        record(session, system, "auth.login_refused", "user", username, after={"reason": "locked"})
        raise LoginFailed("account locked after repeated failures; try again later", code="account_locked")
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.locked_until = clock.db_time(now + LOCKOUT)
            user.failed_logins = 0
        record(session, system, "auth.login_failed", "user", username, after={"reason": "wrong password", "locked": locked})
        raise LoginFailed("wrong user name or password")
    user.failed_logins = 0
    user.locked_until = None
    record(session, Actor(username=user.username, role=user.role, user_id=user.id), "auth.login", "user", username)
    return user


# Browser sessions -----------------------------------------------------------------------------

SESSION_IDLE = timedelta(minutes=60)
SESSION_MAX = timedelta(hours=12)
_SEEN_EVERY = timedelta(seconds=60)


@dataclass
class SignedIn:
    """A signed-in browser: who, and the token its forms must carry."""

    actor: Actor
    csrf_token: str
    session_id: int


def start_session(session: Session, user: User, *, user_agent: str | None = None) -> tuple[str, WebSession]:
    """Open a browser session for a user who has just passed ``login``. Returns the cookie secret
    (shown to the browser only) and the stored row (which keeps only its digest)."""
    secret = secrets.token_urlsafe(32)
    now = clock.db_time(clock.now())
    row = WebSession(user_id=user.id, secret_hash=token_digest(secret), csrf_token=secrets.token_urlsafe(32), created_at=now,
                     last_seen_at=now, expires_at=clock.db_time(clock.now() + SESSION_MAX), user_agent=(user_agent or "")[:200] or None)
    session.add(row)
    session.flush()
    record(session, Actor(username=user.username, role=user.role, user_id=user.id), "auth.session_start", "user", user.username,
           after={"session": row.id})
    return secret, row


def session_actor(session: Session, secret: str | None) -> SignedIn | None:
    """The signed-in user behind a cookie secret, or None when it is unknown, ended, expired or idle.

    An expired or idle session is ended (with its reason) the first time it is presented."""
    if not secret:
        return None
    found = repository.web_session(session, token_digest(secret))
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None:
        return None
    now = clock.now()
    reason = None
    if not user.active:
        reason = "account deactivated"
    elif clock.from_db(row.expires_at) <= now:
        reason = "expired"
    elif clock.from_db(row.last_seen_at) + SESSION_IDLE <= now:
        reason = "idle"
    if reason:
        row.ended_at, row.end_reason = clock.db_time(now), reason
        record(session, Actor.system("auth"), "auth.session_end", "user", user.username, after={"session": row.id, "reason": reason})
        return None
    if clock.from_db(row.last_seen_at) + _SEEN_EVERY <= now:
        row.last_seen_at = clock.db_time(now)
    return SignedIn(Actor(username=user.username, role=user.role, user_id=user.id), row.csrf_token, row.id)


def end_sessions_of(session: Session, actor: Actor, user: User, reason: str) -> int:
    """End every open browser session of a user (a new password, a deactivated account)."""
    rows = repository.open_web_sessions(session, user.id)
    now = clock.db_time(clock.now())
    for row in rows:
        row.ended_at, row.end_reason = now, reason
    if rows:
        record(session, actor, "auth.session_end", "user", user.username, after={"sessions": [r.id for r in rows], "reason": reason})
    return len(rows)


def end_session(session: Session, secret: str | None, reason: str = "logout") -> bool:
    """Sign a browser out. Returns False when the cookie named no open session."""
    found = repository.web_session(session, token_digest(secret)) if secret else None
    if found is None or found[0].ended_at is not None:
        return False
    row, user = found
    row.ended_at, row.end_reason = clock.db_time(clock.now()), reason
    record(session, Actor(username=user.username, role=user.role, user_id=user.id), "auth.session_end", "user", user.username,
           after={"session": row.id, "reason": reason})
    return True
