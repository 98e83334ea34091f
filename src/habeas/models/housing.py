"""Keep-apart records (non-associations) and overrides of housing rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, UtcDateTime, id_column


class NonAssociation(Base):
    """Two people who must be kept apart at a level. The pair is stored in id order; one open
    record per pair. Closing keeps the record; a pair can be opened again as a new record."""

    __tablename__ = "non_associations"
    __table_args__ = (
        Index("ix_non_associations_a", "prisoner_a_id", "status"),
        Index("ix_non_associations_b", "prisoner_b_id", "status"),
        Index("uq_non_associations_open_pair", "prisoner_a_id", "prisoner_b_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = id_column()
    prisoner_a_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    prisoner_b_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    reason: Mapped[str] = mapped_column(String(24))
    role_a: Mapped[str] = mapped_column(String(16))
    role_b: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(8))  # open, closed
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by: Mapped[str] = mapped_column(String(80))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class HousingOverride(Base):
    """A supervised placement that set a separation rule or a non-association aside, with its reason."""

    __tablename__ = "housing_overrides"

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    movement_id: Mapped[int] = mapped_column(BigId, ForeignKey("movements.id"))
    location_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    rules: Mapped[str] = mapped_column(Text)  # the rules set aside, in words
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(80))
