"""Transfer pages: the list of a site's transfers, planning one (from an outside agency's manifest
or from another site), and one transfer's reconciliation with the steps of its state machine:
depart, check people in on arrival, account for anyone who did not arrive, close or cancel.
Every step calls the same ``transfers.service`` function as the API and the CLI. Housing the
arrivals (the allocation preview and commit) is in ``housing.views``."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from habeas.config import get_settings
from habeas.kit.errors import DomainError, NotFound
from habeas.kit.i18n import gettext as _
from habeas.kit.pages import Page, can, flash, redirect, render
from habeas.kit.web import Ctx, TxRoute
from habeas.sites.repository import list_sites
from habeas.sites.service import get_site
from habeas.transfers import service

router = APIRouter(route_class=TxRoute)
READ, WRITE = "movements:read", "movements:write"
STATUSES = ("planned", "departed", "arrived", "closed", "cancelled")
ITEMS_SHOWN = 200


def status_words() -> dict[str, str]:
    return {"planned": _("planned"), "departed": _("departed"), "arrived": _("arrived"), "closed": _("closed"),
            "cancelled": _("cancelled"), "returned": _("returned"), "incident": _("incident"), "removed": _("removed")}


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _plain(details) -> list[dict]:
    """A refusal's problems for the page: a row is shown only when it is a row of a file (a
    position in a list of scans or numbers counts from 0 and the message names the item)."""
    out = []
    for d in details if isinstance(details, list) else []:
        if isinstance(d, dict):
            out.append({**d, "row": d.get("row") if d.get("file") else None})
    return out


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


# --- the list and planning --------------------------------------------------------------------

def list_context(session, request: Request, site, status: str | None) -> dict:
    rows = service.list_transfers(session, site.code, status=status)
    counts = service.item_counts(session, [r["id"] for r in rows])
    for r in rows:
        r["people"] = counts.get(r["id"], 0)
        r["created"] = _when(r["created_at"])
    others = [(s.code, s.name) for s in list_sites(session) if s.code != site.code]
    return {"site_code": site.code, "site": site, "rows": rows, "status": status, "statuses": STATUSES, "words": status_words(),
            "others": others, "max_mb": get_settings().max_upload_bytes // 2**20, "form": {}}


@router.get("/sites/{code}/transfers")
def transfers_page(request: Request, code: str, status: str | None = None, ctx: Ctx = Depends(Page(READ))):
    site = get_site(ctx.session, code)
    status = status if status in STATUSES else None
    return render(request, "transfers/list.html", list_context(ctx.session, request, site, status))


async def _plan_refused(request: Request, ctx: Ctx, site, exc: DomainError, which: str, form: dict):
    """The list page again with what was refused (its reads off the event loop)."""
    return await run_in_threadpool(_plan_refused_page, request, ctx, site, exc, which, form)


def _plan_refused_page(request: Request, ctx: Ctx, site, exc: DomainError, which: str, form: dict):
    ctx.session.rollback()
    context = list_context(ctx.session, request, site, None)
    context.update({"plan_error": exc.message, "details": _plain(exc.details), "which": which, "form": form})
    return render(request, "transfers/list.html", context, status=200 if _htmx(request) else exc.status)


@router.post("/sites/{code}/transfers/manifest")
async def plan_from_manifest(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    """Plan a transfer in from an outside agency: its manifest is checked row by row and the beds
    reserved; the people are booked when they arrive (``POST /api/v1/sites/{site}/transfers/manifest``)."""
    form = await request.form()
    site = await run_in_threadpool(get_site, ctx.session, code)
    agency, reason = str(form.get("agency") or "").strip(), str(form.get("reason") or "").strip()
    kept = {"agency": agency, "reason": reason}
    upload = form.get("manifest")
    problems = []
    if not agency:
        problems.append({"row": None, "field": "agency", "message": _("Name the agency that brings the people.")})
    if not reason:
        problems.append({"row": None, "field": "reason", "message": _("Give the reason for the transfer.")})
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems.append({"row": None, "field": "manifest", "message": _("Choose the manifest file (CSV).")})
    if len(agency) > 200 or len(reason) > 1000:
        problems.append({"row": None, "field": "agency" if len(agency) > 200 else "reason", "message": _("Too long.")})
    if problems:
        return await _plan_refused(request, ctx, site, DomainError(_("The transfer was not planned."), details=problems, status=422), "manifest", kept)
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "manifest.csv"
    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        exc = DomainError(_("The file is larger than %(mb)s MB. Split the manifest into smaller files.") % {"mb": limit // 2**20}, status=413)
        return await _plan_refused(request, ctx, site, exc, "manifest", kept)
    try:
        t = await run_in_threadpool(service.plan_transfer, ctx.session, ctx.actor, site.code, agency=agency, manifest=data,
                                    filename=filename, reason=reason)
    except DomainError as exc:
        return await _plan_refused(request, ctx, site, exc, "manifest", kept)
    response = redirect(f"/sites/{site.code}/transfers/{t.id}", htmx=_htmx(request))
    return flash(response, request, _("Transfer %(id)s planned: the beds are reserved. Record the departure when the escort leaves.") % {"id": t.id})


@router.post("/sites/{code}/transfers")
async def plan_between_sites(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    """Plan a transfer from another site of the deployment (``POST /api/v1/sites/{site}/transfers``)."""
    form = await request.form()
    site = await run_in_threadpool(get_site, ctx.session, code)
    origin, reason = str(form.get("origin") or "").strip(), str(form.get("reason") or "").strip()
    raw = str(form.get("numbers") or "")
    numbers = [n for n in re.split(r"[\s,;]+", raw) if n]
    kept = {"origin": origin, "reason": reason, "numbers": raw}
    problems = []
    if not origin:
        problems.append({"row": None, "field": "origin", "message": _("Choose the site the people come from.")})
    if not numbers:
        problems.append({"row": None, "field": "numbers", "message": _("List the prisoner numbers of the people to transfer.")})
    if not reason:
        problems.append({"row": None, "field": "reason", "message": _("Give the reason for the transfer.")})
    if len(numbers) > 20_000 or len(reason) > 1000:
        problems.append({"row": None, "field": "numbers" if len(numbers) > 20_000 else "reason", "message": _("Too long.")})
    if problems:
        return await _plan_refused(request, ctx, site, DomainError(_("The transfer was not planned."), details=problems, status=422), "sites", kept)
    try:
        t = await run_in_threadpool(service.plan_transfer, ctx.session, ctx.actor, site.code, origin_code=origin, numbers=numbers, reason=reason)
    except DomainError as exc:
        return await _plan_refused(request, ctx, site, exc, "sites", kept)
    response = redirect(f"/sites/{site.code}/transfers/{t.id}", htmx=_htmx(request))
    return flash(response, request, _("Transfer %(id)s planned: the beds are reserved. Record the departure when the escort leaves.") % {"id": t.id})


# --- one transfer -----------------------------------------------------------------------------

def transfer_of_site(session, code: str, transfer_id: int):
    """The site and the transfer; a transfer that neither leaves nor reaches the site answers like
    a missing one."""
    site = get_site(session, code)
    t = service.get_transfer(session, transfer_id)
    if site.id not in (t.origin_site_id, t.destination_site_id):
        raise NotFound(_("No transfer %(id)s at this site.") % {"id": transfer_id}, code="unknown_transfer")
    return site, t


def detail_context(session, request: Request, code: str, transfer_id: int, *, show_all: bool = False) -> dict:
    site, t = transfer_of_site(session, code, transfer_id)
    rec = service.page_view(session, transfer_id, limit=100_000 if show_all else ITEMS_SHOWN)
    counts = rec["counts"]
    figures = {"expected": rec["people"] - counts.get("removed", 0), "arrived": counts.get("arrived", 0), "missing": counts.get("departed", 0),
               "planned": counts.get("planned", 0), "returned": counts.get("returned", 0), "incident": counts.get("incident", 0),
               "removed": counts.get("removed", 0)}
    is_destination = site.id == t.destination_site_id
    awaiting = service.awaiting_housing(session, t.id) if is_destination and can(request, "housing:write") else []
    for a in rec["alerts"]:
        a["when"] = _when(a["at"])
    return {"site_code": site.code, "site": site, "t": rec, "figures": figures, "words": status_words(),
            "alert_words": {"unexpected": _("unexpected person"), "missing": _("missing")},
            "items": rec["items"], "more_items": max(rec["people"] - len(rec["items"]), 0),
            "open_items": rec["open"], "is_destination": is_destination, "awaiting": awaiting,
            "from_outside": t.origin_site_id is None, "scan_focus": request.query_params.get("scan") == "1",
            "times": {"created": _when(rec["created_at"]), "departed": _when(rec["departed_at"]), "arrived": _when(rec["arrived_at"]),
                      "closed": _when(rec["closed_at"])}, "form": {}}


@router.get("/sites/{code}/transfers/{transfer_id}")
def transfer_page(request: Request, code: str, transfer_id: int, all: bool = False, ctx: Ctx = Depends(Page(READ))):
    return render(request, "transfers/detail.html", detail_context(ctx.session, request, code, transfer_id, show_all=all))


async def refused_on_transfer(request: Request, ctx: Ctx, code: str, transfer_id: int, exc: DomainError, **extra):
    """Show the transfer again with what was refused (its reads off the event loop)."""
    return await run_in_threadpool(refused_page, request, ctx, code, transfer_id, exc, **extra)


def refused_page(request: Request, ctx: Ctx, code: str, transfer_id: int, exc: DomainError, **extra):
    """What the refusal itself must keep (an alert for an unexpected person, a missing one) is
    kept; anything else is rolled back."""
    if not exc.persist:
        ctx.session.rollback()
    context = detail_context(ctx.session, request, code, transfer_id)
    details = _plain(exc.details)
    context.update({"error": exc, "details": details, **extra})
    return render(request, "transfers/detail.html", context, status=exc.status if exc.status < 500 else 422)


def _back(code: str, transfer_id: int, anchor: str = "", query: str = "") -> str:
    return f"/sites/{code}/transfers/{transfer_id}{query}{anchor}"


@router.post("/sites/{code}/transfers/{transfer_id}/depart")
async def depart(request: Request, code: str, transfer_id: int, ctx: Ctx = Depends(Page(WRITE))):
    await run_in_threadpool(transfer_of_site, ctx.session, code, transfer_id)
    try:
        await run_in_threadpool(service.depart, ctx.session, ctx.actor, transfer_id)
    except DomainError as exc:
        return await refused_on_transfer(request, ctx, code, transfer_id, exc)
    return flash(redirect(_back(code, transfer_id)), request, _("Departure recorded: everyone on the manifest is in transit."))


@router.post("/sites/{code}/transfers/{transfer_id}/arrivals")
async def arrivals(request: Request, code: str, transfer_id: int, ctx: Ctx = Depends(Page(WRITE))):
    """Check people in: prisoner numbers (or the manifest's references for people from outside),
    one or several separated by spaces or new lines. Anyone not expected is refused and alerted."""
    form = await request.form()
    raw = str(form.get("scan") or "")
    scans = [s for s in re.split(r"[\s,;]+", raw) if s]
    await run_in_threadpool(transfer_of_site, ctx.session, code, transfer_id)
    if not scans:
        exc = DomainError(_("Scan or type a prisoner number (or the sender's reference)."), status=422,
                          details=[{"row": None, "field": "scan", "message": _("Required.")}])
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, scan_value=raw, scan_focus=True)
    if len(scans) > 20_000:
        exc = DomainError(_("Too many scans at once."), status=422)
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, scan_focus=True)
    try:
        await run_in_threadpool(service.arrive, ctx.session, ctx.actor, transfer_id, scans)
    except DomainError as exc:
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, scan_value=raw, scan_focus=True)
    message = _("Checked in: %(who)s.") % {"who": ", ".join(scans[:20]) + (" …" if len(scans) > 20 else "")}
    return flash(redirect(_back(code, transfer_id, "", "?scan=1")), request, message)  # autofocus, not an anchor: the next scan


@router.post("/sites/{code}/transfers/{transfer_id}/account")
async def account(request: Request, code: str, transfer_id: int, ctx: Ctx = Depends(Page(WRITE))):
    form = await request.form()
    person, outcome, reason = (str(form.get(k) or "").strip() for k in ("person", "outcome", "reason"))
    await run_in_threadpool(transfer_of_site, ctx.session, code, transfer_id)
    kept = {"person": person, "outcome": outcome, "reason": reason}
    problems = []
    if not person:
        problems.append({"row": None, "field": "person", "message": _("Required.")})
    if outcome not in ("returned", "incident"):
        problems.append({"row": None, "field": "outcome", "message": _("Choose what became of the person.")})
    if not reason:
        problems.append({"row": None, "field": "reason", "message": _("Required.")})
    if len(person) > 80 or len(reason) > 2000:
        problems.append({"row": None, "field": "reason", "message": _("Too long.")})
    if problems:
        exc = DomainError(_("Nobody was accounted for."), status=422, details=problems)
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, form=kept, failed="account")
    try:
        await run_in_threadpool(service.account, ctx.session, ctx.actor, transfer_id, person, outcome=outcome, reason=reason)
    except DomainError as exc:
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, form=kept, failed="account")
    return flash(redirect(_back(code, transfer_id)), request, _("%(person)s accounted for: %(outcome)s.") % {
        "person": person, "outcome": status_words()[outcome]})


@router.post("/sites/{code}/transfers/{transfer_id}/close")
async def close(request: Request, code: str, transfer_id: int, ctx: Ctx = Depends(Page(WRITE))):
    await run_in_threadpool(transfer_of_site, ctx.session, code, transfer_id)
    try:
        await run_in_threadpool(service.close, ctx.session, ctx.actor, transfer_id)
    except DomainError as exc:
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, failed="close")
    return flash(redirect(_back(code, transfer_id)), request, _("Transfer %(id)s closed: everyone on it is accounted for.") % {"id": transfer_id})


@router.post("/sites/{code}/transfers/{transfer_id}/cancel")
async def cancel(request: Request, code: str, transfer_id: int, ctx: Ctx = Depends(Page(WRITE))):
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    await run_in_threadpool(transfer_of_site, ctx.session, code, transfer_id)
    if not reason or len(reason) > 1000:
        exc = DomainError(_("Cancelling needs a reason."), status=422,
                          details=[{"row": None, "field": "reason", "message": _("Required.") if not reason else _("Too long.")}])
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, form={"cancel_reason": reason}, failed="cancel")
    try:
        await run_in_threadpool(service.cancel, ctx.session, ctx.actor, transfer_id, reason)
    except DomainError as exc:
        return await refused_on_transfer(request, ctx, code, transfer_id, exc, form={"cancel_reason": reason}, failed="cancel")
    return flash(redirect(_back(code, transfer_id)), request, _("Transfer %(id)s cancelled: its reserved beds are free.") % {"id": transfer_id})
