"""Prisoners: look up, search, the full record (audited), corrections."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query

from habeas.kit import clock
from habeas.kit.pagination import Page
from habeas.kit.web import Ctx, Require, TxRoute
from habeas.prisoners import service
from habeas.sites.service import get_site
from habeas.prisoners.schemas import AddAffiliation, AddAlias, AddMark, Amend, AmendmentOut, Deactivate, PrisonerRecord, PrisonerSummary

router = APIRouter(route_class=TxRoute, tags=["prisoners"])


@router.get("/prisoners", response_model=Page[PrisonerSummary], summary="Search by name words, number or date of birth")
def search(
    q: str | None = Query(None, max_length=200, description="Name words; each matches the start of a name or alias."),
    number: str | None = Query(None, max_length=20),
    date_of_birth: date | None = None,
    in_custody: bool | None = None,
    site: str | None = Query(None, max_length=32),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(20, ge=1, le=200),
    ctx: Ctx = Depends(Require("prisoners:read")),
):
    site_id = get_site(ctx.session, site).id if site else None
    found = service.search(ctx.session, q=q, number=number, dob=date_of_birth, in_custody=in_custody, site_id=site_id, offset=(page - 1) * page_size, limit=page_size)
    return Page[PrisonerSummary](items=found.items, page=page, page_size=page_size, total=found.total, total_capped=found.total_capped, more=found.more)


@router.get("/prisoners/{number}", response_model=PrisonerRecord, summary="The full record (reading it is audited)")
def get_record(number: str, ctx: Ctx = Depends(Require("prisoners:read"))):
    return service.full_record(ctx.session, ctx.actor, number)


@router.post("/prisoners/{number}/amendments", response_model=AmendmentOut, status_code=201, summary="Correct identity fields, with a reason")
def amend(number: str, body: Amend, ctx: Ctx = Depends(Require("prisoners:write"))):
    changes = body.model_dump(exclude={"reason"}, exclude_none=True)
    a = service.amend(ctx.session, ctx.actor, number, changes, body.reason)
    return AmendmentOut(id=a.id, changes=a.changes, reason=a.reason, actor=a.actor, at=clock.from_db(a.at))


@router.post("/prisoners/{number}/marks", status_code=201)
def add_mark(number: str, body: AddMark, ctx: Ctx = Depends(Require("prisoners:write"))):
    m = service.add_mark(ctx.session, ctx.actor, number, kind=body.kind, body_location=body.body_location, description=body.description, reason=body.reason)
    return {"id": m.id}


@router.post("/prisoners/{number}/aliases", status_code=201)
def add_alias(number: str, body: AddAlias, ctx: Ctx = Depends(Require("prisoners:write"))):
    return {"id": service.add_alias(ctx.session, ctx.actor, number, name=body.name, reason=body.reason).id}


@router.post("/prisoners/{number}/affiliations", status_code=201)
def add_affiliation(number: str, body: AddAffiliation, ctx: Ctx = Depends(Require("prisoners:write"))):
    return {"id": service.add_affiliation(ctx.session, ctx.actor, number, group=body.group, source=body.source, reason=body.reason).id}


@router.post("/prisoners/{number}/{kind}/{detail_id}/withdraw", summary="Withdraw a mark, alias or affiliation recorded in error (kept, marked inactive)")
def withdraw(number: str, kind: Literal["marks", "aliases", "affiliations"], detail_id: int, body: Deactivate, ctx: Ctx = Depends(Require("prisoners:write"))):
    service.deactivate_detail(ctx.session, ctx.actor, number, kind, detail_id, body.reason)
    return {"withdrawn": detail_id}


