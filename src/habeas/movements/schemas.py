"""Movement requests and the point-in-time answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from habeas.kit.web import UtcOut

MovementKind = Literal["internal", "return", "court", "hospital", "other_out"]


class MovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    prisoner: str = Field(min_length=1, max_length=20, description="Prisoner number.")
    kind: MovementKind = "internal"
    to_location: str | None = Field(None, max_length=200, description="Location code, for movements inside the site.")
    reason: str = Field(min_length=1, max_length=1000)
    moved_at: datetime | None = Field(None, description="When it happened (default: now). Without an offset, UTC.")
    escort: str | None = Field(None, max_length=200, description="Escorting officer(s).")
    destination: str | None = Field(None, max_length=200, description="The court, hospital or place outside the site.")
    correction: bool = Field(False, description="A late or compensating entry; may be dated before the person's last movement.")
    corrects: int | None = Field(None, description="The id of the movement this one compensates.")


class MovementBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    movements: list[MovementIn] = Field(min_length=1, max_length=20_000)


class MovementsRecorded(BaseModel):
    recorded: int
    ids: list[int]


class MovementOut(BaseModel):
    id: int
    moved_at: UtcOut
    kind: str
    from_: str | None = Field(alias="from")
    to: str | None
    destination: str | None
    reason: str
    escort: str | None
    correction: bool
    corrects: int | None
    recorded_at: UtcOut
    recorded_by: str

    model_config = ConfigDict(populate_by_name=True)


class WhereOut(BaseModel):
    prisoner_number: str
    at: UtcOut
    in_custody: bool
    site: str | None
    location: str | None
    away: str | None
    destination: str | None
    since: UtcOut | None
    movement_id: int | None


class OccupantOut(BaseModel):
    prisoner_number: str
    surname: str
    given_names: str
    location: str
    since: UtcOut


class OccupantsOut(BaseModel):
    site: str
    location: str
    at: UtcOut
    total: int
    occupants: list[OccupantOut]


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    in_service: bool
    note: str | None = Field(None, max_length=200, description="Why it is out of service (required when taking it out).")
