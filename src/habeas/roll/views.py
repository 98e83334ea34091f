"""The live roll page: the site's figures and one line per pavilion and landing (or per cell)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request

from habeas.kit import clock
from habeas.kit.i18n import N_
from habeas.kit.pages import Page, render
from habeas.kit.web import Ctx, TxRoute
from habeas.roll import service
from habeas.sites.service import get_site
from habeas.sites.views import SPACE_STANDARDS

router = APIRouter(route_class=TxRoute)

# Why people are out of the site (the roll's ``out_of_site`` keys), for the catalogs.
AWAY_NAMES = {"court": N_("court"), "hospital": N_("hospital"), "out": N_("out"), "escaped": N_("escaped"), "transit": N_("transit")}


def line_level(ln: service.RollLine) -> str:
    """Over capacity: people housed above the working (or max) places are bad, above cna a warning."""
    if (ln.max or ln.working) and ln.housed > ln.working:
        return "bad"
    if ln.above_cna > 0:
        return "warn"
    return ""


def space_class(m2: float | None) -> str:
    if m2 is None:
        return ""
    if m2 < SPACE_STANDARDS["icrc"]["shared"]:
        return "below-icrc"
    if m2 < SPACE_STANDARDS["cpt"]["shared"]:
        return "below-cpt"
    return ""


@router.get("/sites/{code}/roll")
def roll_page(request: Request, code: str, cells: bool = False, ctx: Ctx = Depends(Page("movements:read"))):
    site = get_site(ctx.session, code)
    r = service.roll(ctx.session, site.code, depth=None if cells else 1)
    local = clock.to_utc(r.at).astimezone(ZoneInfo(site.timezone))
    lines = [(ln, line_level(ln), space_class(ln.m2_per_person)) for ln in r.lines]
    return render(request, "roll/roll.html", {
        "site_code": site.code, "site": site, "r": r, "local": local, "cells": cells, "lines": lines, "away_names": AWAY_NAMES,
        "m2_class": space_class(r.m2_per_person), "standards": SPACE_STANDARDS,
    })
