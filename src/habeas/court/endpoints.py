"""Court cases, hearings, video-link room bookings and blocks, the day's list, outcomes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from habeas.court import service
from habeas.kit.web import Ctx, Require, TxRoute

router = APIRouter(route_class=TxRoute, tags=["court"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChargeIn(_In):
    offence: str = Field(min_length=1, max_length=300)
    offence_date: date | None = None


class CaseIn(_In):
    reference: str = Field(min_length=1, max_length=120)
    court: str = Field(min_length=1, max_length=200)
    charges: list[ChargeIn] = Field(default_factory=list, max_length=200)


class SlotItem(_In):
    slot: Literal["pre", "main", "post"]
    starts_at: datetime
    ends_at: datetime
    room: str | None = Field(None, max_length=200)


class HearingIn(_In):
    starts_at: datetime
    ends_at: datetime
    mode: Literal["in_person", "video_link"]
    court: str | None = Field(None, max_length=200)
    room: str | None = Field(None, max_length=200, description="Video link: the room of the main slot when no slots are given.")
    slots: list[SlotItem] | None = Field(None, max_length=3)


class BlockIn(_In):
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(min_length=1, max_length=1000)


class OutcomeIn(_In):
    outcome: Literal["remanded", "convicted", "released", "adjourned"]
    note: str | None = Field(None, max_length=2000)
    remanded_until: date | None = None
    sentence_reference: str | None = Field(None, max_length=120)


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


class MoveIn(_In):
    direction: Literal["out", "back"]
    at: datetime | None = None


@router.post("/prisoners/{number}/cases", status_code=201, summary="Open a court case with its charges")
def open_case(number: str, body: CaseIn, ctx: Ctx = Depends(Require("legal:write"))):
    c = service.open_case(ctx.session, ctx.actor, number, reference=body.reference, court=body.court,
                          charges=[(x.offence, x.offence_date) for x in body.charges])
    return {"id": c.id, "reference": c.reference, "court": c.court}


@router.post("/cases/{case_id}/hearings", status_code=201, summary="Schedule a hearing (a video link books its room slots)")
def schedule(case_id: int, body: HearingIn, ctx: Ctx = Depends(Require("legal:write"))):
    slots = [service.SlotIn(x.slot, x.starts_at, x.ends_at, x.room) for x in body.slots] if body.slots else None
    h = service.schedule(ctx.session, ctx.actor, case_id, starts_at=body.starts_at, ends_at=body.ends_at, mode=body.mode, court=body.court,
                         slots=slots, room=body.room)
    return {"id": h.id, "starts_at": h.starts_at, "ends_at": h.ends_at, "mode": h.mode}


@router.post("/hearings/{hearing_id}/cancel", summary="Cancel a hearing and free its rooms")
def cancel(hearing_id: int, body: ReasonIn, ctx: Ctx = Depends(Require("legal:write"))):
    return {"id": service.cancel(ctx.session, ctx.actor, hearing_id, body.reason).id, "status": "cancelled"}


@router.post("/hearings/{hearing_id}/outcome", summary="Record the outcome; the legal basis follows")
def outcome(hearing_id: int, body: OutcomeIn, ctx: Ctx = Depends(Require("legal:write"))):
    return service.record_outcome(ctx.session, ctx.actor, hearing_id, **body.model_dump())


@router.post("/hearings/{hearing_id}/movements", status_code=201, summary="Take the person to the hearing, or back (movement ledger)")
def move(hearing_id: int, body: MoveIn, ctx: Ctx = Depends(Require("movements:write"))):
    return {"ids": service.move(ctx.session, ctx.actor, hearing_id, body.direction, at=body.at)}


@router.post("/sites/{site}/rooms/{room}/blocks", status_code=201, summary="Block a video-link room for a period")
def block(site: str, room: str, body: BlockIn, ctx: Ctx = Depends(Require("legal:write"))):
    b = service.block_room(ctx.session, ctx.actor, site, room, starts_at=body.starts_at, ends_at=body.ends_at, reason=body.reason)
    return {"id": b.id}


@router.post("/room-blocks/{block_id}/lift", summary="Lift a room block before its end, with the reason (the block is kept)")
def lift_block(block_id: int, body: ReasonIn, ctx: Ctx = Depends(Require("legal:write"))):
    b = service.lift_block(ctx.session, ctx.actor, block_id, body.reason)
    return {"id": b.id, "active": b.active}


@router.get("/sites/{site}/hearings", summary="The day's hearings with their room slots")
def day(site: str, on: date | None = None, ctx: Ctx = Depends(Require("legal:read"))):
    return service.day(ctx.session, site, on)
