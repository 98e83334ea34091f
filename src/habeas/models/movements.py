"""The movement ledger: every change of a person's location. Append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, UtcDateTime, id_column


class Movement(Base):
    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_prisoner_time", "prisoner_id", "moved_at", "id"),
        Index("ix_movements_to_time", "to_location_id", "moved_at"),
    )

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    episode_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("custody_episodes.id"), nullable=True)
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    from_location_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    to_location_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(24))  # admission, internal, ...
    reason: Mapped[str] = mapped_column(Text)
    escort: Mapped[str | None] = mapped_column(String(200), nullable=True)
    moved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))
