"""Welfare checks: cell observation rounds, required intervals, and the late/missed report.

A requirement (every 15, 30 or 60 minutes, ...) is set on a person or on a cell, with a reason;
it is ended, never deleted. A round is an officer looking into a location at a time. A person's
requirement is met by rounds of the location the ledger says they were in at the time; while
they are out of the site nothing is due. A round recorded more than ``LATE_ENTRY_GRACE`` after
it happened is a late entry and needs its reason.

Shifts come from the site's layout settings (``parameters.shifts``, e.g. "06:00-14:00,14:00-22:00,
22:00-06:00") or default to those three, in the site's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, NotFound, ValidationFailed
from habeas.models import Movement, Prisoner, WelfareRequirement, WelfareRound
from habeas.movements.service import FUTURE_TOLERANCE, PLACE_TYPES
from habeas.prisoners.service import get as get_prisoner
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site

INTERVALS = (15, 30, 60, 120)
LATE_ENTRY_GRACE = timedelta(minutes=15)
DEFAULT_SHIFTS = "06:00-14:00,14:00-22:00,22:00-06:00"


def set_requirement(session: Session, actor: Actor, site_code: str, *, interval_minutes: int, reason: str,
                    prisoner: str | None = None, location: str | None = None) -> WelfareRequirement:
    site = get_site(session, site_code)
    if (prisoner is None) == (location is None):
        raise ValidationFailed("name a prisoner or a location, not both", code="validation_failed", details=[{"field": "prisoner"}])
    if interval_minutes not in INTERVALS:
        raise ValidationFailed(f"interval must be one of {', '.join(map(str, INTERVALS))} minutes", code="validation_failed",
                               details=[{"field": "interval_minutes"}])
    if not reason or not reason.strip():
        raise ValidationFailed("a welfare requirement needs a reason", code="validation_failed", details=[{"field": "reason"}])
    pid = loc_id = None
    if prisoner:
        p = get_prisoner(session, prisoner)
        if not p.in_custody or p.current_site_id != site.id:
            raise Conflict(f"{p.prisoner_number} is not in custody at {site.code}", code="not_in_custody")
        pid = p.id
    else:
        loc = sites_repo.location_by_code(session, site.id, location)
        if loc is None or not loc.active or loc.type not in PLACE_TYPES:
            raise NotFound(f"no cell or room {location!r} at {site.code}", code="unknown_location")
        loc_id = loc.id
    now = clock.db_time(clock.now())
    for old in _active(session, site.id, pid, loc_id):
        old.ends_at = now
        old.ended_by = actor.username
    req = WelfareRequirement(site_id=site.id, prisoner_id=pid, location_id=loc_id, interval_minutes=interval_minutes,
                             reason=reason.strip(), starts_at=now, ends_at=None, set_by=actor.username)
    session.add(req)
    session.flush()
    record(session, actor, "welfare.require", "welfare_requirement", req.id,
           after={"prisoner": prisoner, "location": location, "interval_minutes": interval_minutes, "reason": req.reason})
    return req


def _active(session: Session, site_id: int, pid: int | None, loc_id: int | None) -> list[WelfareRequirement]:
    q = select(WelfareRequirement).where(WelfareRequirement.site_id == site_id, WelfareRequirement.ends_at.is_(None))
    q = q.where(WelfareRequirement.prisoner_id == pid) if pid else q.where(WelfareRequirement.location_id == loc_id)
    return list(session.execute(q).scalars())


def end_requirement(session: Session, actor: Actor, requirement_id: int, reason: str) -> WelfareRequirement:
    req = session.get(WelfareRequirement, requirement_id)
    if req is None:
        raise NotFound(f"no welfare requirement {requirement_id}", code="unknown_requirement")
    if req.ends_at is not None:
        raise Conflict(f"welfare requirement {requirement_id} has already ended", code="already_ended")
    if not reason or not reason.strip():
        raise ValidationFailed("ending a requirement needs a reason", code="validation_failed", details=[{"field": "reason"}])
    req.ends_at = clock.db_time(clock.now())
    req.ended_by = actor.username
    record(session, actor, "welfare.end", "welfare_requirement", req.id, after={"reason": reason.strip()})
    session.flush()
    return req


@dataclass(frozen=True)
class RoundIn:
    location: str
    observed_at: datetime | None = None
    note: str | None = None
    late_entry_reason: str | None = None


def record_rounds(session: Session, actor: Actor, site_code: str, rounds: list[RoundIn]) -> list[int]:
    """Record observation rounds, all or nothing."""
    site = get_site(session, site_code)
    locs = {loc.code: loc for loc in sites_repo.locations_by_codes(session, site.id, {r.location for r in rounds})}
    now = clock.db_time(clock.now())
    issues = IssueList()
    rows = []
    for i, r in enumerate(rounds):
        loc = locs.get(r.location)
        if loc is None or not loc.active or loc.type not in PLACE_TYPES:
            issues.add(f"no cell or room {r.location!r} at {site.code}", field="location", row=i)
            continue
        at = clock.db_time(r.observed_at) if r.observed_at else now
        if at > now + FUTURE_TOLERANCE:
            issues.add("observed_at is in the future", field="observed_at", row=i)
        late = now - at > LATE_ENTRY_GRACE
        if late and not (r.late_entry_reason and r.late_entry_reason.strip()):
            issues.add(f"observed_at is {int((now - at).total_seconds() // 60)} minutes ago: a late entry needs its reason",
                       field="late_entry_reason", row=i)
        rows.append({"site_id": site.id, "location_id": loc.id, "observed_at": at, "recorded_at": now, "officer": actor.username,
                     "note": r.note, "late_entry_reason": r.late_entry_reason.strip() if late and r.late_entry_reason else None})
    issues.raise_if_any("rounds refused")
    from habeas.db import insert_with_ids

    ids = insert_with_ids(session, WelfareRound, rows)
    record(session, actor, "welfare.rounds", "site", site.code, after={
        "rounds": [{"id": i, "location": r.location, "observed_at": row["observed_at"], "late_entry_reason": row["late_entry_reason"]}
                   for i, r, row in zip(ids, rounds, rows, strict=True)]})
    return ids


def shifts(site_settings: dict) -> list[tuple[str, time, time]]:
    spec = str((site_settings.get("parameters") or {}).get("shifts") or DEFAULT_SHIFTS)
    out = []
    for part in spec.split(","):
        start, end = part.strip().split("-")
        out.append((f"{start}-{end}", time.fromisoformat(start), time.fromisoformat(end)))
    return out


def gaps(start: datetime, end: datetime, observed: list[datetime], interval: timedelta) -> tuple[list[dict], list[datetime]]:
    """Late and missed rounds over [start, end): checks are due every ``interval`` after the last
    one (or after ``start``). A round after its due time is late; each further due time that
    passes with no round at all is missed. Pure."""
    late, missed = [], []
    prev = start
    for t in sorted(x for x in observed if start <= x < end):
        due = prev + interval
        if t > due:
            late.append({"due_at": due, "observed_at": t, "late_minutes": round((t - due).total_seconds() / 60, 1)})
            k = due + interval
            while k < t:
                missed.append(k)
                k += interval
        prev = t
    k = prev + interval
    while k < end:
        missed.append(k)
        k += interval
    return late, missed


def report(session: Session, site_code: str, day: date | None = None, shift: str | None = None) -> dict:
    """Late and missed rounds per shift of ``day`` (a calendar day of the site; default its today)."""
    site = get_site(session, site_code)
    tz = ZoneInfo(site.timezone)
    if day is None:
        day = clock.now().astimezone(tz).date()
    now = clock.db_time(clock.now())
    windows = []
    for name, s, e in shifts(site.settings or {}):
        if shift and shift != name:
            continue
        start = datetime.combine(day, s, tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1) if e <= s else day, e, tzinfo=tz)
        if clock.db_time(start) >= now:
            continue  # a shift that has not started yet has nothing due
        windows.append((name, clock.db_time(start), min(clock.db_time(end), now)))
    if not windows and shift is None:
        return {"site": site.code, "day": day, "shifts": []}
    if not windows:
        raise NotFound(f"no shift {shift!r} that has started on {day}; shifts are {', '.join(n for n, _, _ in shifts(site.settings or {}))}", code="unknown_shift")
    lo, hi = min(w[1] for w in windows), max(w[2] for w in windows)
    reqs = list(session.execute(select(WelfareRequirement).where(
        WelfareRequirement.site_id == site.id, WelfareRequirement.starts_at < hi,
        or_(WelfareRequirement.ends_at.is_(None), WelfareRequirement.ends_at > lo))).scalars())
    rounds: dict[int, list[datetime]] = {}
    for loc_id, at in session.execute(select(WelfareRound.location_id, WelfareRound.observed_at).where(
            WelfareRound.site_id == site.id, WelfareRound.observed_at >= lo, WelfareRound.observed_at < hi)).all():
        rounds.setdefault(loc_id, []).append(at)
    codes = sites_repo.codes(session, site.id)
    out = []
    for name, w_start, w_end in windows:
        items = []
        for req in reqs:
            start, end = max(w_start, req.starts_at), min(w_end, req.ends_at or w_end)
            if start >= end:
                continue
            interval = timedelta(minutes=req.interval_minutes)
            if req.location_id is not None:
                segments = [(req.location_id, start, end)]
                subject = codes.get(req.location_id)
            else:
                p = session.get(Prisoner, req.prisoner_id)
                subject = p.prisoner_number
                segments = _segments(session, req.prisoner_id, start, end)
            late, missed, seen = [], [], 0
            for loc_id, s, e in segments:
                obs = rounds.get(loc_id, [])
                seen += sum(1 for t in obs if s <= t < e)
                lt, ms = gaps(s, e, obs, interval)
                late += [{**x, "location": codes.get(loc_id)} for x in lt]
                missed += [{"due_at": m, "location": codes.get(loc_id)} for m in ms]
            items.append({"requirement": req.id, "subject": subject, "kind": "prisoner" if req.prisoner_id else "location",
                          "interval_minutes": req.interval_minutes, "rounds": seen, "late": late, "missed": missed})
        out.append({"shift": name, "from": w_start, "to": w_end, "requirements": items,
                    "late": sum(len(i["late"]) for i in items), "missed": sum(len(i["missed"]) for i in items)})
    return {"site": site.code, "day": day, "shifts": out}


def _segments(session: Session, prisoner_id: int, start: datetime, end: datetime) -> list[tuple[int, datetime, datetime]]:
    """Where the person was, as (location, from, to) within [start, end), from the ledger."""
    before = session.execute(select(Movement.to_location_id).where(Movement.prisoner_id == prisoner_id, Movement.moved_at <= start)
                             .order_by(Movement.moved_at.desc(), Movement.id.desc()).limit(1)).scalar()
    during = session.execute(select(Movement.to_location_id, Movement.moved_at).where(
        Movement.prisoner_id == prisoner_id, Movement.moved_at > start, Movement.moved_at < end).order_by(Movement.moved_at, Movement.id)).all()
    out, loc, since = [], before, start
    for to, at in during:
        if loc is not None and at > since:
            out.append((loc, since, at))
        loc, since = to, at
    if loc is not None and end > since:
        out.append((loc, since, end))
    return out
