"""The front page: a site's dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from habeas.dashboard.service import dashboard
from habeas.kit.pages import SITE_COOKIE, Page, redirect, render
from habeas.kit.web import Ctx, TxRoute
from habeas.sites.repository import list_sites, site_by_code

router = APIRouter(route_class=TxRoute)


@router.get("/")
def home(request: Request, ctx: Ctx = Depends(Page("sites:read"))):
    remembered = request.cookies.get(SITE_COOKIE)
    site = site_by_code(ctx.session, remembered) if remembered else None
    if site is None:
        sites = list_sites(ctx.session)
        if not sites:
            return render(request, "dashboard/no_site.html")
        site = sites[0]
    return redirect(f"/sites/{site.code}")


@router.get("/sites/{code}")
def site_dashboard(request: Request, code: str, full: bool = False, ctx: Ctx = Depends(Page("sites:read"))):
    d = dashboard(ctx.session, code)
    scale = max([b.max for b in d.pavilions] + [1])
    return render(request, "dashboard/dashboard.html", {"site_code": d.site, "d": d, "scale": scale, "limit": 100_000 if full else 12,
                                                        "sites": [(s.code, s.name) for s in list_sites(ctx.session)]})
