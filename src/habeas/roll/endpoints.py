"""The live roll of a site."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from habeas.kit.web import Ctx, Require, TxRoute
from habeas.roll import service

router = APIRouter(route_class=TxRoute, tags=["roll"])


@router.get("/sites/{site}/roll", summary="The live roll: population, in and out of cell, out of the site, today's flow, capacity")
def get_roll(site: str, depth: int | None = Query(2, ge=0, le=20, description="Lines down to this depth (0: pavilions)."),
             cells: bool = Query(False, description="Every location, down to each cell."),
             ctx: Ctx = Depends(Require("movements:read"))):
    return service.as_dict(service.roll(ctx.session, site, depth=None if cells else depth))
