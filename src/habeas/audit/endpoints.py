"""The audit log, for inspectors and admins."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query

from habeas.audit import repository, service
from habeas.audit.schemas import AuditEventOut, VerifyOut
from habeas.kit import clock
from habeas.kit.pagination import Page
from habeas.kit.web import Ctx, Require, TxRoute

router = APIRouter(route_class=TxRoute, tags=["audit"])


@router.get("/audit/events", response_model=Page[AuditEventOut], summary="Audit events, newest first, filtered by entity, user, action or time")
def events(
    entity_type: str | None = Query(None, max_length=40),
    entity_id: str | None = Query(None, max_length=80),
    actor: str | None = Query(None, max_length=80),
    action: str | None = Query(None, max_length=60),
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(50, ge=1, le=500),
    ctx: Ctx = Depends(Require("audit:read")),
):
    items, total = repository.events(
        ctx.session, entity_type=entity_type, entity_id=entity_id, actor=actor, action=action,
        since=clock.db_time(since) if since else None, until=clock.db_time(until) if until else None,
        offset=(page - 1) * page_size, limit=page_size,
    )
    out = [AuditEventOut(seq=e.seq, at=clock.from_db(e.at), actor=e.actor, action=e.action, entity_type=e.entity_type, entity_id=e.entity_id,
                         before=e.before, after=e.after, request_id=e.request_id, prev_hash=e.prev_hash, hash=e.hash) for e in items]
    return Page[AuditEventOut](items=out, page=page, page_size=page_size, total=total)


@router.get("/audit/verify", response_model=VerifyOut, summary="Walk the hash chain and report the first altered, removed or inserted event")
def verify(
    expect_seq: int | None = Query(None, ge=1, description="With expect_hash: a head recorded earlier outside the database."),
    expect_hash: str | None = Query(None, pattern="^[0-9a-f]{64}$"),
    ctx: Ctx = Depends(Require("audit:read")),
):
    expect = (expect_seq, expect_hash) if expect_seq is not None and expect_hash is not None else None
    return VerifyOut(**service.verify(ctx.session, expect=expect).as_dict())
