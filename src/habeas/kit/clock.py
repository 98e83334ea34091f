"""The one clock. Times are UTC, timezone-aware in code and naive UTC in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from habeas.config import get_settings

_frozen: datetime | None = None


def freeze(at: datetime | None) -> None:
    """Pin the clock (tests, demo builds); ``None`` releases it."""
    global _frozen
    _frozen = to_utc(at) if at else None


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    configured = get_settings().now
    if configured is not None:
        return to_utc(configured)
    return datetime.now(UTC)


def today() -> date:
    return now().date()


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def db_time(value: datetime) -> datetime:
    """Aware datetime -> naive UTC for storage (same on SQLite and PostgreSQL)."""
    return to_utc(value).replace(tzinfo=None)


def from_db(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)
