"""Transfers: plan (between sites, or from an outside agency with a manifest), depart, arrive,
account for anyone missing, close or cancel; the reconciliation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from habeas.kit.web import Ctx, Require, TxRoute, upload
from habeas.transfers import service

router = APIRouter(route_class=TxRoute, tags=["transfers"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlanIn(_In):
    origin: str = Field(min_length=1, max_length=32, description="Origin site code.")
    prisoners: list[str] = Field(min_length=1, max_length=20_000)
    reason: str = Field(min_length=1, max_length=1000)


class ScansIn(_In):
    prisoners: list[str] = Field(min_length=1, max_length=20_000, description="Prisoner numbers (or external_ref for people from outside).")
    at: datetime | None = None


class AccountIn(_In):
    person: str = Field(min_length=1, max_length=80)
    outcome: Literal["returned", "incident"]
    reason: str = Field(min_length=1, max_length=2000)


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


class DepartIn(_In):
    at: datetime | None = None


@router.post("/sites/{site}/transfers", status_code=201, summary="Plan a transfer from another site to this one (beds reserved)")
def plan(site: str, body: PlanIn, ctx: Ctx = Depends(Require("movements:write"))):
    t = service.plan_transfer(ctx.session, ctx.actor, site, origin_code=body.origin, numbers=body.prisoners, reason=body.reason)
    return service.reconciliation(ctx.session, t.id)


@router.post("/sites/{site}/transfers/manifest", status_code=201,
             summary="Plan a transfer in from an outside agency: the manifest (text/csv body) is checked now and booked at arrival")
async def plan_manifest(site: str, agency: str = Query(..., min_length=1, max_length=200),
                        reason: str = Query(..., min_length=1, max_length=1000), filename: str = Query("manifest.csv", max_length=200),
                        data: bytes = Depends(upload), ctx: Ctx = Depends(Require("movements:write"))):
    t = await run_in_threadpool(service.plan_transfer, ctx.session, ctx.actor, site, agency=agency, manifest=data, filename=filename, reason=reason)
    return service.reconciliation(ctx.session, t.id)


@router.get("/sites/{site}/transfers", summary="Transfers to or from a site, newest first")
def list_transfers(site: str, status: Literal["planned", "departed", "arrived", "closed", "cancelled"] | None = None,
                   ctx: Ctx = Depends(Require("movements:read"))):
    return service.list_transfers(ctx.session, site, status=status)


@router.get("/transfers/{transfer_id}", summary="The reconciliation: everyone on the manifest, who is missing, the alerts")
def get_transfer(transfer_id: int, ctx: Ctx = Depends(Require("movements:read"))):
    return service.reconciliation(ctx.session, transfer_id)


@router.post("/transfers/{transfer_id}/depart", summary="Check everyone out of the origin")
def depart(transfer_id: int, body: DepartIn, ctx: Ctx = Depends(Require("movements:write"))):
    service.depart(ctx.session, ctx.actor, transfer_id, at=body.at)
    return service.reconciliation(ctx.session, transfer_id)


@router.post("/transfers/{transfer_id}/arrivals", summary="Check people in at the destination (refused and alerted if not on the manifest)")
def arrive(transfer_id: int, body: ScansIn, ctx: Ctx = Depends(Require("movements:write"))):
    return service.arrive(ctx.session, ctx.actor, transfer_id, body.prisoners, at=body.at)


@router.post("/transfers/{transfer_id}/account", summary="Account for someone who did not arrive (returned to origin, or an incident)")
def account(transfer_id: int, body: AccountIn, ctx: Ctx = Depends(Require("movements:write"))):
    return service.account(ctx.session, ctx.actor, transfer_id, body.person, outcome=body.outcome, reason=body.reason)


@router.post("/transfers/{transfer_id}/close", summary="Close: refused while anyone is unaccounted for")
def close(transfer_id: int, ctx: Ctx = Depends(Require("movements:write"))):
    service.close(ctx.session, ctx.actor, transfer_id)
    return service.reconciliation(ctx.session, transfer_id)


@router.post("/transfers/{transfer_id}/cancel", summary="Cancel a planned transfer (its reserved beds are freed)")
def cancel(transfer_id: int, body: ReasonIn, ctx: Ctx = Depends(Require("movements:write"))):
    service.cancel(ctx.session, ctx.actor, transfer_id, body.reason)
    return service.reconciliation(ctx.session, transfer_id)
