"""Headcounts. A count fixes, at its count time, the number the ledger expects in every
location of its scope; officers submit what they see; a difference shows at once with the
people expected there. A difference is put right only through the ledger: order a recount, or
record what really happened (the unrecorded movement, the escape or death as an incident) and
reconcile, which recomputes the expected number from the corrected ledger at the count time.
The count clears when every location matches or is explained that way.

Count states:  open -> cleared | cancelled
Line states:   pending -> matched | mismatch;  mismatch | matched -> recount -> matched | mismatch;
               mismatch -> explained (reconciled against the corrected ledger)"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.db import in_chunks
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, NotFound, ValidationFailed
from habeas.kit.states import advance
from habeas.models import CountLine, CountSession, CountSubmission, Location, Prisoner
from habeas.movements import repository as moves_repo
from habeas.movements.service import PLACE_TYPES
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site

KINDS = ("scheduled", "emergency")
TRANSITIONS = {"open": {"cleared", "cancelled"}, "cleared": set(), "cancelled": set()}
SUBMITTABLE = ("pending", "recount")


def _transition(c: CountSession, to: str) -> None:
    advance(c, to, TRANSITIONS, name=f"count {c.id}")


def get_count(session: Session, count_id: int) -> CountSession:
    c = session.get(CountSession, count_id)
    if c is None:
        raise NotFound(f"no count {count_id}", code="unknown_count")
    return c


def open_count(session: Session, actor: Actor, site_code: str, *, kind: str = "scheduled", scope: str | None = None,
               note: str | None = None) -> CountSession:
    """Start a count of the whole site or of one location and everything below it."""
    site = get_site(session, site_code)
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", code="validation_failed", details=[{"field": "kind"}])
    running = session.execute(select(CountSession).where(CountSession.site_id == site.id, CountSession.status == "open")).scalars().first()
    if running is not None:
        raise Conflict(f"count {running.id} is still open at {site.code}: clear or cancel it first", code="count_open",
                       details={"count": running.id})
    if scope:
        root = sites_repo.location_by_code(session, site.id, scope)
        if root is None or not root.active:
            raise NotFound(f"no location {scope!r} at site {site.code}", code="unknown_location")
        places = sites_repo.subtree(session, site.id, root)
    else:
        root = None
        places = sites_repo.locations(session, site.id, active_only=True)
    places = [loc for loc in places if loc.active and loc.type in PLACE_TYPES]
    if not places:
        raise ValidationFailed(f"{scope or site.code} has no cells or rooms to count", code="nothing_to_count")
    now = clock.db_time(clock.now())
    c = CountSession(site_id=site.id, scope_location_id=root.id if root else None, kind=kind, status="open", count_time=now,
                     ledger_mark=moves_repo.ledger_mark(session), opened_by=actor.username, note=note)
    session.add(c)
    session.flush()
    expected: dict[int, list[int]] = defaultdict(list)
    ids = [loc.id for loc in places]
    for chunk in in_chunks(ids):
        for pid, loc_id in session.execute(select(Prisoner.id, Prisoner.current_location_id).where(
                Prisoner.current_location_id.in_(chunk), Prisoner.in_custody.is_(True))).all():
            expected[loc_id].append(pid)
    session.connection().execute(CountLine.__table__.insert(), [{
        "count_id": c.id, "location_id": loc.id, "expected": len(expected.get(loc.id, ())), "expected_ids": sorted(expected.get(loc.id, ())),
        "observed": None, "status": "pending", "submissions": 0, "explanation": None, "updated_at": now,
    } for loc in places])
    record(session, actor, "count.open", "count", c.id, after={"site": site.code, "kind": kind, "scope": scope, "count_time": now,
                                                               "locations": len(places), "expected": sum(len(v) for v in expected.values())})
    return c


def _lines_by_code(session: Session, c: CountSession) -> dict[str, tuple[CountLine, Location]]:
    rows = session.execute(select(CountLine, Location).join(Location, Location.id == CountLine.location_id)
                           .where(CountLine.count_id == c.id)).all()
    return {loc.code: (line, loc) for line, loc in rows}


def submit(session: Session, actor: Actor, count_id: int, observed: list[tuple[str, int]]) -> dict[str, str]:
    """Submit observed numbers, (location code, number) per location. All or nothing.
    Returns each location's status (matched or mismatch)."""
    c = get_count(session, count_id)
    if c.status != "open":
        raise Conflict(f"count {c.id} is {c.status}: no more submissions", code="count_closed")
    lines = _lines_by_code(session, c)
    issues = IssueList()
    seen: set[str] = set()
    for row, (code, n) in enumerate(observed):
        found = lines.get(code)
        if found is None:
            issues.add(f"{code} is not part of count {c.id}", field="location", row=row)
            continue
        line, loc = found
        if code in seen:
            issues.add(f"{code} appears twice in this submission", field="location", row=row)
        seen.add(code)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            issues.add(f"observed must be a whole number of people, 0 or more, not {n!r}", field="observed", row=row)
        elif n > max(loc.max_capacity, line.expected):
            issues.add(f"{n} is more than {code} can hold (max {loc.max_capacity}): count again", field="observed", row=row)
        if line.status not in SUBMITTABLE:
            issues.add(f"{code} was already counted ({line.observed}, {line.status}): a second number needs a recount order",
                       field="location", row=row)
    issues.raise_if_any("count submission refused")
    now = clock.db_time(clock.now())
    out = {}
    subs = []
    for code, n in observed:
        line, _loc = lines[code]
        line.observed = n
        line.submissions += 1
        line.status = "matched" if n == line.expected else "mismatch"
        line.updated_at = now
        subs.append({"line_id": line.id, "observed": n, "submitted_by": actor.username, "submitted_at": now})
        out[code] = line.status
    session.flush()
    session.connection().execute(CountSubmission.__table__.insert(), subs)
    record(session, actor, "count.submit", "count", c.id, after={"observed": dict(observed), "status": out})
    return out


def order_recount(session: Session, actor: Actor, count_id: int, codes: list[str], reason: str) -> None:
    c = get_count(session, count_id)
    if c.status != "open":
        raise Conflict(f"count {c.id} is {c.status}", code="count_closed")
    if not reason or not reason.strip():
        raise ValidationFailed("a recount needs a reason", code="reason_required", details=[{"field": "reason"}])
    lines = _lines_by_code(session, c)
    issues = IssueList()
    for row, code in enumerate(codes):
        if code not in lines:
            issues.add(f"{code} is not part of count {c.id}", field="location", row=row)
        elif lines[code][0].status not in ("matched", "mismatch"):
            issues.add(f"{code} is {lines[code][0].status}: only a submitted number can be recounted", field="location", row=row)
    issues.raise_if_any("recount refused")
    now = clock.db_time(clock.now())
    for code in codes:
        line = lines[code][0]
        line.status = "recount"
        line.updated_at = now
    record(session, actor, "count.recount", "count", c.id, after={"locations": codes, "reason": reason.strip()})
    session.flush()


def reconcile(session: Session, actor: Actor, count_id: int) -> dict[str, str]:
    """Recompute what the ledger, as corrected since, expects at the count time in every location
    with a difference. Where it now matches what was observed, the difference is explained by
    the movements and incidents recorded since; the rest stay as mismatches."""
    c = get_count(session, count_id)
    if c.status != "open":
        raise Conflict(f"count {c.id} is {c.status}", code="count_closed")
    lines = _lines_by_code(session, c)
    open_lines = {loc.id: (line, loc) for line, loc in lines.values() if line.status == "mismatch"}
    if not open_lines:
        return {}
    now_ids: dict[int, list[int]] = defaultdict(list)
    for pid, loc_id, _since in moves_repo.occupants_at(session, list(open_lines), c.count_time):
        now_ids[loc_id].append(pid)
    since = [m for m in moves_repo.movements_after(session, c.site_id, c.ledger_mark) if m.moved_at <= c.count_time]
    out = {}
    now = clock.db_time(clock.now())
    for loc_id, (line, loc) in open_lines.items():
        ids = sorted(now_ids.get(loc_id, ()))
        if len(ids) == line.observed:
            touching = [m.id for m in since if loc_id in (m.from_location_id, m.to_location_id)]
            line.explanation = (f"ledger at the count time corrected since opening (expected {line.expected}, now {len(ids)}); "
                                f"movements recorded: {', '.join(map(str, touching)) or 'none at this location'}")
            line.expected = len(ids)
            line.expected_ids = ids
            line.status = "explained"
            line.updated_at = now
            out[loc.code] = "explained"
        else:
            out[loc.code] = "mismatch"
    record(session, actor, "count.reconcile", "count", c.id, after={"result": out})
    session.flush()
    return out


def clear(session: Session, actor: Actor, count_id: int) -> CountSession:
    c = get_count(session, count_id)
    lines = _lines_by_code(session, c)
    outstanding = sorted((code, line.status) for code, (line, _loc) in lines.items() if line.status not in ("matched", "explained"))
    if c.status == "open" and outstanding:
        raise Conflict(f"count {c.id} cannot clear: {len(outstanding)} location(s) not reconciled", code="count_not_reconciled",
                       details=[{"location": code, "status": st} for code, st in outstanding[:500]])
    _transition(c, "cleared")
    c.closed_at = clock.db_time(clock.now())
    c.closed_by = actor.username
    record(session, actor, "count.clear", "count", c.id, after={"locations": len(lines)})
    session.flush()
    return c


def cancel(session: Session, actor: Actor, count_id: int, reason: str) -> CountSession:
    if not reason or not reason.strip():
        raise ValidationFailed("cancelling a count needs a reason", code="reason_required", details=[{"field": "reason"}])
    c = get_count(session, count_id)
    _transition(c, "cancelled")
    c.closed_at = clock.db_time(clock.now())
    c.closed_by = actor.username
    c.note = ((c.note + "\n") if c.note else "") + f"cancelled: {reason.strip()}"
    record(session, actor, "count.cancel", "count", c.id, after={"reason": reason.strip()})
    session.flush()
    return c


def view(session: Session, count_id: int) -> dict:
    """The count with every line; a difference lists the people the ledger expects there; the
    movements recorded at the site while the count was open are flagged."""
    c = get_count(session, count_id)
    site = sites_repo.site_by_id(session, c.site_id)
    lines = sorted(_lines_by_code(session, c).values(), key=lambda lr: lr[1].position)
    wanted = {pid for line, _ in lines if line.status in ("mismatch", "recount") for pid in line.expected_ids}
    people = {p.id: p for p in moves_repo.people(session, wanted)}
    scope_ids = {loc.id for _, loc in lines}
    until = c.closed_at or clock.db_time(clock.now())
    flagged = [m for m in moves_repo.movements_after(session, c.site_id, c.ledger_mark, until=until)
               if m.from_location_id in scope_ids or m.to_location_id in scope_ids]
    codes = {loc.id: loc.code for _, loc in lines}
    numbers = {p.id: p.prisoner_number for p in moves_repo.people(session, {m.prisoner_id for m in flagged})}
    summary = defaultdict(int)
    for line, _ in lines:
        summary[line.status] += 1
    return {
        "id": c.id, "site": site.code, "kind": c.kind, "status": c.status, "count_time": c.count_time,
        "scope": session.get(Location, c.scope_location_id).code if c.scope_location_id else None, "opened_by": c.opened_by,
        "closed_at": c.closed_at, "closed_by": c.closed_by, "note": c.note,
        "expected": sum(line.expected for line, _ in lines),
        "observed": sum(line.observed or 0 for line, _ in lines),
        "summary": dict(summary),
        "lines": [{
            "location": loc.code, "expected": line.expected, "observed": line.observed, "status": line.status,
            "submissions": line.submissions, "explanation": line.explanation,
            "expected_people": [{"prisoner_number": people[pid].prisoner_number, "surname": people[pid].surname,
                                 "given_names": people[pid].given_names} for pid in line.expected_ids if pid in people]
            if line.status in ("mismatch", "recount") else None,
        } for line, loc in lines],
        "movements_during_count": [{
            "id": m.id, "prisoner_number": numbers.get(m.prisoner_id), "kind": m.kind, "from": codes.get(m.from_location_id),
            "to": codes.get(m.to_location_id), "moved_at": m.moved_at, "recorded_at": m.recorded_at, "correction": m.correction,
        } for m in flagged],
    }


def list_counts(session: Session, site_code: str, status: str | None = None, limit: int = 50) -> list[dict]:
    site = get_site(session, site_code)
    q = select(CountSession).where(CountSession.site_id == site.id)
    if status:
        q = q.where(CountSession.status == status)
    return [{"id": c.id, "kind": c.kind, "status": c.status, "count_time": c.count_time, "opened_by": c.opened_by,
             "closed_at": c.closed_at} for c in session.execute(q.order_by(CountSession.id.desc()).limit(limit)).scalars()]

