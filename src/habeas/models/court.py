"""Court cases, charges, hearings, and the video-link rooms they book."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, UtcDateTime, id_column


class CourtCase(Base):
    __tablename__ = "court_cases"

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    reference: Mapped[str] = mapped_column(String(120))
    court: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))


class Charge(Base):
    __tablename__ = "charges"

    id: Mapped[int] = id_column()
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("court_cases.id"), index=True)
    offence: Mapped[str] = mapped_column(String(300))
    offence_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)  # convicted, acquitted, dismissed, withdrawn
    outcome_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class Hearing(Base):
    __tablename__ = "hearings"
    __table_args__ = (Index("ix_hearings_prisoner_time", "prisoner_id", "starts_at"), Index("ix_hearings_site_time", "site_id", "starts_at"))

    id: Mapped[int] = id_column()
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("court_cases.id"))
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    court: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))  # in_person, video_link
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled, held, cancelled
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)  # remanded, convicted, released, adjourned
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))


class RoomBooking(Base):
    """One slot of a hearing in a room: pre (consultation), main (the hearing), post."""

    __tablename__ = "room_bookings"
    __table_args__ = (Index("ix_room_bookings_room_time", "room_id", "starts_at"), Index("ix_room_bookings_hearing", "hearing_id"))

    id: Mapped[int] = id_column()
    hearing_id: Mapped[int] = mapped_column(BigId, ForeignKey("hearings.id"))
    room_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    slot: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoomBlock(Base):
    """A room out of use for a period (maintenance, another service)."""

    __tablename__ = "room_blocks"
    __table_args__ = (Index("ix_room_blocks_room_time", "room_id", "starts_at"),)

    id: Mapped[int] = id_column()
    room_id: Mapped[int] = mapped_column(BigId, ForeignKey("locations.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(80))
