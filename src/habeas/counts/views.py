"""Headcount pages: the list of a site's counts with the form to open one, and the count screen
an officer fills in on a tablet (one number per place; a difference shows at once, with the
people expected there), with recount, reconcile, clear and cancel.

Every write goes through ``counts.service``, the same functions the API and the command line
use; a refused write shows the form again with nothing written."""

from __future__ import annotations

import re
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request

from habeas.counts import repository, service
from habeas.kit import clock
from habeas.kit.errors import DomainError, NotFound, ValidationFailed
from habeas.kit.i18n import N_
from habeas.kit.i18n import gettext as _
from habeas.kit.i18n import ngettext
from habeas.kit.pages import Page, can, flash, redirect, refuse, render
from habeas.kit.web import Ctx, TxRoute
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site
from habeas.models import CountSession, Location
from habeas.movements import repository as moves_repo

router = APIRouter(route_class=TxRoute)

READ, WRITE = "movements:read", "movements:write"
KIND_NAMES = {"scheduled": N_("scheduled"), "emergency": N_("emergency")}
STATUS_NAMES = {"open": N_("open"), "cleared": N_("cleared"), "cancelled": N_("cancelled")}
LINE_STATUS_NAMES = {"pending": N_("not counted yet"), "matched": N_("matched"), "mismatch": N_("mismatch"),
                     "recount": N_("recount ordered"), "explained": N_("explained")}
MOVEMENT_KINDS = {"internal": N_("internal"), "court": N_("court"), "hospital": N_("hospital"), "other_out": N_("other out"),
                  "return": N_("return"), "escape": N_("escape"), "release": N_("release"), "transfer_out": N_("transfer out"),
                  "transfer_in": N_("transfer in"), "admission": N_("admission"), "death": N_("death"), "handover": N_("handover")}
SHOW = {"all": N_("every place"), "todo": N_("places still to count"), "problems": N_("differences and recounts")}
CONTAINERS = ("pavilion", "landing", "unit")
NUMBER = re.compile(r"\+?\d+")
MAX_TEXT = 1000
PAGE_SIZE = 100
SHOWN_PEOPLE = 100


def _site_time(site):
    tz = ZoneInfo(site.timezone)

    def local(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return clock.to_utc(value).astimezone(tz).strftime(fmt) if value else ""

    return local


def _count(session, site, count_id: int):
    """The count, refused alike when it does not exist or is another site's."""
    c = session.get(CountSession, count_id)
    if c is None or c.site_id != site.id:
        raise NotFound(_("There is no count %(id)s at site %(site)s.") % {"id": count_id, "site": site.code}, code="unknown_count")
    return c


def _header(session, c, rows_by_id: dict | None = None) -> dict:
    scope = None
    if c.scope_location_id:
        row = (rows_by_id or {}).get(c.scope_location_id) or session.get(Location, c.scope_location_id)
        scope = row.code
    return {"id": c.id, "kind": c.kind, "status": c.status, "count_time": c.count_time, "scope": scope, "opened_by": c.opened_by,
            "closed_at": c.closed_at, "closed_by": c.closed_by, "note": c.note}


def _totals(session, c) -> dict:
    by_status = repository.totals(session, c.id)
    places = sum(t["places"] for t in by_status.values())
    pending = by_status.get("pending", {"places": 0, "expected": 0})
    return {
        "places": places, "counted": places - pending["places"],
        "observed": sum(t["observed"] for t in by_status.values()),
        "expected": sum(t["expected"] for t in by_status.values()),
        "expected_counted": sum(t["expected"] for t in by_status.values()) - pending["expected"],
        "summary": {st: t["places"] for st, t in by_status.items()},
    }


def _line_dicts(session, rows) -> list[dict]:
    """The lines to show; a place with a difference or a recount lists the people expected there
    (in name order, the first ``SHOWN_PEOPLE`` of them: a reception can expect thousands)."""
    open_ids = [r.id for r in rows if r.status in ("mismatch", "recount")]
    expected = repository.expected_ids(session, open_ids) if open_ids else {}
    names = moves_repo.names(session, {pid for ids in expected.values() for pid in ids})
    out = []
    for r in rows:
        line = {"location": r.code, "name": r.name, "expected": r.expected, "observed": r.observed, "status": r.status,
                "submissions": r.submissions, "explanation": r.explanation, "expected_people": None, "more_people": 0}
        if r.id in expected:
            people = sorted((names[pid] for pid in expected[r.id] if pid in names),
                            key=lambda p: (p.surname.casefold(), p.given_names.casefold(), p.prisoner_number))
            line["expected_people"] = [{"prisoner_number": p.prisoner_number, "surname": p.surname, "given_names": p.given_names}
                                       for p in people[:SHOWN_PEOPLE]]
            line["more_people"] = max(0, len(people) - SHOWN_PEOPLE)
        out.append(line)
    return out


def _movements(session, c, lines) -> list[dict]:
    """Movements into or out of a place of the count recorded while it was open (as the service's view flags them)."""
    codes = {ln.location_id: ln.code for ln in lines}
    until = c.closed_at or clock.db_time(clock.now())
    flagged = [m for m in moves_repo.movements_after(session, c.site_id, c.ledger_mark, until=until)
               if m.from_location_id in codes or m.to_location_id in codes]
    numbers = {p.id: p.prisoner_number for p in moves_repo.people(session, {m.prisoner_id for m in flagged})}
    return [{"id": m.id, "prisoner_number": numbers.get(m.prisoner_id), "kind": m.kind, "from": codes.get(m.from_location_id),
             "to": codes.get(m.to_location_id), "moved_at": m.moved_at, "recorded_at": m.recorded_at, "correction": m.correction}
            for m in flagged]


def _url(site_code: str, count_id: int, within: str = "", show: str = "all", page: int = 1, anchor: str = "") -> str:
    query = urlencode({k: v for k, v in (("within", within), ("show", show if show != "all" else ""),
                                         ("page", page if page > 1 else "")) if v})
    return f"/sites/{site_code}/counts/{count_id}" + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def _common(request: Request, site) -> dict:
    return {"site_code": site.code, "site": site, "local": _site_time(site), "kind_names": KIND_NAMES, "status_names": STATUS_NAMES,
            "line_status_names": LINE_STATUS_NAMES, "movement_kinds": MOVEMENT_KINDS, "can_write": can(request, WRITE),
            "typed": {}, "line_errors": {}}


def _screen(request: Request, ctx: Ctx, site, count_id: int, within: str = "", show: str = "all", page: int = 1, **extra) -> dict:
    """Everything the count screen shows: the count, its places (one area, by state, a page at a
    time), the areas to choose from, and the movements recorded during the count."""
    session = ctx.session
    c = _count(session, site, count_id)
    rows = sites_repo.map_rows(session, site.id)
    by_id = {r.id: r for r in rows}
    head = _header(session, c, by_id)
    scope = head["scope"]
    lines = repository.lines(session, c.id)
    areas: dict[str, list] = {}
    for line in lines:
        parent = by_id.get(line.parent_id) if line.parent_id is not None else None
        chain = []
        while parent is not None:
            if parent.type in CONTAINERS and (scope is None or parent.code == scope or parent.code.startswith(scope + "-")):
                chain.append(parent)
            parent = by_id.get(parent.parent_id) if parent.parent_id is not None else None
        for area in reversed(chain):
            areas.setdefault(area.code, [area, 0])[1] += 1
    within = within if within in areas else ""
    show = show if show in SHOW else "all"
    wanted = {"all": None, "todo": ("pending", "recount"), "problems": ("mismatch", "recount")}[show]
    chosen = [ln for ln in lines if (not within or ln.code.startswith(within + "-")) and (wanted is None or ln.status in wanted)]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        **_common(request, site), "c": head, "t": _totals(session, c), "lines": _line_dicts(session, shown), "areas": areas,
        "within": within, "show": show, "show_names": SHOW, "page": page, "pages": pages, "chosen": len(chosen),
        "first": (page - 1) * PAGE_SIZE + 1, "names": {r.code: r.name for r in rows if r.type in CONTAINERS},
        "movements": _movements(session, c, lines), "url": _url, **extra,
    }


def _line_context(request: Request, ctx: Ctx, site, count_id: int, code: str, typed: dict | None = None, errors: dict | None = None,
                  announce: bool = False) -> dict:
    """One place again after an htmx submission or recount, with the totals."""
    c = _count(ctx.session, site, count_id)
    line = _line_dicts(ctx.session, repository.lines(ctx.session, c.id, codes=[code]))[0]
    return {**_common(request, site), "c": _header(ctx.session, c), "t": _totals(ctx.session, c), "line": line,
            "typed": typed or {}, "line_errors": errors or {}, "announce": announce}


def _list_context(request: Request, ctx: Ctx, site, **extra) -> dict:
    counts = service.list_counts(ctx.session, site.code, None, 50)
    scopes = repository.scopes(ctx.session, [c["id"] for c in counts])
    rows = sites_repo.map_rows(ctx.session, site.id)
    return {
        "site_code": site.code, "site": site, "counts": counts, "scopes": scopes, "local": _site_time(site),
        "kind_names": KIND_NAMES, "status_names": STATUS_NAMES, "open_id": repository.open_count_id(ctx.session, site.id),
        "containers": [r for r in rows if r.type in CONTAINERS], "can_write": can(request, WRITE),
        "form": {"kind": "scheduled", "scope": "", "note": ""}, **extra,
    }


# --- the list and opening a count -----------------------------------------------------------

@router.get("/sites/{code}/counts")
def counts_page(request: Request, code: str, ctx: Ctx = Depends(Page(READ))):
    site = get_site(ctx.session, code)
    return render(request, "counts/list.html", _list_context(request, ctx, site))


@router.post("/sites/{code}/counts")
async def open_count(request: Request, code: str, ctx: Ctx = Depends(Page(WRITE))):
    form = await request.form()
    kind = str(form.get("kind") or "scheduled")
    scope = str(form.get("scope") or "").strip()
    note = str(form.get("note") or "").strip()
    return await _run(request, _open, ctx, code, kind, scope, note)


async def _run(request, fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, request, *args)


def _open(request: Request, ctx: Ctx, code: str, kind: str, scope: str, note: str):
    site = get_site(ctx.session, code)
    form = {"kind": kind, "scope": scope, "note": note}
    try:
        problems = []
        if kind not in KIND_NAMES:
            problems.append({"field": "kind", "message": _("Choose scheduled or emergency.")})
        if len(scope) > 200:
            problems.append({"field": "scope", "message": _("A location code has at most 200 characters.")})
        if len(note) > MAX_TEXT:
            problems.append({"field": "note", "message": _("The note has at most %(n)s characters.") % {"n": MAX_TEXT}})
        if problems:
            raise ValidationFailed(_("The count was not opened: correct the fields marked."), details=problems)
        try:
            c = service.open_count(ctx.session, ctx.actor, site.code, kind=kind, scope=scope or None, note=note or None)
        except DomainError as exc:
            if exc.code in ("unknown_location", "nothing_to_count"):
                raise ValidationFailed(exc.message, code=exc.code, details=[{"field": "scope", "message": exc.message}]) from exc
            raise
    except DomainError as exc:
        ctx.session.rollback()  # the page is built from what stays
        return refuse(request, ctx, exc, "counts/list.html", _list_context(request, ctx, site, form=form))
    response = redirect(f"/sites/{site.code}/counts/{c.id}")
    return flash(response, request, _("Count %(id)s is open: enter the number of people you see in each place.") % {"id": c.id})


def _closed(request: Request, ctx: Ctx, site, count_id: int, exc: DomainError, htmx: bool):
    """A number or a recount for a count that is no longer open: back to the count, saying why."""
    ctx.session.rollback()
    return flash(redirect(_url(site.code, count_id), htmx=htmx), request, exc.message, "error")


# --- the count screen -----------------------------------------------------------------------

@router.get("/sites/{code}/counts/{count_id}")
def count_page(request: Request, code: str, count_id: int, within: str = "", show: str = "all", page: int = Query(1, ge=1, le=100_000),
               ctx: Ctx = Depends(Page(READ))):
    site = get_site(ctx.session, code)
    return render(request, "counts/count.html", _screen(request, ctx, site, count_id, within, show, page))


def _where(form) -> tuple[str, str, int]:
    """The area, the state and the page the officer was looking at (kept after a submission)."""
    raw = str(form.get("page") or "1")
    return str(form.get("within") or "")[:200], str(form.get("show") or "all")[:20], int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _parse(form, codes: list[str], only: str | None) -> tuple[list[tuple[str, int]], dict[str, str], dict[str, list[str]]]:
    """The numbers typed in the form: (location, number) pairs, what was typed, and the typing errors per place."""
    pairs, typed, errors = [], {}, {}
    for code in ([only] if only else codes):
        raw = form.get(f"observed-{code}")
        raw = raw.strip() if isinstance(raw, str) else ""
        typed[code] = raw
        if raw == "":
            if only:
                errors[code] = [_("Enter the number of people you see in %(code)s.") % {"code": code}]
            continue
        if not NUMBER.fullmatch(raw):
            errors[code] = [_("“%(value)s” is not a number of people: enter a whole number, 0 or more.") % {"value": raw[:20]}]
        elif len(raw.lstrip("+")) > 6:
            errors[code] = [_("%(value)s is far more than any place holds: count again.") % {"value": raw[:20]}]
        else:
            pairs.append((code, int(raw)))
    return pairs, typed, errors


@router.post("/sites/{code}/counts/{count_id}/submit")
async def submit(request: Request, code: str, count_id: int, ctx: Ctx = Depends(Page(WRITE))):
    form = await request.form()
    return await _run(request, _submit, ctx, code, count_id, form)


def _submit(request: Request, ctx: Ctx, code: str, count_id: int, form):
    site = get_site(ctx.session, code)
    htmx = request.headers.get("hx-request") == "true"
    within, show, page = _where(form)
    only = str(form.get("only") or "").strip() or None
    c = _count(ctx.session, site, count_id)
    codes = [ln.code for ln in repository.lines(ctx.session, c.id, codes=[only] if only else None)]
    if only is not None and only not in codes:
        raise NotFound(_("%(code)s is not a place of count %(id)s.") % {"code": only, "id": count_id}, code="unknown_location")
    pairs, typed, errors = _parse(form, codes, only)
    if not pairs and not errors:
        response = redirect(_url(site.code, count_id, within, show, page))
        return flash(response, request, _("No number was entered: nothing was submitted."), "warn")
    try:
        result = service.submit(ctx.session, ctx.actor, count_id, pairs) if pairs else {}
        if errors:
            raise ValidationFailed(_("Nothing was written: correct the numbers marked."), details=[])
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, list) else []
        for d in details:
            row = d.get("row") if isinstance(d, dict) else None
            if isinstance(row, int) and 0 <= row < len(pairs):
                errors.setdefault(pairs[row][0], []).append(d.get("message") or exc.message)
        if not errors and exc.code == "count_closed":
            return _closed(request, ctx, site, count_id, exc, htmx)
        exc = ValidationFailed(_("Nothing was written: correct the numbers marked."), code=exc.code,
                               details=[{"field": c, "message": m} for c, ms in errors.items() for m in ms])
        if htmx and only:
            ctx.session.rollback()
            return refuse(request, ctx, exc, "counts/_line_response.html", _line_context(request, ctx, site, count_id, only, typed, errors))
        ctx.session.rollback()
        return refuse(request, ctx, exc, "counts/count.html", _screen(request, ctx, site, count_id, within, show, page, typed=typed,
                                                                        line_errors=errors))
    if htmx and only:
        return render(request, "counts/_line_response.html", _line_context(request, ctx, site, count_id, only, announce=True))
    mismatches = sorted(c for c, st in result.items() if st == "mismatch")
    message = ngettext("%(num)s place submitted", "%(num)s places submitted", len(result)) % {"num": len(result)}
    if mismatches:
        message += ": " + ngettext("%(num)s difference", "%(num)s differences", len(mismatches)) % {"num": len(mismatches)} \
            + " (" + ", ".join(mismatches[:10]) + ("…" if len(mismatches) > 10 else "") + ")"
    else:
        message += ": " + _("every number matches.")
    response = redirect(_url(site.code, count_id, within, show, page, anchor=f"line-{mismatches[0]}" if mismatches else ""))
    return flash(response, request, message, "warn" if mismatches else "ok")


@router.post("/sites/{code}/counts/{count_id}/recount")
async def recount(request: Request, code: str, count_id: int, ctx: Ctx = Depends(Page(WRITE))):
    form = await request.form()
    return await _run(request, _recount, ctx, code, count_id, form)


def _recount(request: Request, ctx: Ctx, code: str, count_id: int, form):
    site = get_site(ctx.session, code)
    htmx = request.headers.get("hx-request") == "true"
    within, show, page = _where(form)
    location = str(form.get("recount") or "").strip()
    reason = str(form.get(f"reason-{location}") or "").strip()
    c = _count(ctx.session, site, count_id)
    if not location or not repository.lines(ctx.session, c.id, codes=[location]):
        raise NotFound(_("%(code)s is not a place of count %(id)s.") % {"code": location, "id": count_id}, code="unknown_location")
    try:
        if not reason:
            raise ValidationFailed(_("Give the reason for the recount."), code="reason_required")
        if len(reason) > MAX_TEXT:
            raise ValidationFailed(_("The reason has at most %(n)s characters.") % {"n": MAX_TEXT}, code="reason_too_long")
        service.order_recount(ctx.session, ctx.actor, count_id, [location], reason)
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, list) else []
        message = next((d["message"] for d in details if isinstance(d, dict) and d.get("message") and d.get("field") == "location"),
                       exc.message)
        if exc.code == "count_closed":
            return _closed(request, ctx, site, count_id, exc, htmx)
        errors = {f"reason-{location}" if exc.code.startswith("reason") else location: [message]}
        ctx.session.rollback()
        if htmx:
            return refuse(request, ctx, exc, "counts/_line_response.html",
                          _line_context(request, ctx, site, count_id, location, {f"reason-{location}": reason}, errors))
        return refuse(request, ctx, exc, "counts/count.html", _screen(request, ctx, site, count_id, within, show, page,
                                                                        typed={f"reason-{location}": reason}, line_errors=errors))
    if htmx:
        return render(request, "counts/_line_response.html", _line_context(request, ctx, site, count_id, location, announce=True))
    response = redirect(_url(site.code, count_id, within, show, page, anchor=f"line-{location}"))
    return flash(response, request, _("Recount of %(code)s ordered: count it again and enter the number.") % {"code": location})


@router.post("/sites/{code}/counts/{count_id}/reconcile")
def reconcile(request: Request, code: str, count_id: int, ctx: Ctx = Depends(Page(WRITE))):
    site = get_site(ctx.session, code)
    _count(ctx.session, site, count_id)
    result = service.reconcile(ctx.session, ctx.actor, count_id)
    explained = sorted(c for c, st in result.items() if st == "explained")
    still = sorted(c for c, st in result.items() if st != "explained")
    if not result:
        message, kind = _("There was no difference to reconcile."), "ok"
    else:
        parts = []
        if explained:
            parts.append(_("explained by the corrected ledger: %(codes)s") % {"codes": ", ".join(explained)})
        if still:
            parts.append(_("still different: %(codes)s (order a recount, or record what happened, then reconcile again)")
                         % {"codes": ", ".join(still)})
        message, kind = _("Reconciled") + ": " + "; ".join(parts), "warn" if still else "ok"
    return flash(redirect(_url(site.code, count_id)), request, message, kind)


@router.post("/sites/{code}/counts/{count_id}/clear")
def clear(request: Request, code: str, count_id: int, ctx: Ctx = Depends(Page(WRITE))):
    site = get_site(ctx.session, code)
    _count(ctx.session, site, count_id)
    try:
        service.clear(ctx.session, ctx.actor, count_id)
    except DomainError as exc:
        ctx.session.rollback()
        return refuse(request, ctx, exc, "counts/count.html", _screen(request, ctx, site, count_id, action_error="clear"))
    return flash(redirect(_url(site.code, count_id)), request, _("Count %(id)s is cleared.") % {"id": count_id})


@router.post("/sites/{code}/counts/{count_id}/cancel")
async def cancel(request: Request, code: str, count_id: int, ctx: Ctx = Depends(Page(WRITE))):
    form = await request.form()
    return await _run(request, _cancel, ctx, code, count_id, str(form.get("reason") or "").strip())


def _cancel(request: Request, ctx: Ctx, code: str, count_id: int, reason: str):
    site = get_site(ctx.session, code)
    _count(ctx.session, site, count_id)
    try:
        if not reason:
            raise ValidationFailed(_("Give the reason for cancelling the count."), code="reason_required",
                                   details=[{"field": "reason", "message": _("Give the reason for cancelling the count.")}])
        if len(reason) > MAX_TEXT:
            raise ValidationFailed(_("The reason has at most %(n)s characters.") % {"n": MAX_TEXT}, code="reason_too_long",
                                   details=[{"field": "reason", "message": _("The reason has at most %(n)s characters.") % {"n": MAX_TEXT}}])
        service.cancel(ctx.session, ctx.actor, count_id, reason)
    except DomainError as exc:
        ctx.session.rollback()
        return refuse(request, ctx, exc, "counts/count.html", _screen(request, ctx, site, count_id, action_error="cancel",
                                                                        cancel_reason=reason))
    return flash(redirect(_url(site.code, count_id)), request, _("Count %(id)s is cancelled.") % {"id": count_id})
