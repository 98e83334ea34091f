"""The court day of a site: the day's hearings and the video-link rooms' timetable."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request

from habeas.court import service
from habeas.kit.i18n import gettext as _
from habeas.kit.pages import Page, render
from habeas.kit.web import Ctx, TxRoute
from habeas.prisoners.views import LocalTime

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


@router.get("/sites/{code}/court")
def court_day(request: Request, code: str, on: str = Query("", max_length=20), ctx: Ctx = Depends(Page("legal:read"))):
    error = None
    day = None
    if on.strip():
        try:
            day = date.fromisoformat(on.strip())
        except ValueError:
            error = _("%(value)s is not a date (YYYY-MM-DD).") % {"value": on.strip()}
    board = service.day_board(ctx.session, code, day)
    when = LocalTime(board["timezone"])
    first, last = _hours(board, when)
    for room in board["rooms"]:
        for item in room["bookings"] + room["blocks"]:
            item["start_min"] = _minutes(item["from"], when, board["on"])
            item["end_min"] = _minutes(item["to"], when, board["on"])
        room["items"] = sorted([{**k, "block": True} for k in room["blocks"]] + [{**x, "block": False} for x in room["bookings"]],
                               key=lambda x: (x["from"], x["to"]))
    context = {"site_code": board["site"], "b": board, "when": when, "first_hour": first, "last_hour": last, "error": error,
               "on_text": on.strip() if error else board["on"].isoformat(),
               "prev_day": (board["on"] - timedelta(days=1)).isoformat(), "next_day": (board["on"] + timedelta(days=1)).isoformat(),
               "video": sum(1 for h in board["hearings"] if h["mode"] == "video_link"),
               "busy_rooms": [r for r in board["rooms"] if r["items"]], "free_rooms": [r for r in board["rooms"] if not r["items"]]}
    return render(request, "court/day.html", context, status=422 if error else 200)
