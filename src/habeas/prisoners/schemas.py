from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from habeas.intake.schemas import AffiliationIn, Flag, LegalStatus, MarkIn, SecurityLevel, Sex


class PrisonerSummary(BaseModel):
    prisoner_number: str
    surname: str
    given_names: str
    date_of_birth: date
    sex: str
    nationality: str | None
    legal_status: str
    security_level: str
    in_custody: bool
    site: str | None
    location: str | None


class MarkOut(BaseModel):
    id: int
    kind: str
    body_location: str
    description: str
    active: bool


class AliasOut(BaseModel):
    id: int
    name: str
    active: bool


class AffiliationOut(BaseModel):
    id: int
    group: str
    source: str
    active: bool
    recorded_at: datetime


class LegalBasisOut(BaseModel):
    id: int
    type: str
    reference: str
    issuing_authority: str
    issue_date: date
    review_due: date | None
    expiry_date: date | None
    status: str


class EpisodeOut(BaseModel):
    id: int
    site: str
    status: str
    legal_status: str
    admitted_at: datetime
    released_at: datetime | None
    admission_record: dict[str, Any]
    rule7_missing: list[str]
    legal_bases: list[LegalBasisOut]


class MovementOut(BaseModel):
    id: int
    kind: str
    from_location: str | None
    to_location: str | None
    moved_at: datetime
    reason: str
    recorded_by: str


class AmendmentOut(BaseModel):
    id: int
    changes: dict[str, Any]
    reason: str
    actor: str
    at: datetime


class PrisonerRecord(PrisonerSummary):
    national_id: str | None
    flags: list[str]
    aliases: list[AliasOut]
    marks: list[MarkOut]
    affiliations: list[AffiliationOut]
    episodes: list[EpisodeOut]
    movements: list[MovementOut]
    amendments: list[AmendmentOut]
    housing_overrides: list[dict[str, Any]] = []
    non_associations: list[dict[str, Any]] = []


class Amend(BaseModel):
    """A correction: the new values and why. The old values are kept."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)
    surname: str | None = Field(None, min_length=1, max_length=120)
    given_names: str | None = Field(None, min_length=1, max_length=160)
    date_of_birth: date | None = None
    sex: Sex | None = None
    nationality: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    national_id: str | None = Field(None, min_length=1, max_length=40)
    security_level: SecurityLevel | None = None
    legal_status: LegalStatus | None = None
    flags: list[Flag] | None = None


class AddMark(MarkIn):
    reason: str = Field("recorded", max_length=2000)


class AddAlias(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    reason: str = Field("recorded", max_length=2000)


class AddAffiliation(AffiliationIn):
    reason: str = Field("recorded", max_length=2000)


class Deactivate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=2000)
