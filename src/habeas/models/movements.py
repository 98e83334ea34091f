"""The movement ledger: every change of a person's location. Append-only.

``location_stays`` is an index derived from the ledger (who was where, from when until when, for
every stay that has ended), kept in the same transaction as the movements and rebuildable from
them at any time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, UtcDateTime, id_column


class Movement(Base):
    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_prisoner_time", "prisoner_id", "moved_at", "id"),
        Index("ix_movements_site_time", "site_id", "moved_at"),
    )

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    episode_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("custody_episodes.id"), nullable=True)
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    from_location_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    to_location_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    # admission, internal, court, hospital, other_out, return, escape, transfer_out, transfer_in, release, death, handover
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    escort: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Where a person outside the site is (the court, the hospital, the receiving agency).
    destination: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A correction names the movement it compensates, when there is one.
    corrects_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("movements.id"), nullable=True)
    # A correction: recorded late or to compensate an earlier entry; it may be dated before the
    # person's last movement, and always carries its reason.
    correction: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    moved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))


class LocationStay(Base):
    """One person's finished time in one location: [start_at, end_at). The stay still open is
    the person's current location (``prisoners.current_location_id`` since ``last_moved_at``).

    span_level buckets the stay's length (4**level seconds at most), so "who was in L at T" is a
    handful of index range scans whatever the history's size."""

    __tablename__ = "location_stays"
    __table_args__ = (
        Index("ix_location_stays_lookup", "location_id", "span_level", "start_at"),
    )

    # No foreign keys: a stay is copied from its opening movement (INSERT ... SELECT FROM
    # movements), whose own keys were checked when the ledger took it; checking them again on
    # every stay would only slow the ledger's writes.
    movement_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    prisoner_id: Mapped[int] = mapped_column(BigId)
    site_id: Mapped[int] = mapped_column(BigId)
    location_id: Mapped[int] = mapped_column(BigId)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    span_level: Mapped[int] = mapped_column(Integer)
