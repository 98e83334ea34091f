"""The legal due lists of a site: who is held without a current legal basis, whose review is
overdue, what falls due in the coming days, and who is due for release."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from habeas.kit.pages import Page, render
from habeas.kit.web import Ctx, TxRoute
from habeas.legal.sentences import release_due
from habeas.legal.service import due_lists

router = APIRouter(route_class=TxRoute)
DAY_CHOICES = (7, 14, 30, 60, 90)
SHOWN = 200  # rows per list unless the whole list is asked for


@router.get("/sites/{code}/legal")
def due(request: Request, code: str, days: int = Query(14, ge=0, le=366), full: bool = False, ctx: Ctx = Depends(Page("legal:read"))):
    lists = due_lists(ctx.session, code, within_days=days)
    return render(request, "legal/due.html", {"site_code": lists["site"], "lists": lists, "days": days, "day_choices": DAY_CHOICES,
                                              "releases": release_due(ctx.session, lists["site"]), "limit": None if full else SHOWN})
