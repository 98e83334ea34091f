"""Transfers: an escorted move of a group (a manifest) between sites or in from an outside agency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, Json, UtcDateTime, id_column


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (Index("ix_transfers_destination_status", "destination_site_id", "status"),)

    id: Mapped[int] = id_column()
    origin_site_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("sites.id"), nullable=True)  # NULL: an outside agency
    origin_agency: Mapped[str | None] = mapped_column(String(200), nullable=True)
    destination_site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(16))  # planned, departed, arrived, closed, cancelled
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)  # manifest file name
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    departed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class TransferItem(Base):
    """One person on a manifest and what became of them."""

    __tablename__ = "transfer_items"
    __table_args__ = (Index("ix_transfer_items_transfer", "transfer_id"), Index("ix_transfer_items_prisoner", "prisoner_id"))

    id: Mapped[int] = id_column()
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("transfers.id"))
    prisoner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("prisoners.id"), nullable=True)  # set at booking for outside arrivals
    external_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    booking: Mapped[dict | None] = mapped_column(Json, nullable=True)  # the manifest row, for outside arrivals
    row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reserved_cell_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    # planned, removed, departed, arrived, returned, incident
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TransferAlert(Base):
    """Something the reconciliation must show: a person scanned who is not on the manifest, ..."""

    __tablename__ = "transfer_alerts"
    __table_args__ = (Index("ix_transfer_alerts_transfer", "transfer_id"),)

    id: Mapped[int] = id_column()
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("transfers.id"))
    kind: Mapped[str] = mapped_column(String(24))  # unexpected, missing
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(80))
