"""Headcounts: open, submit observed numbers, recount, reconcile, clear."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from habeas.counts import service
from habeas.kit.web import Ctx, Require, TxRoute

router = APIRouter(route_class=TxRoute, tags=["counts"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CountIn(_In):
    kind: Literal["scheduled", "emergency"] = "scheduled"
    scope: str | None = Field(None, max_length=200, description="A location code: count it and everything below it. Default: the whole site.")
    note: str | None = Field(None, max_length=1000)


class Observed(_In):
    location: str = Field(min_length=1, max_length=200)
    observed: int = Field(description="People seen there.")


class SubmissionIn(_In):
    counts: list[Observed] = Field(min_length=1, max_length=20_000)


class RecountIn(_In):
    locations: list[str] = Field(min_length=1, max_length=20_000)
    reason: str = Field(min_length=1, max_length=1000)


class CancelIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/sites/{site}/counts", status_code=201, summary="Open a count: expected numbers fixed from the ledger now")
def open_count(site: str, body: CountIn, ctx: Ctx = Depends(Require("movements:write"))):
    c = service.open_count(ctx.session, ctx.actor, site, kind=body.kind, scope=body.scope, note=body.note)
    return service.view(ctx.session, c.id)


@router.get("/sites/{site}/counts", summary="Counts of a site, newest first")
def list_counts(site: str, status: Literal["open", "cleared", "cancelled"] | None = None, limit: int = Query(50, ge=1, le=500),
                ctx: Ctx = Depends(Require("movements:read"))):
    return service.list_counts(ctx.session, site, status, limit)


@router.get("/counts/{count_id}", summary="A count with every location, differences and the movements recorded during it")
def get_count(count_id: int, ctx: Ctx = Depends(Require("movements:read"))):
    return service.view(ctx.session, count_id)


@router.post("/counts/{count_id}/submissions", summary="Submit observed numbers per location (all or nothing)")
def submit(count_id: int, body: SubmissionIn, ctx: Ctx = Depends(Require("movements:write"))):
    return {"status": service.submit(ctx.session, ctx.actor, count_id, [(o.location, o.observed) for o in body.counts])}


@router.post("/counts/{count_id}/recounts", summary="Order a recount of locations")
def recount(count_id: int, body: RecountIn, ctx: Ctx = Depends(Require("movements:write"))):
    service.order_recount(ctx.session, ctx.actor, count_id, body.locations, body.reason)
    return {"recount": body.locations}


@router.post("/counts/{count_id}/reconcile", summary="Re-check differences against the ledger as corrected since the count opened")
def reconcile(count_id: int, ctx: Ctx = Depends(Require("movements:write"))):
    return {"result": service.reconcile(ctx.session, ctx.actor, count_id)}


@router.post("/counts/{count_id}/clear", summary="Clear the count (every location matched or explained)")
def clear(count_id: int, ctx: Ctx = Depends(Require("movements:write"))):
    service.clear(ctx.session, ctx.actor, count_id)
    return service.view(ctx.session, count_id)


@router.post("/counts/{count_id}/cancel", summary="Cancel an open count, with the reason")
def cancel(count_id: int, body: CancelIn, ctx: Ctx = Depends(Require("movements:write"))):
    service.cancel(ctx.session, ctx.actor, count_id, body.reason)
    return service.view(ctx.session, count_id)
