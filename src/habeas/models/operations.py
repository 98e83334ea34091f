"""Operations records: headcounts, incidents and welfare checks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, Json, UtcDateTime, id_column


class CountSession(Base):
    """A headcount: expected numbers fixed from the ledger at ``count_time``."""

    __tablename__ = "count_sessions"
    __table_args__ = (Index("ix_count_sessions_site_status", "site_id", "status"),)

    id: Mapped[int] = id_column()
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    scope_location_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)  # NULL: whole site
    kind: Mapped[str] = mapped_column(String(16))  # scheduled, emergency
    status: Mapped[str] = mapped_column(String(16))  # open, cleared, cancelled
    count_time: Mapped[datetime] = mapped_column(UtcDateTime)
    # The last movement id when the count opened: every later movement was recorded during it.
    ledger_mark: Mapped[int] = mapped_column(BigId)
    opened_by: Mapped[str] = mapped_column(String(80))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class CountLine(Base):
    """One location of a count: what the ledger expects there and what the officers saw."""

    __tablename__ = "count_lines"
    __table_args__ = (UniqueConstraint("count_id", "location_id"),)

    id: Mapped[int] = id_column()
    count_id: Mapped[int] = mapped_column(BigId, ForeignKey("count_sessions.id"))
    location_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    expected: Mapped[int] = mapped_column(Integer)
    expected_ids: Mapped[list] = mapped_column(Json, default=list)
    observed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # pending, matched, mismatch, recount, explained
    status: Mapped[str] = mapped_column(String(16))
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CountSubmission(Base):
    """Every number an officer submitted, kept (a recount adds one; nothing is overwritten)."""

    __tablename__ = "count_submissions"
    __table_args__ = (Index("ix_count_submissions_line", "line_id"),)

    id: Mapped[int] = id_column()
    line_id: Mapped[int] = mapped_column(BigId, ForeignKey("count_lines.id"))
    observed: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Incident(Base):
    """An event that changes custody outside the normal flow: an escape, a death, ..."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_site_time", "site_id", "occurred_at"),)

    id: Mapped[int] = id_column()
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    prisoner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("prisoners.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(24))  # escape, death, recapture, other
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(Text)
    movement_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("movements.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))


class WelfareRequirement(Base):
    """A required observation interval for a person or a cell. Ended, never deleted."""

    __tablename__ = "welfare_requirements"
    __table_args__ = (Index("ix_welfare_requirements_site", "site_id", "ends_at"),)

    id: Mapped[int] = id_column()
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    prisoner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("prisoners.id"), nullable=True)
    location_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    interval_minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    set_by: Mapped[str] = mapped_column(String(80))
    ended_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class WelfareRound(Base):
    """An officer looked into a cell at ``observed_at``."""

    __tablename__ = "welfare_rounds"
    __table_args__ = (Index("ix_welfare_rounds_location_time", "location_id", "observed_at"),
                      Index("ix_welfare_rounds_site_time", "site_id", "observed_at"))

    id: Mapped[int] = id_column()
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    location_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    officer: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    late_entry_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
