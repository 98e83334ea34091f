"""Intake: book one person (JSON) or a whole manifest (CSV body)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from habeas.intake import service
from habeas.intake.schemas import BookedOut, BookingIn, ManifestResult
from habeas.kit.web import Ctx, Require, TxRoute, upload

router = APIRouter(route_class=TxRoute, tags=["intake"])


@router.post("/sites/{code}/intake", response_model=BookedOut, status_code=201, summary="Book one person into custody")
def book(code: str, body: BookingIn, ctx: Ctx = Depends(Require("intake:write"))):
    booked = service.book_one(ctx.session, ctx.actor, code, body)
    return BookedOut(external_ref=booked.external_ref, prisoner_number=booked.prisoner_number)


@router.post(
    "/sites/{code}/intake/manifest",
    response_model=ManifestResult,
    status_code=201,
    summary="Book a whole manifest (text/csv body): every row valid, all booked; any row invalid, nothing written",
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
)
async def manifest(code: str, filename: str = Query("manifest.csv", max_length=200), data: bytes = Depends(upload),
                   ctx: Ctx = Depends(Require("intake:write"))):
    booked = await run_in_threadpool(service.import_manifest, ctx.session, ctx.actor, code, data, filename)
    return ManifestResult(booked=len(booked), prisoners=[BookedOut(external_ref=b.external_ref, prisoner_number=b.prisoner_number) for b in booked])
