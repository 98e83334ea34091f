"""Movements: record them (one or a batch), where a person was, who was in a location, the timeline."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query

from habeas.kit.web import Ctx, Require, TxRoute
from habeas.movements import service
from habeas.movements.schemas import (
    MovementBatchIn, MovementIn, MovementOut, MovementsRecorded, OccupantsOut, ServiceIn, WhereOut,
)

router = APIRouter(route_class=TxRoute, tags=["movements"])


@router.post("/sites/{site}/movements", response_model=MovementsRecorded, status_code=201,
             summary="Record a batch of movements in one transaction: all or nothing")
def record_batch(site: str, body: MovementBatchIn, ctx: Ctx = Depends(Require("movements:write"))):
    ids = service.record_movements(ctx.session, ctx.actor, site, body.movements)
    return MovementsRecorded(recorded=len(ids), ids=ids)


@router.post("/sites/{site}/movements/one", response_model=MovementsRecorded, status_code=201, summary="Record one movement")
def record_one(site: str, body: MovementIn, ctx: Ctx = Depends(Require("movements:write"))):
    ids = service.record_movements(ctx.session, ctx.actor, site, [body])
    return MovementsRecorded(recorded=len(ids), ids=ids)


@router.get("/prisoners/{number}/movements", response_model=list[MovementOut], summary="The person's movements in time order")
def timeline(number: str, since: datetime | None = None, until: datetime | None = None,
             limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0),
             ctx: Ctx = Depends(Require("movements:read"))):
    return service.movements_of(ctx.session, number, since=since, until=until, limit=limit, offset=offset)


@router.get("/prisoners/{number}/location", response_model=WhereOut, summary="Where the person was at a time (now by default)")
def where(number: str, at: datetime | None = None, ctx: Ctx = Depends(Require("movements:read"))):
    return service.where(ctx.session, number, at)


@router.get("/sites/{site}/locations/{code}/occupants", response_model=OccupantsOut,
            summary="Who was in a location (and everywhere below it) at a time (now by default)")
def occupants(site: str, code: str, at: datetime | None = None, ctx: Ctx = Depends(Require("movements:read"))):
    return service.occupants(ctx.session, site, code, at)


@router.post("/sites/{site}/locations/{code}/service", summary="Take a location out of service, or put it back")
def set_service(site: str, code: str, body: ServiceIn, ctx: Ctx = Depends(Require("movements:write"))):
    from habeas.sites.service import get_site

    loc = service.set_in_service(ctx.session, ctx.actor, get_site(ctx.session, site).id, code, body.in_service, body.note)
    return {"location": loc.code, "in_service": loc.in_service, "note": loc.service_note}
