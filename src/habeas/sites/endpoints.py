"""Sites and locations: the tree with capacity and occupancy, occupants, loading a layout."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from starlette.concurrency import run_in_threadpool

from habeas.kit.web import Ctx, Require, TxRoute, upload
from habeas.prisoners.service import summary
from habeas.prisoners import repository as prisoners_repo
from habeas.sites import repository, service
from habeas.sites.layout import parse_layout
from habeas.sites.schemas import LoadResult, LocationOut, SiteOut

router = APIRouter(route_class=TxRoute, tags=["sites"])


def _site_out(site) -> SiteOut:
    return SiteOut(code=site.code, name=site.name, timezone=site.timezone, operational_capacity=site.operational_capacity, layout_digest=site.layout_digest)


def _node_out(node: service.LocationNode, depth: int | None) -> LocationOut:
    loc = node.location
    return LocationOut(
        code=loc.code, name=loc.name, type=loc.type, use=loc.use, active=loc.active, residential=loc.residential,
        floor_area_m2=loc.floor_area_m2, ceiling_height_m=loc.ceiling_height_m, natural_light=loc.natural_light, cna=loc.cna, working_capacity=loc.working_capacity, max_capacity=loc.max_capacity,
        toilets=loc.toilets, sinks=loc.sinks, water_containers=loc.water_containers, outdoor=loc.outdoor, room_use=loc.room_use, attributes=loc.effective_attributes,
        occupants=node.occupants, total_cna=node.cna, total_working=node.working, total_max=node.max,
        children=[_node_out(c, None if depth is None else depth - 1) for c in node.children] if depth is None or depth > 0 else [],
    )


@router.get("/sites", response_model=list[SiteOut])
def list_sites(ctx: Ctx = Depends(Require("sites:read"))):
    return [_site_out(s) for s in repository.list_sites(ctx.session)]


@router.get("/sites/{code}", response_model=SiteOut)
def get_site(code: str, ctx: Ctx = Depends(Require("sites:read"))):
    return _site_out(service.get_site(ctx.session, code))


@router.put("/sites", response_model=LoadResult, summary="Create or update a site from a layout file (YAML body)")
async def load_site(filename: str = Query("layout.yaml", max_length=200), data: bytes = Depends(upload), ctx: Ctx = Depends(Require("sites:write"))):
    spec = parse_layout(data, filename)
    report = await run_in_threadpool(service.load_site, ctx.session, ctx.actor, spec, filename=filename)
    return LoadResult(**report.as_dict())


@router.get("/sites/{code}/locations", response_model=list[LocationOut], summary="The location tree with capacity and occupancy")
def tree(code: str, depth: int | None = Query(None, ge=0, le=50), include_inactive: bool = False, ctx: Ctx = Depends(Require("sites:read"))):
    site = service.get_site(ctx.session, code)
    return [_node_out(n, depth) for n in service.location_tree(ctx.session, site, include_inactive=include_inactive)]


@router.get("/sites/{code}/locations/{location_code}", summary="One location with its occupants, in name order, paged")
def location(code: str, location_code: str, page: int = Query(1, ge=1, le=100_000), page_size: int = Query(200, ge=1, le=1000),
             ctx: Ctx = Depends(Require("sites:read"))):
    node = service.location_subtree(ctx.session, service.get_site(ctx.session, code), location_code)
    people = repository.occupants(ctx.session, service.subtree_ids(node), offset=(page - 1) * page_size, limit=page_size)
    where = prisoners_repo.location_codes(ctx.session, [p.current_location_id for p in people])
    return {"location": _node_out(node, 1).model_dump(), "occupants": [summary(p, where) for p in people],
            "page": page, "page_size": page_size, "total": node.occupants}
