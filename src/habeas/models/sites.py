"""Sites and their location tree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, Json, UtcDateTime, id_column


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    operational_capacity: Mapped[int] = mapped_column(Integer)
    # Parameters and policy sections of the layout file, kept as loaded.
    settings: Mapped[dict] = mapped_column(Json, default=dict)
    layout_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Location(Base):
    """A node of a site's tree. Never deleted: a location removed from the layout is deactivated."""

    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        Index("ix_locations_site_parent", "site_id", "parent_id"),
        Index("ix_locations_site_type", "site_id", "type"),
    )

    id: Mapped[int] = id_column()
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"))
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    code: Mapped[str] = mapped_column(String(200))  # full path code, e.g. "P1-A-C001"
    local_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    use: Mapped[str] = mapped_column(String(32), default="normal")
    depth: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)  # order within the layout file
    residential: Mapped[bool] = mapped_column(Boolean)
    floor_area_m2: Mapped[float | None] = mapped_column(Float, nullable=True)
    ceiling_height_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    cna: Mapped[int] = mapped_column(Integer, default=0)
    working_capacity: Mapped[int] = mapped_column(Integer, default=0)
    max_capacity: Mapped[int] = mapped_column(Integer, default=0)
    toilets: Mapped[int] = mapped_column(Integer, default=0)
    sinks: Mapped[int] = mapped_column(Integer, default=0)
    water_containers: Mapped[int] = mapped_column(Integer, default=0)
    outdoor: Mapped[bool] = mapped_column(Boolean, default=False)
    natural_light: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    room_use: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attributes: Mapped[dict] = mapped_column(Json, default=dict)  # as written on this node
    effective_attributes: Mapped[dict] = mapped_column(Json, default=dict)  # inherited and merged
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Temporarily closed (repairs, flooding): nobody may be moved in. Set with a reason, audited.
    in_service: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    service_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
