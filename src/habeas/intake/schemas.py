"""Booking input: one person, their identity, the Rule 7 admission record and legal bases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Sex = Literal["M", "F", "X"]
LegalStatus = Literal["remand", "convicted", "civil", "immigration"]
BasisType = Literal["warrant", "remand_order", "detention_order", "sentence", "immigration"]
SecurityLevel = Literal["low", "medium", "high", "maximum"]
Flag = Literal["vulnerable", "single_cell", "medical_needs"]
MarkKind = Literal["tattoo", "scar", "birthmark", "piercing", "other"]

LEGAL_STATUSES = ("remand", "convicted", "civil", "immigration")
BASIS_TYPES = ("warrant", "remand_order", "detention_order", "sentence", "immigration")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MarkIn(_In):
    kind: MarkKind
    body_location: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=1000)


class AffiliationIn(_In):
    group: str = Field(min_length=1, max_length=80)
    source: str = Field(min_length=1, max_length=200, description="Where the information comes from (self-declared, police intelligence, tattoos...).")


class LegalBasisIn(_In):
    type: BasisType
    reference: str = Field(min_length=1, max_length=120)
    issuing_authority: str = Field(min_length=1, max_length=200)
    issue_date: date
    review_due: date | None = None
    expiry_date: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> LegalBasisIn:
        if self.review_due is not None and self.review_due < self.issue_date:
            raise ValueError(f"review_due {self.review_due} is before issue_date {self.issue_date}")
        if self.expiry_date is not None and self.expiry_date < self.issue_date:
            raise ValueError(f"expiry_date {self.expiry_date} is before issue_date {self.issue_date}")
        return self


class AdmissionIn(_In):
    """The admission record of Mandela Rule 7."""

    admitted_at: datetime | None = Field(None, description="Default: now.")
    arrested_at: datetime | None = None
    arrest_place: str | None = Field(None, max_length=200)
    arresting_authority: str | None = Field(None, max_length=200)
    commitment_reason: str = Field(min_length=1, max_length=2000)
    commitment_authority: str | None = Field(None, max_length=200, description="Default: the issuing authority of the first legal basis.")
    visible_injuries: str | None = Field(None, max_length=2000, description="'none' when none were seen.")
    ill_treatment_complaint: str | None = Field(None, max_length=2000)
    property_record: str | None = Field(None, max_length=4000)
    next_of_kin_name: str | None = Field(None, max_length=200)
    next_of_kin_relationship: str | None = Field(None, max_length=80)
    next_of_kin_contact: str | None = Field(None, max_length=200)
    legal_representative: str | None = Field(None, max_length=200)


class BookingIn(_In):
    external_ref: str | None = Field(None, max_length=80, description="The sender's reference (unique within a manifest).")
    surname: str = Field(min_length=1, max_length=120)
    given_names: str = Field(min_length=1, max_length=160)
    aliases: list[str] = Field(default_factory=list, max_length=20)
    date_of_birth: date
    sex: Sex
    nationality: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3, e.g. SLV.")
    national_id: str | None = Field(None, min_length=1, max_length=40)
    marks: list[MarkIn] = Field(default_factory=list, max_length=100)
    affiliation: AffiliationIn | None = None
    security_level: SecurityLevel = "medium"
    flags: list[Flag] = Field(default_factory=list)
    legal_status: LegalStatus
    legal_bases: list[LegalBasisIn] = Field(min_length=1, max_length=20, description="At least one: nobody is booked without a legal basis.")
    admission: AdmissionIn

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: list[str]) -> list[str]:
        out = [a.strip() for a in v if a and a.strip()]
        if any(len(a) > 200 for a in out):
            raise ValueError("an alias is at most 200 characters")
        return out

    @field_validator("flags")
    @classmethod
    def _flags(cls, v: list[str]) -> list[str]:
        return sorted(set(v))


class BookedOut(BaseModel):
    external_ref: str | None
    prisoner_number: str


class ManifestResult(BaseModel):
    booked: int
    prisoners: list[BookedOut]
