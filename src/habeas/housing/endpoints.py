"""Housing: allocation (preview and commit), single moves, non-associations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from habeas.housing import non_associations as na
from habeas.housing import service
from habeas.kit.web import Ctx, Require, TxRoute, upload

router = APIRouter(route_class=TxRoute, tags=["housing"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AllocateIn(_In):
    dry_run: bool = True
    arrivals: list[str] | None = Field(None, max_length=50_000, description="Prisoner numbers; default everyone waiting in reception.")
    prefer_pavilion: str | None = Field(None, max_length=200)
    use_max: bool = Field(False, description="Supervised override: fill cells up to max capacity instead of working capacity.")
    reason: str = Field("allocation", min_length=1, max_length=500)


class MoveIn(_In):
    cell: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=1000)
    override_reason: str | None = Field(None, max_length=2000, description="A supervisor's reason to set a separation rule or non-association aside.")


class PairBody(_In):
    prisoner_a: str = Field(min_length=1, max_length=80)
    prisoner_b: str = Field(min_length=1, max_length=80)
    reason: Literal["gang", "organised_crime", "threat", "violence", "bullying", "legal_request", "other"]
    role_a: Literal["victim", "perpetrator", "not_relevant", "unknown"] = "unknown"
    role_b: Literal["victim", "perpetrator", "not_relevant", "unknown"] = "unknown"
    level: Literal["cell", "landing", "pavilion", "site"] = "cell"
    comment: str | None = Field(None, max_length=2000)


class CloseIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/sites/{site}/allocations", summary="Plan the housing of the arrivals; commit it unless dry_run")
def allocate(site: str, body: AllocateIn, ctx: Ctx = Depends(Require("housing:write"))):
    return service.allocate(ctx.session, ctx.actor, site, dry_run=body.dry_run, arrivals=body.arrivals, use_max=body.use_max,
                            prefer_pavilion=body.prefer_pavilion, reason=body.reason)


@router.post("/prisoners/{number}/housing", summary="Move a person to a cell with the allocation's checks (overrides need a reason)")
def move(number: str, body: MoveIn, ctx: Ctx = Depends(Require("housing:write"))):
    return service.move_to_cell(ctx.session, ctx.actor, number, body.cell, reason=body.reason, override_reason=body.override_reason)


@router.post("/non-associations", status_code=201, summary="Record a keep-apart pair")
def add_pair(body: PairBody, ctx: Ctx = Depends(Require("housing:write"))):
    r = na.add(ctx.session, ctx.actor, na.PairIn(**body.model_dump()))
    return {"id": r.id, "status": r.status}


@router.post("/non-associations/import", status_code=201, summary="Import keep-apart pairs from a CSV file (all or nothing)")
async def import_pairs(filename: str = Query("non-associations.csv", max_length=200), data: bytes = Depends(upload),
                       ctx: Ctx = Depends(Require("housing:write"))):
    return {"recorded": await run_in_threadpool(na.import_csv, ctx.session, ctx.actor, data, filename)}


@router.post("/non-associations/{na_id}/close", summary="Close a keep-apart record, with the reason (kept)")
def close_pair(na_id: int, body: CloseIn, ctx: Ctx = Depends(Require("housing:write"))):
    r = na.close(ctx.session, ctx.actor, na_id, body.reason)
    return {"id": r.id, "status": r.status}


@router.get("/prisoners/{number}/non-associations", summary="A person's keep-apart records, open and closed")
def of_person(number: str, ctx: Ctx = Depends(Require("prisoners:read"))):
    return na.of_person(ctx.session, number)
