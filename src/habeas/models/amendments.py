"""Corrections: every change to a recorded fact, with the reason, kept for ever."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, Json, UtcDateTime, id_column


class Amendment(Base):
    __tablename__ = "amendments"
    __table_args__ = (Index("ix_amendments_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = id_column()
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict] = mapped_column(Json)  # {field: [old, new]}
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
