"""Housing pages: the allocation of a transfer's arrivals, previewed (who goes to which cell, who
stays in reception and why, occupancy per pavilion and landing before and after) and then
committed. The preview is ``housing.service.make_plan`` (the dry run of ``allocate``, checked by
the independent checker); the commit is ``allocate(dry_run=False)``, the same call as
``POST /api/v1/sites/{site}/allocations``."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from habeas.dashboard.service import PavilionBar
from habeas.housing import service
from habeas.kit.errors import DomainError
from habeas.kit.i18n import gettext as _
from habeas.kit.pages import Page, flash, redirect, render
from habeas.kit.web import Ctx, TxRoute
from habeas.models import Prisoner
from habeas.transfers import service as transfers
from habeas.transfers.views import detail_context, refused_on_transfer, refused_page, transfer_of_site

router = APIRouter(route_class=TxRoute)
WRITE = "housing:write"


def preview(session, site_code: str, numbers: list[str]) -> dict:
    """The allocation's dry run for these arrivals, in the words and figures the page shows."""
    state, plan, report, seconds = service.make_plan(session, site_code, arrivals=numbers)
    summary = service.summarise(state, plan, report, committed=False, seconds=seconds)
    cells = {c.id: c for c in state.problem.cells}
    ids = [*plan.assignments, *plan.unplaced]
    names = {pid: f"{surname}, {given}" for pid, surname, given in session.execute(
        select(Prisoner.id, Prisoner.surname, Prisoner.given_names).where(Prisoner.id.in_(ids))).all()} if ids else {}
    moves = sorted(({"number": state.numbers[pid], "name": names.get(pid, ""), "cell": cells[cid].code, "pavilion": cells[cid].pavilion,
                     "landing": cells[cid].landing} for pid, cid in plan.assignments.items()), key=lambda m: (m["cell"], m["number"]))
    left = sorted(({"number": state.numbers[pid], "name": names.get(pid, ""), "reason": why} for pid, why in plan.unplaced.items()),
                  key=lambda m: m["number"])

    normal = [c for c in state.problem.cells if c.use == "normal"]
    cap: dict = {}
    for c in normal:
        for key in (("pavilion", c.pavilion), ("landing", c.landing)):
            if key[1] is None:
                continue
            cna, working, mx = cap.get(key, (0, 0, 0))
            cap[key] = (cna + c.cna, working + c.working, mx + c.max)
    before_landing = Counter(cells[cid].landing for _, cid in state.problem.residents if cid in cells)
    added_landing = Counter(cells[cid].landing for cid in plan.assignments.values())
    pavilions, bars = [], []
    for code, (before, after) in plan.pavilion_changes().items():
        if code is None:
            continue
        cna, working, mx = cap.get(("pavilion", code), (0, 0, 0))
        pavilions.append({"code": code, "before": before, "after": after, "added": after - before, "cna": cna, "working": working, "max": mx,
                          "free": working - after})
        bars.append(PavilionBar(code=code, name=code, population=after, cna=cna, working=working, max=mx))
    landings = []
    for code, added in sorted(added_landing.items(), key=lambda kv: str(kv[0])):
        if code is None:
            continue
        cna, working, mx = cap.get(("landing", code), (0, 0, 0))
        before = before_landing.get(code, 0)
        landings.append({"code": code, "before": before, "after": before + added, "added": added, "working": working, "free": working - before - added})
    return {"summary": summary, "moves": moves, "left": left, "pavilions": pavilions, "landings": landings, "bars": bars,
            "scale": max([b.max for b in bars] + [1]), "reasons": Counter(m["reason"] for m in left).most_common(),
            "seconds": round(sum(v for v in seconds.values() if isinstance(v, (int, float))), 2)}


@router.get("/sites/{code}/transfers/{transfer_id}/allocation")
def allocation_preview(request: Request, code: str, transfer_id: int, ctx: Ctx = Depends(Page(WRITE))):
    """Preview where the people who arrived on this transfer would be housed (nothing written)."""
    site, t = transfer_of_site(ctx.session, code, transfer_id)
    if site.id != t.destination_site_id:
        return refused_page(request, ctx, code, transfer_id, DomainError(_("Only the destination houses the arrivals."), status=409))
    numbers = transfers.awaiting_housing(ctx.session, t.id)
    context = {"site_code": site.code, "transfer_id": t.id, "awaiting": numbers}
    if numbers:
        try:
            context["allocation"] = preview(ctx.session, site.code, numbers)
        except DomainError as exc:
            return refused_page(request, ctx, code, transfer_id, exc)
    if request.headers.get("hx-request") == "true":
        return render(request, "housing/_allocation.html", context)
    page = detail_context(ctx.session, request, code, transfer_id)
    page.update(context)
    return render(request, "transfers/detail.html", page)


@router.post("/sites/{code}/transfers/{transfer_id}/allocation")
async def allocation_commit(request: Request, code: str, transfer_id: int, ctx: Ctx = Depends(Page(WRITE))):
    """House the people who arrived on this transfer: the allocation is planned again and written
    in one transaction (``allocate`` with dry_run false); anyone who cannot be placed stays in
    reception with the reason."""
    site, t = await run_in_threadpool(transfer_of_site, ctx.session, code, transfer_id)
    htmx = request.headers.get("hx-request") == "true"
    if site.id != t.destination_site_id:
        return await refused_on_transfer(request, ctx, code, transfer_id, DomainError(_("Only the destination houses the arrivals."), status=409))
    numbers = await run_in_threadpool(transfers.awaiting_housing, ctx.session, t.id)
    back = f"/sites/{site.code}/transfers/{t.id}#allocation"
    if not numbers:
        return flash(redirect(back, htmx=htmx), request, _("Nobody from this transfer is waiting in reception for a cell."), "warn")
    try:
        result = await run_in_threadpool(service.allocate, ctx.session, ctx.actor, site.code, dry_run=False, arrivals=numbers,
                                         reason=f"arrivals of transfer {t.id}")
    except DomainError as exc:
        return await refused_on_transfer(request, ctx, code, transfer_id, exc)
    left = await run_in_threadpool(transfers.awaiting_housing, ctx.session, t.id)
    context = {"site_code": site.code, "transfer_id": t.id, "awaiting": left, "committed": result}
    if htmx:
        return render(request, "housing/_allocation.html", context)
    page = await run_in_threadpool(detail_context, ctx.session, request, code, transfer_id)
    page.update(context)
    return render(request, "transfers/detail.html", page)
