"""The audit log page: events newest first with the same filters as ``GET /api/v1/audit/events``,
and the verification of the hash chain on request (it walks every event, so it is not run on
every view)."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request

from habeas.audit import repository, service
from habeas.kit import clock
from habeas.kit.i18n import gettext as _
from habeas.kit.errors import NotFound
from habeas.kit.pages import Page, redirect, render
from habeas.kit.web import Ctx, TxRoute
from habeas.prisoners.numbers import is_valid
from habeas.prisoners.numbers import normalise as normalise_number
from habeas.prisoners.views import Pager, is_fragment, zone_for

router = APIRouter(route_class=TxRoute)

PAGE_SIZE = 50
# The actions the application writes (offered as suggestions in the filter).
KNOWN_ACTIONS = (
    "prisoner.read", "prisoner.amend", "prisoner.mark.add", "prisoner.alias.add", "prisoner.affiliation.add", "prisoner.mark.withdraw",
    "prisoner.alias.withdraw", "prisoner.affiliation.withdraw", "intake.book", "intake.manifest", "legal_basis.add", "legal_basis.renew",
    "legal_basis.supersede", "legal_basis.revoke", "sentence.add", "sentence.quash", "sentence.adjust", "sentence.adjustment_withdrawn",
    "sentence.remand_period", "release.calculate", "release.recalculate_site", "release", "custody.readmitted", "custody.episode_closed",
    "movement.internal", "movement.court", "movement.hospital", "movement.other_out", "movement.return", "movement.batch",
    "housing.allocate", "housing.override", "non_association.open", "non_association.close", "court.case", "court.hearing",
    "court.outcome", "court.cancel", "court.room_block", "count.open", "count.submit", "count.recount", "count.reconcile", "count.clear",
    "count.cancel", "transfer.plan", "transfer.depart", "transfer.arrive", "transfer.close", "transfer.cancel", "transfer.alert",
    "welfare.require", "welfare.end", "welfare.rounds", "location.service", "site.create", "site.update", "site.load",
    "user.create", "user.password", "user.activate", "user.deactivate", "token.issue", "token.revoke", "auth.login", "auth.login_failed", "auth.login_refused", "auth.session_start", "auth.session_end",
    "location.create", "location.update", "location.deactivate", "incident.escape", "incident.recapture", "incident.death", "incident.other",
)


def pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _day(raw: str, field: str, problems: dict[str, str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems[field] = _("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw}
        return None


def _filters(request: Request, ctx: Ctx, person: str, user: str, action: str, date_from: str, date_to: str) -> tuple[dict, dict, dict]:
    """(values shown in the form, repository filters, problems by field)."""
    problems: dict[str, str] = {}
    when = zone_for(ctx.session, request)
    number = normalise_number(person) if person.strip() else None
    if number and not is_valid(number):
        problems["person"] = _("%(value)s is not a prisoner number (H, seven digits and a letter).") % {"value": person.strip()}
    lo, hi = _day(date_from, "from", problems), _day(date_to, "to", problems)
    if lo and hi and hi < lo:
        problems["to"] = _("The end of the period is before its start.")
    filters = {
        "entity_type": "prisoner" if number else None, "entity_id": number, "actor": user.strip() or None, "action": action.strip() or None,
        "since": clock.db_time(datetime.combine(lo, dtime(0), tzinfo=when.tz)) if lo else None,
        "until": clock.db_time(datetime.combine(hi + timedelta(days=1), dtime(0), tzinfo=when.tz)) if hi else None,
    }
    shown = {"person": person.strip(), "user": user.strip(), "action": action.strip(), "from": date_from.strip(), "to": date_to.strip()}
    return shown, filters, problems


@router.get("/audit")
def audit_log(request: Request, person: str = Query("", max_length=40), user: str = Query("", max_length=80),
              action: str = Query("", max_length=60), date_from: str = Query("", alias="from", max_length=20),
              date_to: str = Query("", alias="to", max_length=20), seq: int | None = Query(None, ge=1),
              page: int = Query(1, ge=1, le=1_000_000), verify: bool = False, ctx: Ctx = Depends(Page("audit:read"))):
    when = zone_for(ctx.session, request)
    shown, filters, problems = _filters(request, ctx, person, user, action, date_from, date_to)
    context: dict = {"f": shown, "problems": problems, "when": when, "pretty": pretty, "actions": KNOWN_ACTIONS, "seq": seq,
                     "events": [], "pager": None}
    if seq is not None:
        e = repository.event(ctx.session, seq)
        context["events"] = [e] if e else []
        context["pager"] = Pager(1, PAGE_SIZE, len(context["events"]))
    elif not problems:
        items, total = repository.events_page(ctx.session, **filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        context["events"], context["pager"] = items, Pager(page, PAGE_SIZE, total)
    context["query"] = urlencode({k: v for k, v in shown.items() if v})
    if verify:
        context["check"] = _verify(ctx)
    fragment = is_fragment(request)
    status = 422 if problems and not fragment else 200
    return render(request, "audit/_events.html" if fragment else "audit/log.html", context, status=status)


def _verify(ctx: Ctx) -> dict:
    started = time.perf_counter()
    result = service.verify(ctx.session)
    took = (time.perf_counter() - started) * 1000
    bad = repository.event(ctx.session, result.first_bad_seq) if result.first_bad_seq else None
    return {"result": result, "ms": round(took), "at": clock.now(), "bad": bad}


@router.get("/audit/events/{seq}")
def event_detail(request: Request, seq: int, ctx: Ctx = Depends(Page("audit:read"))):
    """One event's before and after (loaded when its row is opened); without htmx, the log shows it."""
    if not is_fragment(request):
        return redirect(f"/audit?seq={seq}")
    e = repository.event(ctx.session, seq)
    if e is None:
        raise NotFound(_("There is no event %(seq)s.") % {"seq": seq})
    return render(request, "audit/_event_detail.html", {"e": e, "pretty": pretty})


@router.get("/audit/verify")
def verify_chain(request: Request, ctx: Ctx = Depends(Page("audit:read"))):
    """Walk the chain now; htmx shows the result in place, a plain request shows the log with it."""
    if not is_fragment(request):
        return redirect("/audit?verify=1#verify")
    context = {"check": _verify(ctx), "when": zone_for(ctx.session, request), "pretty": pretty}
    return render(request, "audit/_verify.html", context)
