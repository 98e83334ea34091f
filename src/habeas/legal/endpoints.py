"""Legal bases of a person."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from habeas.intake.schemas import LegalBasisIn
from habeas.kit.web import Ctx, Require, TxRoute
from habeas.legal import service
from habeas.prisoners.schemas import LegalBasisOut

router = APIRouter(route_class=TxRoute, tags=["legal"])


def _out(b) -> LegalBasisOut:
    return LegalBasisOut(id=b.id, type=b.type, reference=b.reference, issuing_authority=b.issuing_authority, issue_date=b.issue_date, review_due=b.review_due, expiry_date=b.expiry_date, status=b.status)


@router.get("/prisoners/{number}/legal-bases", response_model=list[LegalBasisOut])
def list_bases(number: str, ctx: Ctx = Depends(Require("legal:read"))):
    return [_out(b) for b in service.list_bases(ctx.session, number)]


@router.post("/prisoners/{number}/legal-bases", response_model=LegalBasisOut, status_code=201, summary="Add a legal basis to the open custody episode")
def add_basis(number: str, body: LegalBasisIn, ctx: Ctx = Depends(Require("legal:write"))):
    return _out(service.add_basis(ctx.session, ctx.actor, number, body))
