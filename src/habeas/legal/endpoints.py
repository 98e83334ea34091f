"""Legal bases and their lifecycle, the due lists, sentences and release dates, release."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from habeas.intake.schemas import LegalBasisIn
from habeas.kit.web import Ctx, Require, TxRoute
from habeas.legal import sentences, service
from habeas.prisoners.schemas import LegalBasisOut

router = APIRouter(route_class=TxRoute, tags=["legal"])

Days = Annotated[int, Field(ge=0, le=100_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RenewIn(_In):
    issue_date: date
    reference: str | None = Field(None, max_length=120)
    issuing_authority: str | None = Field(None, max_length=200)
    review_due: date | None = None
    expiry_date: date | None = None
    reason: str = Field(min_length=1, max_length=1000)


class SupersedeIn(_In):
    new: LegalBasisIn
    reason: str = Field(min_length=1, max_length=1000)


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


class SentenceIn(_In):
    key: str = Field(min_length=1, max_length=40, description="A label, unique within the custody episode (e.g. S1).")
    sentence_date: date
    years: Days = 0
    months: Days = 0
    days: Days = 0
    life: bool = False
    minimum_years: Days | None = None
    minimum_months: Days | None = None
    minimum_days: Days | None = None
    consecutive_to: str | None = Field(None, max_length=40)
    start_date: date | None = None
    offence: str | None = Field(None, max_length=300)
    court: str | None = Field(None, max_length=200)


class AdjustmentIn(_In):
    kind: str = Field(min_length=1, max_length=40)
    days: Days
    reason: str = Field(min_length=1, max_length=1000)


class RemandPeriodIn(_In):
    start: date
    end: date
    note: str | None = Field(None, max_length=1000)


class ReleaseIn(_In):
    reason: str = Field(min_length=1, max_length=1000)
    end_bases: list[int] = Field(default_factory=list, description="Bases a court order ends with this release.")
    at: datetime | None = None


class ReadmitIn(_In):
    reason: str = Field(min_length=1, max_length=1000)
    location: str | None = Field(None, max_length=200)


def _out(b) -> LegalBasisOut:
    return LegalBasisOut(id=b.id, type=b.type, reference=b.reference, issuing_authority=b.issuing_authority, issue_date=b.issue_date,
                         review_due=b.review_due, expiry_date=b.expiry_date, status=b.status)


@router.get("/prisoners/{number}/legal-bases", response_model=list[LegalBasisOut])
def list_bases(number: str, ctx: Ctx = Depends(Require("legal:read"))):
    return [_out(b) for b in service.list_bases(ctx.session, number)]


@router.get("/prisoners/{number}/legal-bases/history", summary="Every change of status of the person's legal bases")
def basis_history(number: str, ctx: Ctx = Depends(Require("legal:read"))):
    return [{"basis": e.basis_id, "action": e.action, "from": e.from_status, "to": e.to_status, "reason": e.reason,
             "related": e.related_id, "at": e.at, "actor": e.actor} for e in service.basis_history(ctx.session, number)]


@router.post("/prisoners/{number}/legal-bases", response_model=LegalBasisOut, status_code=201, summary="Add a legal basis to the open custody episode")
def add_basis(number: str, body: LegalBasisIn, ctx: Ctx = Depends(Require("legal:write"))):
    return _out(service.add_basis(ctx.session, ctx.actor, number, body))


@router.post("/prisoners/{number}/legal-bases/{basis_id}/renew", response_model=LegalBasisOut, status_code=201,
             summary="Renew a basis: a new one of the same kind supersedes it")
def renew(number: str, basis_id: int, body: RenewIn, ctx: Ctx = Depends(Require("legal:write"))):
    return _out(service.renew(ctx.session, ctx.actor, number, basis_id, **body.model_dump()))


@router.post("/prisoners/{number}/legal-bases/{basis_id}/supersede", response_model=LegalBasisOut, status_code=201,
             summary="Replace a basis by another (remand order by a sentence, ...)")
def supersede(number: str, basis_id: int, body: SupersedeIn, ctx: Ctx = Depends(Require("legal:write"))):
    return _out(service.supersede(ctx.session, ctx.actor, number, basis_id, body.new, reason=body.reason))


@router.post("/prisoners/{number}/legal-bases/{basis_id}/revoke", response_model=LegalBasisOut, summary="Revoke a basis, with the reason")
def revoke(number: str, basis_id: int, body: ReasonIn, ctx: Ctx = Depends(Require("legal:write"))):
    return _out(service.revoke(ctx.session, ctx.actor, number, basis_id, reason=body.reason))


@router.get("/sites/{site}/legal/due", summary="Held without a current basis, due soon, reviews overdue, releases due (computed now)")
def due(site: str, days: int = Query(14, ge=0, le=3650), on: date | None = None, ctx: Ctx = Depends(Require("legal:read"))):
    out = service.due_lists(ctx.session, site, within_days=days, on=on)
    out["releases_due"] = sentences.release_due(ctx.session, site, on)
    return out


@router.post("/sites/{site}/release-dates/recalculate", summary="Calculate again every release date at the site (all or nothing)")
def recalculate(site: str, body: ReasonIn, ctx: Ctx = Depends(Require("legal:write"))):
    return sentences.recalculate_site(ctx.session, ctx.actor, site, trigger=body.reason)


@router.get("/prisoners/{number}/release", summary="Sentences, adjustments, the release date and why, and every earlier calculation")
def release_record(number: str, ctx: Ctx = Depends(Require("legal:read"))):
    return sentences.release_record(ctx.session, number)


@router.post("/prisoners/{number}/sentences", status_code=201, summary="Add a sentence (the release date is recalculated)")
def add_sentence(number: str, body: SentenceIn, ctx: Ctx = Depends(Require("legal:write"))):
    d = body.model_dump()
    minimum = None
    if body.life and any(d[k] is not None for k in ("minimum_years", "minimum_months", "minimum_days")):
        minimum = (d["minimum_years"] or 0, d["minimum_months"] or 0, d["minimum_days"] or 0)
    for k in ("minimum_years", "minimum_months", "minimum_days"):
        d.pop(k)
    calc = sentences.add_sentence(ctx.session, ctx.actor, number, minimum=minimum, **d)
    return sentences.calculation_out(calc)


@router.post("/prisoners/{number}/sentences/{key}/quash", summary="Quash a sentence, with the reason (kept, marked)")
def quash(number: str, key: str, body: ReasonIn, ctx: Ctx = Depends(Require("legal:write"))):
    calc = sentences.quash_sentence(ctx.session, ctx.actor, number, key, body.reason)
    return sentences.calculation_out(calc)


@router.post("/prisoners/{number}/adjustments", status_code=201, summary="Remission, added days, credits (kinds from the rules)")
def add_adjustment(number: str, body: AdjustmentIn, ctx: Ctx = Depends(Require("legal:write"))):
    calc = sentences.add_adjustment(ctx.session, ctx.actor, number, **body.model_dump())
    return sentences.calculation_out(calc)


@router.post("/prisoners/{number}/adjustments/{adjustment_id}/withdraw", summary="Withdraw an adjustment, with the reason")
def withdraw_adjustment(number: str, adjustment_id: int, body: ReasonIn, ctx: Ctx = Depends(Require("legal:write"))):
    calc = sentences.withdraw_adjustment(ctx.session, ctx.actor, number, adjustment_id, body.reason)
    return sentences.calculation_out(calc)


@router.post("/prisoners/{number}/remand-periods", status_code=201, summary="Record time on remand that counts towards the sentence")
def add_remand(number: str, body: RemandPeriodIn, ctx: Ctx = Depends(Require("legal:write"))):
    calc = sentences.add_remand_period(ctx.session, ctx.actor, number, **body.model_dump())
    return sentences.calculation_out(calc)


@router.post("/prisoners/{number}/release", summary="Release: refused while another basis still holds the person")
def release(number: str, body: ReleaseIn, ctx: Ctx = Depends(Require("legal:write"))):
    return sentences.release(ctx.session, ctx.actor, number, reason=body.reason, end_bases=body.end_bases, at=body.at)


@router.post("/prisoners/{number}/readmit", summary="Undo a release made in error (recorded, not erased)")
def readmit(number: str, body: ReadmitIn, ctx: Ctx = Depends(Require("legal:write"))):
    return sentences.readmit_after_error(ctx.session, ctx.actor, number, reason=body.reason, location=body.location)
