"""Transfers (DESIGN.md "Transfer"): an escorted move of a group between the deployment's sites,
or in from an outside agency with a manifest file booked through intake.

States, one table (refused transitions raise a clear error):

    planned -> departed -> arrived -> closed
    planned -> cancelled

Planning checks that the destination can house the whole manifest (an allocation dry run, with
every separation rule and non-association) and reserves the beds: later allocations at the
destination count them as taken until the people arrive. Departure checks each person out of the
origin (they are in transit). Arrival checks each person in, by prisoner number (or, from an
outside agency, by the manifest's external_ref, booking them through intake): anyone scanned who
is not on the manifest is refused and raises an alert. A transfer closes only when everyone on
it is accounted for: arrived, returned to the origin, or covered by a recorded incident."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, NotFound, ValidationFailed
from habeas.kit.states import advance
from habeas.models import Prisoner, Site, Transfer, TransferAlert, TransferItem
from habeas.prisoners import repository as prisoners_repo
from habeas.prisoners.numbers import normalise as normalise_number
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site

TRANSITIONS = {"planned": {"departed", "cancelled"}, "departed": {"arrived", "closed"}, "arrived": {"closed"}, "closed": set(),
               "cancelled": set()}
ACTIVE = ("planned", "departed", "arrived")
ACCOUNTED = ("arrived", "returned", "incident", "removed")


def _transition(t: Transfer, to: str) -> None:
    advance(t, to, TRANSITIONS, name=f"transfer {t.id}")


def get_transfer(session: Session, transfer_id: int) -> Transfer:
    t = session.get(Transfer, transfer_id)
    if t is None:
        raise NotFound(f"no transfer {transfer_id}", code="unknown_transfer")
    return t


def _items(session: Session, t: Transfer) -> list[TransferItem]:
    return list(session.execute(select(TransferItem).where(TransferItem.transfer_id == t.id).order_by(TransferItem.id)).scalars())


# --- reservations seen by the allocation ------------------------------------------------------

def reserved_people(session: Session, site_id: int, today) -> list[tuple[object, int]]:
    """(Person, reserved cell) of everyone on a planned or departed transfer to the site: the
    allocation counts their beds as taken, and keeps them apart from others as if housed."""
    from habeas.housing.model import Person
    from habeas.housing.policy import person_attributes

    rows = session.execute(select(TransferItem, Prisoner).outerjoin(Prisoner, Prisoner.id == TransferItem.prisoner_id)
                           .join(Transfer, Transfer.id == TransferItem.transfer_id)
                           .where(Transfer.destination_site_id == site_id, Transfer.status.in_(("planned", "departed")),
                                  TransferItem.status.in_(("planned", "departed")), TransferItem.reserved_cell_id.is_not(None))).all()
    out = []
    for item, p in rows:
        if p is not None:
            attrs = person_attributes(p.sex, p.legal_status, p.date_of_birth, today, p.security_level)
            groups = frozenset(a.group_name for a in prisoners_repo.affiliations(session, p.id) if a.active)
            out.append((Person(id=p.id, number=p.prisoner_number, attributes=attrs, groups=groups, single_cell="single_cell" in (p.flags or ())),
                        item.reserved_cell_id))
        else:
            b = item.booking or {}
            from datetime import date

            dob = date.fromisoformat(b["date_of_birth"]) if b.get("date_of_birth") else None
            attrs = person_attributes(b.get("sex"), b.get("legal_status"), dob, today, b.get("security_level"))
            group = (b.get("affiliation") or {}).get("group")
            out.append((Person(id=("reserved", item.id), number=item.external_ref or f"row {item.row}", attributes=attrs,
                               groups=frozenset([group] if group else []), single_cell="single_cell" in (b.get("flags") or [])),
                        item.reserved_cell_id))
    return out


def _reserve(session: Session, destination: Site, people: list, numbers: dict) -> dict:
    """Dry-run the destination's allocation for ``people`` (engine Persons) and return their cells, or refuse."""
    from habeas.housing import checker, solver
    from habeas.housing.model import Problem
    from habeas.housing.service import load_state

    from habeas.housing.service import open_non_associations

    # the destination's own people waiting in reception compete for the same beds, and keep-apart
    # records with anyone there count
    state = load_state(session, destination.code)
    known = [p.id for p in people if isinstance(p.id, int)]
    nas = {(n.a, n.b): n for n in [*state.problem.non_associations, *open_non_associations(session, known)]}
    problem = Problem(cells=state.problem.cells, residents=state.problem.residents, arrivals=[*state.problem.arrivals, *people],
                      non_associations=list(nas.values()), policy=state.problem.policy)
    working = sum(c.working for c in problem.cells if c.use == "normal")
    if len(people) > working:
        raise Conflict(f"the manifest has {len(people):,} people; {destination.code} can never hold more than {working:,} in its cells "
                       "(working capacity)", code="manifest_too_large", details={"people": len(people), "working_capacity": working})
    plan = solver.solve(problem)
    report = checker.check(problem, plan)
    mine = {p.id for p in people}
    left = {pid: why for pid, why in plan.unplaced.items() if pid in mine}
    if left or not report.ok:
        reasons = Counter(left.values())
        raise Conflict(f"{destination.code} has no room for the whole manifest: {len(left):,} of {len(people):,} cannot be placed "
                       f"({'; '.join(f'{n}: {r}' for r, n in reasons.most_common(3))})", code="no_room",
                       details=[{"person": numbers.get(pid, str(pid)), "reason": why} for pid, why in list(left.items())[:500]])
    return {pid: cell for pid, cell in plan.assignments.items() if pid in mine}


def plan_transfer(session: Session, actor: Actor, destination_code: str, *, reason: str, origin_code: str | None = None,
                  numbers: list[str] | None = None, agency: str | None = None, manifest: bytes | None = None,
                  filename: str = "manifest.csv") -> Transfer:
    """Plan a transfer to ``destination_code``: from another site (``origin_code`` and prisoner
    ``numbers``) or from an outside agency (``agency`` and a ``manifest`` file, checked row by row
    now and booked at arrival). The destination's beds are reserved."""
    from habeas.housing.model import Person
    from habeas.housing.policy import person_attributes

    if not reason or not reason.strip():
        raise ValidationFailed("a transfer needs a reason", code="reason_required", details=[{"row": None, "field": "reason", "message": "required"}])
    destination = get_site(session, destination_code)
    sites_repo.lock_site(session, destination)
    now = clock.db_time(clock.now())
    today = clock.today()
    people, items = [], []
    labels: dict = {}
    if origin_code:
        origin = get_site(session, origin_code)
        if origin.id == destination.id:
            raise ValidationFailed("origin and destination are the same site", code="validation_failed",
                                   details=[{"row": None, "field": "destination", "message": "same site"}])
        if not numbers:
            raise ValidationFailed("name the people to transfer", code="validation_failed", details=[{"row": None, "field": "numbers", "message": "empty"}])
        found = prisoners_repo.by_numbers(session, [normalise_number(n) for n in numbers])
        issues = IssueList()
        busy = {pid for (pid,) in session.execute(select(TransferItem.prisoner_id).join(Transfer, Transfer.id == TransferItem.transfer_id)
                                                  .where(Transfer.status.in_(ACTIVE), TransferItem.status.in_(("planned", "departed")))).all()}
        seen = set()
        for row, n in enumerate(numbers):
            p = found.get(normalise_number(n))
            if p is None:
                issues.add(f"no prisoner {n!r}", field="numbers", row=row)
            elif not p.in_custody or p.current_site_id != origin.id or p.away is not None:
                issues.add(f"{p.prisoner_number} is not inside {origin.code}", field="numbers", row=row)
            elif p.id in busy:
                issues.add(f"{p.prisoner_number} is already on an open transfer", field="numbers", row=row)
            elif p.id in seen:
                issues.add(f"{p.prisoner_number} is listed twice", field="numbers", row=row)
            else:
                seen.add(p.id)
                attrs = person_attributes(p.sex, p.legal_status, p.date_of_birth, today, p.security_level)
                groups = frozenset(a.group_name for a in prisoners_repo.affiliations(session, p.id) if a.active)
                people.append(Person(id=p.id, number=p.prisoner_number, attributes=attrs, groups=groups, single_cell="single_cell" in (p.flags or ())))
                labels[p.id] = p.prisoner_number
                items.append({"prisoner_id": p.id, "external_ref": None, "booking": None, "row": row, "key": p.id})
        issues.raise_if_any("transfer refused")
        t = Transfer(origin_site_id=origin.id, origin_agency=None, destination_site_id=destination.id, status="planned", reason=reason.strip(),
                     source=None, created_at=now, created_by=actor.username)
    else:
        from habeas.intake.manifest import parse_manifest
        from habeas.kit.jsonutil import plain

        if not agency or manifest is None:
            raise ValidationFailed("a transfer from outside names the agency and brings its manifest", code="validation_failed",
                                   details=[{"row": None, "field": "agency", "message": "required"}])
        rows = parse_manifest(manifest, filename, today=today, now=clock.now())
        refs = [b.external_ref for _, b in rows]
        if any(not r for r in refs) or len(set(refs)) != len(refs):
            raise ValidationFailed(f"{filename}: every row of a transfer manifest needs its own external_ref", code="invalid_manifest",
                                   details=[{"file": filename, "row": row, "field": "external_ref", "message": "missing or repeated"}
                                            for row, b in rows if not b.external_ref or refs.count(b.external_ref) > 1])
        for row, b in rows:
            attrs = person_attributes(b.sex, b.legal_status, b.date_of_birth, today, b.security_level)
            key = ("row", row)
            people.append(Person(id=key, number=b.external_ref, attributes=attrs,
                                 groups=frozenset([b.affiliation.group] if b.affiliation else []), single_cell="single_cell" in b.flags))
            labels[key] = b.external_ref
            items.append({"prisoner_id": None, "external_ref": b.external_ref, "booking": plain(b.model_dump(mode="json")), "row": row, "key": key})
        t = Transfer(origin_site_id=None, origin_agency=agency.strip(), destination_site_id=destination.id, status="planned", reason=reason.strip(),
                     source=filename, created_at=now, created_by=actor.username)
    cells = _reserve(session, destination, people, labels)
    session.add(t)
    session.flush()
    for it in items:
        session.add(TransferItem(transfer_id=t.id, prisoner_id=it["prisoner_id"], external_ref=it["external_ref"], booking=it["booking"], row=it["row"],
                                 reserved_cell_id=cells[it["key"]], status="planned", updated_at=now))
    session.flush()
    record(session, actor, "transfer.plan", "transfer", t.id, after={
        "origin": origin_code or agency, "destination": destination.code, "people": len(items), "reason": t.reason, "source": t.source})
    return t


def depart(session: Session, actor: Actor, transfer_id: int, *, at: datetime | None = None) -> Transfer:
    """Check everyone on the manifest out of the origin: they are in transit."""
    from habeas.movements.service import transfer_out

    t = get_transfer(session, transfer_id)
    _transition(t, "departed")
    now = clock.db_time(clock.now())
    items = [i for i in _items(session, t) if i.status == "planned"]
    if t.origin_site_id is not None:
        destination = session.get(Site, t.destination_site_id)
        transfer_out(session, actor, [i.prisoner_id for i in items], to=f"transfer {t.id} to {destination.code}", at=at)
    for i in items:
        i.status = "departed"
        i.updated_at = now
    t.departed_at = clock.db_time(at) if at else now
    record(session, actor, "transfer.depart", "transfer", t.id, after={"people": len(items)})
    session.flush()
    return t


def arrive(session: Session, actor: Actor, transfer_id: int, scans: list[str], *, at: datetime | None = None) -> dict:
    """Check people in at the destination, by prisoner number (or external_ref from outside).
    Anyone not on the manifest (or not in transit on it) is refused and raises an alert."""
    from habeas.movements.service import transfer_in

    t = get_transfer(session, transfer_id)
    if t.status not in ("departed", "arrived"):
        raise Conflict(f"transfer {t.id} is {t.status}: nobody can arrive on it", code="bad_transition")
    items = _items(session, t)
    by_key: dict[str, TransferItem] = {}
    if t.origin_site_id is not None:
        numbers = {p.id: p.prisoner_number for p in session.execute(select(Prisoner).where(Prisoner.id.in_([i.prisoner_id for i in items]))).scalars()}
        by_key = {numbers[i.prisoner_id]: i for i in items}
    else:
        by_key = {i.external_ref: i for i in items}
    bad, take = [], []
    for row, raw in enumerate(scans):
        key = normalise_number(raw) if t.origin_site_id is not None else raw.strip()
        item = by_key.get(key)
        if item is None:
            bad.append((row, raw, "not on the manifest"))
        elif item.status != "departed":
            bad.append((row, raw, f"on the manifest but {item.status}"))
        elif item in take:
            bad.append((row, raw, "scanned twice"))
        else:
            take.append(item)
    now = clock.db_time(clock.now())
    if bad:
        for _, raw, why in bad:
            session.add(TransferAlert(transfer_id=t.id, kind="unexpected", detail=f"{raw}: {why}", at=now, by=actor.username))
        record(session, actor, "transfer.alert", "transfer", t.id, after={"unexpected": [f"{raw}: {why}" for _, raw, why in bad]})
        raise ValidationFailed(f"{len(bad)} scan(s) refused: nothing was checked in; the alert is recorded", code="unexpected_arrival",
                               details=[{"row": row, "field": "prisoner", "message": f"{raw}: {why}"} for row, raw, why in bad], persist=True)
    destination = session.get(Site, t.destination_site_id)
    if t.origin_site_id is not None:
        transfer_in(session, actor, [i.prisoner_id for i in take], site_id=destination.id, reason=f"transfer {t.id} arrived", at=at)
    else:
        from habeas.intake.schemas import BookingIn
        from habeas.intake.service import book_many

        arrived_at = clock.to_utc(at) if at else clock.now()
        rows = []
        for i in take:  # admitted now, at the destination, whatever the manifest's own admission time said
            b = BookingIn.model_validate(i.booking)
            rows.append((i.row, b.model_copy(update={"admission": b.admission.model_copy(update={"admitted_at": arrived_at})})))
        booked = book_many(session, actor, destination.code, rows, source=t.source)
        for i, b in zip(take, booked, strict=True):
            i.prisoner_id = b.prisoner_id
    for i in take:
        i.status = "arrived"
        i.updated_at = now
    if t.status == "departed":
        _transition(t, "arrived")
        t.arrived_at = now
    record(session, actor, "transfer.arrive", "transfer", t.id, after={"checked_in": [k for k, v in by_key.items() if v in take]})
    session.flush()
    return reconciliation(session, t.id)


def account(session: Session, actor: Actor, transfer_id: int, person: str, *, outcome: str, reason: str) -> dict:
    """Account for someone who did not arrive: ``returned`` to the origin (checked back in there)
    or ``incident`` (an escape, a death, not handed over: the reason says what was recorded)."""
    from habeas.movements.service import transfer_in

    if outcome not in ("returned", "incident"):
        raise ValidationFailed("outcome is returned or incident", code="validation_failed", details=[{"row": None, "field": "outcome", "message": outcome}])
    if not reason or not reason.strip():
        raise ValidationFailed("accounting for a person needs a reason", code="reason_required", details=[{"row": None, "field": "reason", "message": "required"}])
    t = get_transfer(session, transfer_id)
    items = _items(session, t)
    item = None
    for i in items:
        if t.origin_site_id is not None:
            p = session.get(Prisoner, i.prisoner_id)
            if p.prisoner_number == normalise_number(person):
                item = i
        elif i.external_ref == person.strip():
            item = i
    if item is None or item.status not in ("planned", "departed"):
        raise NotFound(f"{person!r} is not an open item of transfer {t.id}", code="unknown_item")
    if outcome == "returned":
        if t.origin_site_id is None:
            raise ValidationFailed("a person from outside cannot be returned here: record an incident (not handed over)", code="validation_failed",
                                   details=[{"row": None, "field": "outcome", "message": "returned"}])
        if item.status == "departed":
            transfer_in(session, actor, [item.prisoner_id], site_id=t.origin_site_id, reason=f"returned to origin from transfer {t.id}: {reason}")
    item.status = outcome if item.status == "departed" or outcome == "incident" else "removed"
    item.note = reason.strip()
    item.updated_at = clock.db_time(clock.now())
    record(session, actor, f"transfer.{item.status}", "transfer", t.id, after={"person": person, "reason": reason})
    session.flush()
    return reconciliation(session, t.id)


def close(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    t = get_transfer(session, transfer_id)
    open_items = [i for i in _items(session, t) if i.status not in ACCOUNTED]
    if open_items and t.status in ("departed", "arrived"):
        now = clock.db_time(clock.now())
        people = {p.id: p.prisoner_number for p in session.execute(select(Prisoner).where(
            Prisoner.id.in_([i.prisoner_id for i in open_items if i.prisoner_id]))).scalars()}
        for i in open_items:
            session.add(TransferAlert(transfer_id=t.id, kind="missing", detail=f"{people.get(i.prisoner_id) or i.external_ref} not accounted for",
                                      at=now, by=actor.username))
        record(session, actor, "transfer.alert", "transfer", t.id, after={"missing": [people.get(i.prisoner_id) or i.external_ref for i in open_items]})
        session.flush()
        raise Conflict(f"transfer {t.id} cannot close: {len(open_items)} person(s) not accounted for", code="not_accounted",
                       details=reconciliation(session, t.id)["missing"], persist=True)
    _transition(t, "closed")
    t.closed_at = clock.db_time(clock.now())
    record(session, actor, "transfer.close", "transfer", t.id)
    session.flush()
    return t


def cancel(session: Session, actor: Actor, transfer_id: int, reason: str) -> Transfer:
    if not reason or not reason.strip():
        raise ValidationFailed("cancelling needs a reason", code="reason_required", details=[{"row": None, "field": "reason", "message": "required"}])
    t = get_transfer(session, transfer_id)
    _transition(t, "cancelled")
    for i in _items(session, t):
        i.status = "removed"
        i.note = f"transfer cancelled: {reason.strip()}"
    t.note = reason.strip()
    record(session, actor, "transfer.cancel", "transfer", t.id, after={"reason": reason})
    session.flush()
    return t


def reconciliation(session: Session, transfer_id: int) -> dict:
    t = get_transfer(session, transfer_id)
    items = _items(session, t)
    people = {p.id: p for p in session.execute(select(Prisoner).where(Prisoner.id.in_([i.prisoner_id for i in items if i.prisoner_id]))).scalars()}
    cells = {loc.id: loc.code for loc in sites_repo.locations(session, t.destination_site_id)}

    def who(i: TransferItem) -> dict:
        p = people.get(i.prisoner_id)
        return {"prisoner_number": p.prisoner_number if p else None, "external_ref": i.external_ref,
                "name": f"{p.surname}, {p.given_names}" if p else (f"{i.booking.get('surname')}, {i.booking.get('given_names')}" if i.booking else None),
                "status": i.status, "reserved_cell": cells.get(i.reserved_cell_id), "note": i.note}

    origin = session.get(Site, t.origin_site_id).code if t.origin_site_id else t.origin_agency
    alerts = session.execute(select(TransferAlert).where(TransferAlert.transfer_id == t.id).order_by(TransferAlert.id)).scalars().all()
    counts = Counter(i.status for i in items)
    return {"id": t.id, "status": t.status, "origin": origin, "destination": session.get(Site, t.destination_site_id).code, "reason": t.reason,
            "people": len(items), "counts": dict(counts), "items": [who(i) for i in items],
            "missing": [who(i) for i in items if i.status == "departed"],
            "alerts": [{"kind": a.kind, "detail": a.detail, "at": a.at, "by": a.by} for a in alerts],
            "created_at": t.created_at, "departed_at": t.departed_at, "arrived_at": t.arrived_at, "closed_at": t.closed_at}


def list_transfers(session: Session, site_code: str, *, status: str | None = None) -> list[dict]:
    site = get_site(session, site_code)
    q = select(Transfer).where((Transfer.destination_site_id == site.id) | (Transfer.origin_site_id == site.id))
    if status:
        q = q.where(Transfer.status == status)
    codes = {s_.id: s_.code for s_ in sites_repo.list_sites(session)}
    return [{"id": t.id, "status": t.status, "origin": codes.get(t.origin_site_id) if t.origin_site_id else t.origin_agency,
             "destination": codes.get(t.destination_site_id), "reason": t.reason, "created_at": t.created_at}
            for t in session.execute(q.order_by(Transfer.id.desc()).limit(200)).scalars()]


# --- read-only helpers for the pages ----------------------------------------------------------

def item_counts(session: Session, transfer_ids: list[int]) -> dict[int, int]:
    """How many people are on each transfer's manifest."""
    from sqlalchemy import func

    if not transfer_ids:
        return {}
    return dict(session.execute(select(TransferItem.transfer_id, func.count()).where(TransferItem.transfer_id.in_(transfer_ids))
                                .group_by(TransferItem.transfer_id)).all())


def awaiting_housing(session: Session, transfer_id: int) -> list[str]:
    """Prisoner numbers of the people who arrived on this transfer and still wait in the
    destination's reception for a cell (the arrivals its allocation houses)."""
    from habeas.models import Location

    t = get_transfer(session, transfer_id)
    q = (select(Prisoner.prisoner_number).join(TransferItem, TransferItem.prisoner_id == Prisoner.id)
         .join(Location, Location.id == Prisoner.current_location_id)
         .where(TransferItem.transfer_id == t.id, TransferItem.status == "arrived", Prisoner.in_custody.is_(True),
                Prisoner.current_site_id == t.destination_site_id, Prisoner.cell_id.is_(None), Prisoner.away.is_(None),
                Location.type == "reception")
         .order_by(Prisoner.prisoner_number))
    return list(session.execute(q).scalars())


def page_view(session: Session, transfer_id: int, *, limit: int = 200, missing_limit: int = 500, open_limit: int = 2000) -> dict:
    """The reconciliation as a page shows it, for a manifest of thousands: the counts in full,
    and only the first ``limit`` items (the full ``reconciliation`` reads every manifest row)."""
    from sqlalchemy import func
    from sqlalchemy.orm import aliased

    from habeas.models import Location

    t = get_transfer(session, transfer_id)
    counts = dict(session.execute(select(TransferItem.status, func.count()).where(TransferItem.transfer_id == t.id)
                                  .group_by(TransferItem.status)).all())
    cell = aliased(Location)

    def rows(*where, n: int, with_booking: bool = True):
        cols = [TransferItem.external_ref, TransferItem.status, TransferItem.note, Prisoner.prisoner_number, Prisoner.surname,
                Prisoner.given_names, cell.code]
        if with_booking:
            cols.append(TransferItem.booking)
        q = (select(*cols).outerjoin(Prisoner, Prisoner.id == TransferItem.prisoner_id).outerjoin(cell, cell.id == TransferItem.reserved_cell_id)
             .where(TransferItem.transfer_id == t.id, *where).order_by(TransferItem.id).limit(n))
        out = []
        for r in session.execute(q).all():
            booking = r[7] if with_booking else None
            name = f"{r.surname}, {r.given_names}" if r.prisoner_number else (
                f"{booking.get('surname')}, {booking.get('given_names')}" if booking else None)
            out.append({"prisoner_number": r.prisoner_number, "external_ref": r.external_ref, "name": name, "status": r.status,
                        "reserved_cell": r.code, "note": r.note})
        return out

    alerts = session.execute(select(TransferAlert).where(TransferAlert.transfer_id == t.id).order_by(TransferAlert.id.desc()).limit(200)).scalars().all()
    codes = {s_.id: s_.code for s_ in sites_repo.list_sites(session)}
    return {"id": t.id, "status": t.status, "origin": codes.get(t.origin_site_id) if t.origin_site_id else t.origin_agency,
            "destination": codes.get(t.destination_site_id), "reason": t.reason, "source": t.source,
            "people": sum(counts.values()), "counts": counts, "items": rows(n=limit),
            "missing": rows(TransferItem.status == "departed", n=missing_limit),
            "open": [r["prisoner_number"] or r["external_ref"] for r in rows(TransferItem.status.in_(("planned", "departed")), n=open_limit,
                                                                                 with_booking=False)],
            "alerts": [{"kind": a.kind, "detail": a.detail, "at": a.at, "by": a.by} for a in reversed(alerts)],
            "alerts_total": session.execute(select(func.count()).select_from(TransferAlert).where(TransferAlert.transfer_id == t.id)).scalar_one(),
            "created_at": t.created_at, "created_by": t.created_by, "departed_at": t.departed_at, "arrived_at": t.arrived_at,
            "closed_at": t.closed_at}
