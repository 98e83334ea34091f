"""Incidents that change custody: escape, recapture, death."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from habeas.incidents import service
from habeas.kit.web import Ctx, Require, TxRoute

router = APIRouter(route_class=TxRoute, tags=["incidents"])


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["escape", "recapture", "death", "other"]
    description: str = Field(min_length=1, max_length=4000)
    prisoner: str | None = Field(None, max_length=20)
    occurred_at: datetime | None = None
    location: str | None = Field(None, max_length=200, description="For a recapture: where the person is brought.")


@router.post("/sites/{site}/incidents", status_code=201, summary="Record an incident and its movement")
def record_incident(site: str, body: IncidentIn, ctx: Ctx = Depends(Require("incidents:write"))):
    inc = service.record_incident(ctx.session, ctx.actor, site, **body.model_dump())
    return {"id": inc.id, "kind": inc.kind, "movement": inc.movement_id}


@router.get("/sites/{site}/incidents", summary="Incidents of a site, newest first")
def list_incidents(site: str, limit: int = Query(100, ge=1, le=1000), ctx: Ctx = Depends(Require("movements:read"))):
    return service.list_incidents(ctx.session, site, limit=limit)
