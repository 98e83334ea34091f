"""Custody episodes (bookings) with the Mandela Rule 7 admission record, and legal bases."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, UtcDateTime, id_column


class CustodyEpisode(Base):
    __tablename__ = "custody_episodes"
    __table_args__ = (
        Index("ix_custody_episodes_prisoner", "prisoner_id", "admitted_at"),
        Index("ix_custody_episodes_source_ref", "site_id", "source_ref"),
    )

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    legal_status: Mapped[str] = mapped_column(String(16))
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Mandela Rule 7 admission record
    arrested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    arrest_place: Mapped[str | None] = mapped_column(String(200), nullable=True)
    arresting_authority: Mapped[str | None] = mapped_column(String(200), nullable=True)
    commitment_reason: Mapped[str] = mapped_column(Text)
    commitment_authority: Mapped[str] = mapped_column(String(200))
    visible_injuries: Mapped[str | None] = mapped_column(Text, nullable=True)
    ill_treatment_complaint: Mapped[str | None] = mapped_column(Text, nullable=True)
    property_record: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_of_kin_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    next_of_kin_relationship: Mapped[str | None] = mapped_column(String(80), nullable=True)
    next_of_kin_contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    legal_representative: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)  # manifest external_ref
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LegalBasis(Base):
    __tablename__ = "legal_bases"
    __table_args__ = (Index("ix_legal_bases_episode", "episode_id"),)

    id: Mapped[int] = id_column()
    episode_id: Mapped[int] = mapped_column(BigId, ForeignKey("custody_episodes.id"))
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    type: Mapped[str] = mapped_column(String(24))
    reference: Mapped[str] = mapped_column(String(120))
    issuing_authority: Mapped[str] = mapped_column(String(200))
    issue_date: Mapped[date] = mapped_column(Date)
    review_due: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
