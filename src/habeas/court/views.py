"""The court day of a site: the day's hearings and the video-link rooms' timetable."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as dtime

from fastapi import APIRouter, Depends, Form, Query, Request

from habeas.court import service
from habeas.kit.errors import DomainError, NotFound, ValidationFailed
from habeas.kit.i18n import gettext as _
from habeas.kit.pages import Page, flash, redirect, refuse, render
from habeas.kit.web import Ctx, TxRoute
from habeas.prisoners.service import get as get_prisoner
from habeas.prisoners.views import LocalTime
from habeas.sites import repository as sites_repo

router = APIRouter(route_class=TxRoute)

DAY_START_HOUR = 7  # the timetable shows at least 07:00-19:00, widened to fit the day's bookings
DAY_END_HOUR = 19


def _hours(board: dict, when: LocalTime) -> tuple[int, int]:
    first, last = DAY_START_HOUR, DAY_END_HOUR
    day = board["on"]
    for room in board["rooms"]:
        for item in room["bookings"] + room["blocks"]:
            a, b = when.local(item["from"]), when.local(item["to"])
            first = min(first, a.hour if a.date() == day else 0)
            last = max(last, (b.hour + (1 if b.minute or b.second else 0)) if b.date() == day else 24)
    return first, last


def _minutes(value: datetime, when: LocalTime, day: date) -> int:
    """Minutes from the day's midnight (clamped to the day)."""
    local = when.local(value)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


def _day_context(ctx: Ctx, code: str, day: date | None, error: str | None, on_text: str = "") -> dict:
    board = service.day_board(ctx.session, code, day)
    when = LocalTime(board["timezone"])
    first, last = _hours(board, when)
    for room in board["rooms"]:
        for item in room["bookings"] + room["blocks"]:
            item["start_min"] = _minutes(item["from"], when, board["on"])
            item["end_min"] = _minutes(item["to"], when, board["on"])
        room["items"] = sorted([{**k, "block": True} for k in room["blocks"]] + [{**x, "block": False} for x in room["bookings"]],
                               key=lambda x: (x["from"], x["to"]))
    return {"site_code": board["site"], "b": board, "when": when, "first_hour": first, "last_hour": last, "error": error,
            "on_text": on_text if error else board["on"].isoformat(),
            "prev_day": (board["on"] - timedelta(days=1)).isoformat(), "next_day": (board["on"] + timedelta(days=1)).isoformat(),
            "video": sum(1 for h in board["hearings"] if h["mode"] == "video_link"),
            "busy_rooms": [r for r in board["rooms"] if r["items"]], "free_rooms": [r for r in board["rooms"] if not r["items"]]}


@router.get("/sites/{code}/court")
def court_day(request: Request, code: str, on: str = Query("", max_length=20), ctx: Ctx = Depends(Page("legal:read"))):
    error = None
    day = None
    if on.strip():
        try:
            day = date.fromisoformat(on.strip())
        except ValueError:
            error = _("%(value)s is not a date (YYYY-MM-DD).") % {"value": on.strip()}
    context = _day_context(ctx, code, day, error, on.strip())
    return render(request, "court/day.html", context, status=422 if error else 200)


# --- writes for the legal role (same services and permission as the API) ----------------------------

def _local(day_text: str, clock_text: str, field: str, tz, problems: list[dict]) -> datetime | None:
    """A site-local day and HH:MM as an aware time; a problem named by field when it is not one."""
    if not clock_text.strip():
        problems.append({"row": None, "field": field, "message": _("Give the time (HH:MM).")})
        return None
    try:
        return datetime.combine(date.fromisoformat(day_text.strip()), dtime.fromisoformat(clock_text.strip()), tzinfo=tz)
    except ValueError:
        problems.append({"row": None, "field": field, "message": _("%(value)s is not a time (HH:MM).") % {"value": clock_text.strip()}})
        return None


def _person_form(request: Request, ctx: Ctx, exc: DomainError, form: str, number: str, values: dict):
    """Show the refused case or hearing form again on its own page; nothing is kept (rolled back
    first, so the page shows what stays)."""
    ctx.session.rollback()
    p = get_prisoner(ctx.session, number)
    context = {"form": form, "n": p.prisoner_number, "person": p, "values": values, "cases": service.cases_of(ctx.session, p.prisoner_number),
               "rooms": service.video_rooms(ctx.session, p.current_site_id) if p.current_site_id else []}
    return refuse(request, ctx, exc, "court/form.html", context)


@router.post("/prisoners/{number}/cases")
def open_case(request: Request, number: str, reference: str = Form(""), court: str = Form(""), charges: str = Form(""),
              ctx: Ctx = Depends(Page("legal:write"))):
    values = {"reference": reference.strip(), "court": court.strip(), "charges": charges.strip()}
    problems = [{"row": None, "field": k, "message": _("Required.")} for k in ("reference", "court") if not values[k]]
    problems += [{"row": None, "field": k, "message": _("Too long.")} for k, most in (("reference", 120), ("court", 200)) if len(values[k]) > most]
    lines = [x.strip() for x in values["charges"].splitlines() if x.strip()]
    if any(len(x) > 300 for x in lines):
        problems.append({"row": None, "field": "charges", "message": _("A charge has at most 300 characters.")})
    try:
        if problems:
            raise ValidationFailed(_("The case was not opened: correct the fields marked."), details=problems)
        service.open_case(ctx.session, ctx.actor, number, reference=values["reference"], court=values["court"], charges=[(x, None) for x in lines])
    except DomainError as exc:
        return _person_form(request, ctx, exc, "case", number, values)
    return flash(redirect(f"/prisoners/{get_prisoner(ctx.session, number).prisoner_number}#court"), request, _("The case is opened."))


@router.post("/prisoners/{number}/hearings")
def schedule(request: Request, number: str, case_id: str = Form(""), day: str = Form(""), starts: str = Form(""), ends: str = Form(""),
             mode: str = Form("video_link"), room: str = Form(""), court: str = Form(""), pre_starts: str = Form(""), pre_ends: str = Form(""),
             post_starts: str = Form(""), post_ends: str = Form(""), ctx: Ctx = Depends(Page("legal:write"))):
    values = {k: v.strip() for k, v in {"case_id": case_id, "day": day, "starts": starts, "ends": ends, "mode": mode, "room": room, "court": court,
                                         "pre_starts": pre_starts, "pre_ends": pre_ends, "post_starts": post_starts, "post_ends": post_ends}.items()}
    p = get_prisoner(ctx.session, number)
    try:
        problems: list[dict] = []
        case = next((c for c in service.cases_of(ctx.session, p.prisoner_number) if str(c["id"]) == values["case_id"]), None)
        if case is None:
            problems.append({"row": None, "field": "case_id", "message": _("Choose one of the person's cases.")})
        try:
            date.fromisoformat(values["day"])
        except ValueError:
            problems.append({"row": None, "field": "day", "message": _("Give the day of the hearing (YYYY-MM-DD).")})
        if values["mode"] not in service.MODES:
            problems.append({"row": None, "field": "mode", "message": _("Choose video link or in person.")})
        if problems:
            raise ValidationFailed(_("The hearing was not scheduled: correct the fields marked."), details=problems)
        site = sites_repo.site_by_id(ctx.session, p.current_site_id) if p.current_site_id else None
        tz = LocalTime(site.timezone if site else None).tz
        start = _local(values["day"], values["starts"], "starts", tz, problems)
        end = _local(values["day"], values["ends"], "ends", tz, problems)
        slots = None
        if values["mode"] == "video_link":
            if not values["room"]:
                problems.append({"row": None, "field": "room", "message": _("Choose the video-link room.")})
            slots = [service.SlotIn("main", start, end, values["room"])] if start and end else []
            for slot in ("pre", "post"):
                if values[f"{slot}_starts"] or values[f"{slot}_ends"]:
                    s0 = _local(values["day"], values[f"{slot}_starts"], f"{slot}_starts", tz, problems)
                    s1 = _local(values["day"], values[f"{slot}_ends"], f"{slot}_ends", tz, problems)
                    if s0 and s1:
                        slots.append(service.SlotIn(slot, s0, s1, values["room"]))
        if problems:
            raise ValidationFailed(_("The hearing was not scheduled: correct the fields marked."), details=problems)
        service.schedule(ctx.session, ctx.actor, case["id"], starts_at=start, ends_at=end, mode=values["mode"], court=values["court"] or None,
                         slots=slots)
    except DomainError as exc:
        return _person_form(request, ctx, exc, "hearing", number, values)
    return flash(redirect(f"/prisoners/{p.prisoner_number}#court"), request, _("The hearing is scheduled."))


@router.post("/hearings/{hearing_id}/outcome")
def outcome(request: Request, hearing_id: int, outcome: str = Form(""), remanded_until: str = Form(""), sentence_reference: str = Form(""),
            note: str = Form(""), ctx: Ctx = Depends(Page("legal:write"))):
    values = {"outcome": outcome.strip(), "remanded_until": remanded_until.strip(), "sentence_reference": sentence_reference.strip(),
              "note": note.strip()}
    h = service.hearing_of(ctx.session, hearing_id)
    site = sites_repo.site_by_id(ctx.session, h.site_id)
    on = LocalTime(site.timezone).local(h.starts_at).date()
    try:
        problems: list[dict] = []
        if values["outcome"] not in service.OUTCOMES:
            problems.append({"row": None, "field": "outcome", "message": _("Choose what the court decided.")})
        until = None
        if values["remanded_until"]:
            try:
                until = date.fromisoformat(values["remanded_until"])
            except ValueError:
                problems.append({"row": None, "field": "remanded_until", "message": _("%(value)s is not a date (YYYY-MM-DD).") % {"value": values["remanded_until"]}})
        if len(values["note"]) > 2000 or len(values["sentence_reference"]) > 120:
            problems.append({"row": None, "field": "note", "message": _("Too long.")})
        if problems:
            raise ValidationFailed(_("The outcome was not recorded: correct the fields marked."), details=problems)
        service.record_outcome(ctx.session, ctx.actor, hearing_id, outcome=values["outcome"], note=values["note"] or None, remanded_until=until,
                               sentence_reference=values["sentence_reference"] or None)
    except DomainError as exc:
        ctx.session.rollback()
        context = _day_context(ctx, site.code, on, None)
        return refuse(request, ctx, exc, "court/day.html", {**context, "failed": hearing_id, "values": values})
    return flash(redirect(f"/sites/{site.code}/court?on={on.isoformat()}#hearing-{hearing_id}"), request, _("The outcome is recorded."))


@router.post("/sites/{code}/court/blocks/{block_id}/lift")
def lift_block(request: Request, code: str, block_id: int, on: str = Form(""), reason: str = Form(""),
               ctx: Ctx = Depends(Page("legal:write"))):
    try:
        day = date.fromisoformat(on.strip()) if on.strip() else None
    except ValueError:
        day = None
    try:
        service.lift_block(ctx.session, ctx.actor, block_id, reason, site_code=code)
    except NotFound:
        raise
    except DomainError as exc:
        ctx.session.rollback()
        context = _day_context(ctx, code, day, None)
        return refuse(request, ctx, exc, "court/day.html", {**context, "failed_block": block_id})
    target = f"/sites/{code}/court" + (f"?on={day.isoformat()}" if day else "")
    return flash(redirect(target), request, _("The block is lifted: the room can be booked again."))
