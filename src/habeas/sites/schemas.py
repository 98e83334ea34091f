from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class SiteOut(BaseModel):
    code: str
    name: str
    timezone: str
    operational_capacity: int
    layout_digest: str


class LocationOut(BaseModel):
    code: str
    name: str
    type: str
    use: str
    active: bool
    residential: bool
    floor_area_m2: float | None
    ceiling_height_m: float | None
    natural_light: bool | None
    cna: int
    working_capacity: int
    max_capacity: int
    toilets: int
    sinks: int
    water_containers: int
    outdoor: bool
    room_use: str | None
    attributes: dict[str, Any]
    occupants: int
    # Summed over the location and everything under it (beds of its cells).
    total_cna: int
    total_working: int
    total_max: int
    children: list[LocationOut] = []


class LoadResult(BaseModel):
    site: str
    created_site: bool
    site_changed: bool
    created: int
    updated: int
    deactivated: int
    reactivated: int
    unchanged: int
    changed: bool
