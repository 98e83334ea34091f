"""Welfare checks: requirements, observation rounds, the late and missed report."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from habeas.kit.web import Ctx, Require, TxRoute
from habeas.welfare import service

router = APIRouter(route_class=TxRoute, tags=["welfare"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequirementIn(_In):
    interval_minutes: int
    reason: str = Field(min_length=1, max_length=1000)
    prisoner: str | None = Field(None, max_length=20)
    location: str | None = Field(None, max_length=200)


class EndIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


class RoundItem(_In):
    location: str = Field(min_length=1, max_length=200)
    observed_at: datetime | None = None
    note: str | None = Field(None, max_length=1000)
    late_entry_reason: str | None = Field(None, max_length=1000)


class RoundsIn(_In):
    rounds: list[RoundItem] = Field(min_length=1, max_length=20_000)


@router.post("/sites/{site}/welfare/requirements", status_code=201, summary="Require observation of a person or cell every N minutes")
def set_requirement(site: str, body: RequirementIn, ctx: Ctx = Depends(Require("movements:write"))):
    req = service.set_requirement(ctx.session, ctx.actor, site, **body.model_dump())
    return {"id": req.id, "interval_minutes": req.interval_minutes, "starts_at": req.starts_at}


@router.post("/welfare/requirements/{requirement_id}/end", summary="End a requirement, with the reason")
def end_requirement(requirement_id: int, body: EndIn, ctx: Ctx = Depends(Require("movements:write"))):
    req = service.end_requirement(ctx.session, ctx.actor, requirement_id, body.reason)
    return {"id": req.id, "ends_at": req.ends_at}


@router.post("/sites/{site}/welfare/rounds", status_code=201, summary="Record observation rounds (late entries need a reason)")
def record_rounds(site: str, body: RoundsIn, ctx: Ctx = Depends(Require("movements:write"))):
    ids = service.record_rounds(ctx.session, ctx.actor, site, [service.RoundIn(**r.model_dump()) for r in body.rounds])
    return {"recorded": len(ids), "ids": ids}


@router.get("/sites/{site}/welfare/report", summary="Late and missed rounds per shift")
def report(site: str, day: date | None = None, shift: str | None = None, ctx: Ctx = Depends(Require("movements:read"))):
    return service.report(ctx.session, site, day, shift)
