"""Court cases, hearings and video-link room bookings.

A video-link hearing books rooms: exactly one main slot, at most one pre slot (before it) and
one post slot (after it), in that order and not overlapping. The main slot needs a room whose
use is ``court`` or ``shared``; pre and post slots (consultation with the lawyer) may also use a
``legal_visit`` room. A room cannot be double-booked or booked while blocked, and a person
cannot have two hearings at once: the error names the clash.

On the day, the escort list gives each hearing's movements; recording them goes through the
movement ledger (cell -> video-link room -> cell, or out to court and back). A hearing's outcome
updates the legal basis: remanded again until a date (the remand basis is renewed), convicted
(the remand basis is superseded by the sentence), released by the court (the release workflow,
which still refuses if another basis holds the person), or adjourned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.intake.schemas import LegalBasisIn
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, NotFound, ValidationFailed
from habeas.models import Charge, CourtCase, Hearing, LegalBasis, Location, Prisoner, RoomBlock, RoomBooking
from habeas.prisoners.service import get as get_prisoner
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site

SLOTS = ("pre", "main", "post")
MAIN_USES = ("court", "shared")
SIDE_USES = ("court", "shared", "legal_visit")
OUTCOMES = ("remanded", "convicted", "released", "adjourned")
MODES = ("in_person", "video_link")


@dataclass(frozen=True)
class SlotIn:
    slot: str
    starts_at: datetime
    ends_at: datetime
    room: str | None = None  # location code; default: the main slot's room


def open_case(session: Session, actor: Actor, number: str, *, reference: str, court: str, charges: list[tuple[str, date | None]]) -> CourtCase:
    p = get_prisoner(session, number)
    if not reference.strip() or not court.strip():
        raise ValidationFailed("a case needs its reference and court", code="validation_failed", details=[{"row": None, "field": "reference", "message": "required"}])
    case = CourtCase(prisoner_id=p.id, reference=reference.strip(), court=court.strip(), status="open",
                     created_at=clock.db_time(clock.now()), created_by=actor.username)
    session.add(case)
    session.flush()
    for offence, when in charges:
        session.add(Charge(case_id=case.id, offence=offence, offence_date=when))
    session.flush()
    record(session, actor, "court.case", "prisoner", p.prisoner_number, after={"case": case.id, "reference": reference, "court": court,
                                                                              "charges": [{"offence": o, "date": d} for o, d in charges]})
    return case


def _overlaps(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> bool:
    return a0 < b1 and b0 < a1


def schedule(session: Session, actor: Actor, case_id: int, *, starts_at: datetime, ends_at: datetime, mode: str,
             court: str | None = None, slots: list[SlotIn] | None = None, room: str | None = None) -> Hearing:
    """Schedule a hearing; a video-link hearing books its room slots in the same transaction."""
    case = session.get(CourtCase, case_id)
    if case is None:
        raise NotFound(f"no court case {case_id}", code="unknown_case")
    p = session.get(Prisoner, case.prisoner_id)
    if not p.in_custody:
        raise Conflict(f"{p.prisoner_number} is not in custody", code="not_in_custody")
    if mode not in MODES:
        raise ValidationFailed(f"mode must be one of {', '.join(MODES)}", code="validation_failed", details=[{"row": None, "field": "mode", "message": mode}])
    start, end = clock.db_time(starts_at), clock.db_time(ends_at)
    if end <= start:
        raise ValidationFailed("a hearing ends after it starts", code="validation_failed", details=[{"row": None, "field": "ends_at", "message": "not after starts_at"}])
    if mode == "video_link":
        slots = slots or [SlotIn("main", starts_at, ends_at, room)]
    elif slots:
        raise ValidationFailed("only a video-link hearing books rooms", code="validation_failed", details=[{"row": None, "field": "slots", "message": "in person"}])
    planned = _check_slots(session, p.current_site_id, slots or [], start, end)
    # the person: no other hearing at the same time
    others = session.execute(select(Hearing).where(Hearing.prisoner_id == p.id, Hearing.status == "scheduled",
                                                   Hearing.starts_at < _span_end(planned, end), Hearing.ends_at > _span_start(planned, start))).scalars().all()
    if others:
        h = others[0]
        raise Conflict(f"{p.prisoner_number} already has hearing {h.id} at {h.court} from {h.starts_at:%Y-%m-%d %H:%M} to {h.ends_at:%H:%M}",
                       code="person_double_booked", details={"hearing": h.id})
    h = Hearing(case_id=case.id, prisoner_id=p.id, site_id=p.current_site_id, court=court or case.court, mode=mode, starts_at=start, ends_at=end,
                status="scheduled", created_at=clock.db_time(clock.now()), created_by=actor.username)
    session.add(h)
    session.flush()
    for slot, loc, s0, s1 in planned:
        session.add(RoomBooking(hearing_id=h.id, room_id=loc.id, slot=slot, starts_at=s0, ends_at=s1, active=True))
    session.flush()
    record(session, actor, "court.hearing", "prisoner", p.prisoner_number, after={
        "hearing": h.id, "case": case.reference, "court": h.court, "mode": mode, "starts_at": start, "ends_at": end,
        "slots": [{"slot": s, "room": loc.code, "from": s0, "to": s1} for s, loc, s0, s1 in planned]})
    return h


def _span_start(planned, default):
    return min([s0 for _, _, s0, _ in planned] + [default])


def _span_end(planned, default):
    return max([s1 for _, _, _, s1 in planned] + [default])


def _check_slots(session: Session, site_id: int, slots: list[SlotIn], start: datetime, end: datetime) -> list[tuple[str, Location, datetime, datetime]]:
    if not slots:
        return []
    issues = IssueList()
    kinds = [s.slot for s in slots]
    for i, s in enumerate(slots):
        if s.slot not in SLOTS:
            issues.add(f"slot must be one of {', '.join(SLOTS)}", field="slot", row=i)
    if kinds.count("main") != 1:
        issues.add("a video-link hearing books exactly one main slot", field="slot")
    for k in ("pre", "post"):
        if kinds.count(k) > 1:
            issues.add(f"at most one {k} slot", field="slot")
    issues.raise_if_any("room booking refused")
    by = {s.slot: s for s in slots}
    main = by["main"]
    main_room = main.room
    out = []
    for i, s in enumerate(slots):
        s0, s1 = clock.db_time(s.starts_at), clock.db_time(s.ends_at)
        if s1 <= s0:
            issues.add(f"the {s.slot} slot ends before it starts", field="ends_at", row=i)
        code = s.room or main_room
        loc = sites_repo.location_by_code(session, site_id, code) if code else None
        if loc is None or not loc.active or loc.type != "video_link_room":
            issues.add(f"no video-link room {code!r} at the person's site", field="room", row=i)
            continue
        allowed = MAIN_USES if s.slot == "main" else SIDE_USES
        if (loc.room_use or "shared") not in allowed:
            issues.add(f"{loc.code} is a {loc.room_use} room: a {s.slot} slot needs {' or '.join(allowed)}", field="room", row=i)
        out.append((s.slot, loc, s0, s1))
    m0, m1 = clock.db_time(main.starts_at), clock.db_time(main.ends_at)
    if (m0, m1) != (start, end):
        issues.add("the main slot is the hearing's own time", field="starts_at")
    if "pre" in by and clock.db_time(by["pre"].ends_at) > m0:
        issues.add("the pre slot must end before the main slot starts", field="slot")
    if "post" in by and clock.db_time(by["post"].starts_at) < m1:
        issues.add("the post slot must start after the main slot ends", field="slot")
    issues.raise_if_any("room booking refused")
    for slot, loc, s0, s1 in out:
        clash = session.execute(select(RoomBooking, Hearing).join(Hearing, Hearing.id == RoomBooking.hearing_id).where(
            RoomBooking.room_id == loc.id, RoomBooking.active.is_(True), RoomBooking.starts_at < s1, RoomBooking.ends_at > s0)).first()
        if clash:
            b, h = clash
            who = session.get(Prisoner, h.prisoner_id).prisoner_number
            raise Conflict(f"{loc.code} is booked from {b.starts_at:%H:%M} to {b.ends_at:%H:%M} on {b.starts_at:%Y-%m-%d} "
                           f"({b.slot} slot of hearing {h.id}, {who}): the {slot} slot clashes", code="room_double_booked",
                           details={"room": loc.code, "hearing": h.id, "slot": b.slot})
        block = session.execute(select(RoomBlock).where(RoomBlock.room_id == loc.id, RoomBlock.active.is_(True),
                                                        RoomBlock.starts_at < s1, RoomBlock.ends_at > s0)).scalars().first()
        if block:
            raise Conflict(f"{loc.code} is blocked from {block.starts_at:%Y-%m-%d %H:%M} to {block.ends_at:%Y-%m-%d %H:%M}: {block.reason}",
                           code="room_blocked", details={"room": loc.code, "block": block.id})
    return out


def block_room(session: Session, actor: Actor, site_code: str, room: str, *, starts_at: datetime, ends_at: datetime, reason: str) -> RoomBlock:
    site = get_site(session, site_code)
    loc = sites_repo.location_by_code(session, site.id, room)
    if loc is None or loc.type != "video_link_room":
        raise NotFound(f"no video-link room {room!r} at {site.code}", code="unknown_location")
    s0, s1 = clock.db_time(starts_at), clock.db_time(ends_at)
    if s1 <= s0 or not reason.strip():
        raise ValidationFailed("a block needs a reason and an end after its start", code="validation_failed",
                               details=[{"row": None, "field": "ends_at", "message": "check the period and the reason"}])
    booked = session.execute(select(RoomBooking).where(RoomBooking.room_id == loc.id, RoomBooking.active.is_(True),
                                                       RoomBooking.starts_at < s1, RoomBooking.ends_at > s0)).scalars().first()
    if booked:
        raise Conflict(f"{loc.code} has a booking then (hearing {booked.hearing_id}, {booked.starts_at:%Y-%m-%d %H:%M}): move it first",
                       code="room_booked", details={"hearing": booked.hearing_id})
    b = RoomBlock(room_id=loc.id, starts_at=s0, ends_at=s1, reason=reason.strip(), active=True, created_by=actor.username)
    session.add(b)
    session.flush()
    record(session, actor, "court.room_block", "location", loc.code, after={"from": s0, "to": s1, "reason": b.reason})
    return b


def lift_block(session: Session, actor: Actor, block_id: int, reason: str, *, site_code: str | None = None) -> RoomBlock:
    """Lift a room block before its end (the camera is mended early). The block is kept, inactive,
    with who lifted it and why in the audit log. With ``site_code``, a block of another site is
    not found."""
    b = session.get(RoomBlock, block_id)
    room = session.get(Location, b.room_id) if b is not None else None
    if b is None or (site_code is not None and (room is None or room.site_id != get_site(session, site_code).id)):
        raise NotFound(f"no room block {block_id}" + (f" at {site_code}" if site_code else ""), code="unknown_block")
    if not b.active:
        raise Conflict(f"block {block_id} is already lifted", code="bad_transition")
    if not (reason or "").strip():
        raise ValidationFailed("lifting a block needs a reason", code="reason_required",
                               details=[{"row": None, "field": "reason", "message": "required"}])
    b.active = False
    record(session, actor, "court.room_unblock", "location", room.code if room else b.room_id,
           before={"block": b.id, "from": b.starts_at, "to": b.ends_at, "reason": b.reason}, after={"reason": reason.strip()})
    session.flush()
    return b


def cancel(session: Session, actor: Actor, hearing_id: int, reason: str) -> Hearing:
    h = _hearing(session, hearing_id)
    if h.status != "scheduled":
        raise Conflict(f"hearing {h.id} is {h.status}", code="bad_transition")
    if not reason.strip():
        raise ValidationFailed("cancelling needs a reason", code="reason_required", details=[{"row": None, "field": "reason", "message": "required"}])
    h.status = "cancelled"
    h.outcome_note = reason.strip()
    for b in session.execute(select(RoomBooking).where(RoomBooking.hearing_id == h.id)).scalars():
        b.active = False
    record(session, actor, "court.cancel", "hearing", h.id, after={"reason": reason})
    session.flush()
    return h


def _hearing(session: Session, hearing_id: int) -> Hearing:
    h = session.get(Hearing, hearing_id)
    if h is None:
        raise NotFound(f"no hearing {hearing_id}", code="unknown_hearing")
    return h


def day(session: Session, site_code: str, on: date | None = None) -> list[dict]:
    """The day's hearings (a calendar day of the site; default its today) with their rooms."""
    site = get_site(session, site_code)
    tz = ZoneInfo(site.timezone)
    if on is None:
        on = clock.now().astimezone(tz).date()
    lo = clock.db_time(datetime.combine(on, time(0), tzinfo=tz))
    hi = lo + timedelta(days=1)
    rows = session.execute(select(Hearing).where(Hearing.site_id == site.id, Hearing.starts_at >= lo, Hearing.starts_at < hi,
                                                 Hearing.status != "cancelled").order_by(Hearing.starts_at, Hearing.id)).scalars().all()
    out = []
    for h in rows:
        p = session.get(Prisoner, h.prisoner_id)
        books = session.execute(select(RoomBooking, Location.code).join(Location, Location.id == RoomBooking.room_id)
                                .where(RoomBooking.hearing_id == h.id, RoomBooking.active.is_(True)).order_by(RoomBooking.starts_at)).all()
        out.append({"hearing": h.id, "prisoner_number": p.prisoner_number, "surname": p.surname, "given_names": p.given_names,
                    "court": h.court, "mode": h.mode, "starts_at": h.starts_at, "ends_at": h.ends_at, "status": h.status,
                    "outcome": h.outcome,
                    "slots": [{"slot": b.slot, "room": code, "from": b.starts_at, "to": b.ends_at} for b, code in books]})
    return out


def move(session: Session, actor: Actor, hearing_id: int, direction: str, *, at: datetime | None = None) -> list[int]:
    """Record the hearing's movement through the ledger: ``out`` (to the video-link room of the
    first slot, or out to court) or ``back`` (to the person's cell)."""
    from habeas.movements.service import MoveRequest, move_many

    h = _hearing(session, hearing_id)
    p = session.get(Prisoner, h.prisoner_id)
    if direction == "out":
        if h.mode == "video_link":
            first = session.execute(select(RoomBooking).where(RoomBooking.hearing_id == h.id, RoomBooking.active.is_(True))
                                    .order_by(RoomBooking.starts_at).limit(1)).scalar_one()
            req = MoveRequest(p.id, first.room_id, f"video-link hearing {h.id} ({h.court})", kind="internal", moved_at=at)
        else:
            req = MoveRequest(p.id, None, f"hearing {h.id}", kind="court", destination=h.court, moved_at=at)
    elif direction == "back":
        from habeas.housing.service import check_placement

        reception = sites_repo.reception(session, h.site_id)
        home, why = p.cell_id, f"back from hearing {h.id}"
        if home is not None:
            site = sites_repo.site_by_id(session, h.site_id)
            report = check_placement(session, site.code, p.prisoner_number, p.id, home)
            if report.violations:  # e.g. convicted at the hearing, and the cell is on a remand landing
                home, why = reception.id, f"back from hearing {h.id}; to reception for rehousing: {report.violations[0].message}"
        req = MoveRequest(p.id, home or reception.id, why, kind="return" if p.away else "internal", moved_at=at)
        if home == reception.id and p.cell_id is not None:
            ids = move_many(session, actor, h.site_id, [req])
            # the old bed is given up: the allocation will house the person afresh
            p.cell_id = None
            session.flush()  # before anything reads positions around the ORM
            return ids
    else:
        raise ValidationFailed("direction is out or back", code="validation_failed", details=[{"row": None, "field": "direction", "message": direction}])
    return move_many(session, actor, h.site_id, [req])


def record_outcome(session: Session, actor: Actor, hearing_id: int, *, outcome: str, note: str | None = None,
                   remanded_until: date | None = None, sentence_reference: str | None = None) -> dict:
    """Record what the court decided and update the legal basis accordingly."""
    from habeas.legal import sentences
    from habeas.legal import service as legal

    h = _hearing(session, hearing_id)
    if h.status != "scheduled":
        raise Conflict(f"hearing {h.id} is {h.status}", code="bad_transition")
    if outcome not in OUTCOMES:
        raise ValidationFailed(f"outcome must be one of {', '.join(OUTCOMES)}", code="validation_failed",
                               details=[{"row": None, "field": "outcome", "message": outcome}])
    p = session.get(Prisoner, h.prisoner_id)
    remand = session.execute(select(LegalBasis).where(LegalBasis.prisoner_id == p.id, LegalBasis.status == "active",
                                                      LegalBasis.type.in_(("remand_order", "warrant", "detention_order")))
                             .order_by(LegalBasis.id.desc())).scalars().first()
    today = clock.today()
    effect: dict = {"outcome": outcome}
    case = session.get(CourtCase, h.case_id)
    if outcome == "remanded":
        if remanded_until is None:
            raise ValidationFailed("remanded until when?", code="validation_failed", details=[{"row": None, "field": "remanded_until", "message": "required"}])
        new_in = LegalBasisIn(type="remand_order", reference=f"{case.reference}/{h.id}", issuing_authority=h.court, issue_date=today,
                              review_due=remanded_until)
        if remand is not None and remand.type == "remand_order":
            nb = legal.renew(session, actor, p.prisoner_number, remand.id, issue_date=today, reference=new_in.reference,
                             issuing_authority=h.court, review_due=remanded_until, reason=f"remanded at hearing {h.id}")
        elif remand is not None:
            nb = legal.supersede(session, actor, p.prisoner_number, remand.id, new_in, reason=f"remanded at hearing {h.id}")
        else:
            nb = legal.add_basis(session, actor, p.prisoner_number, new_in, reason=f"remanded at hearing {h.id}")
        effect["basis"] = nb.id
    elif outcome == "convicted":
        new_in = LegalBasisIn(type="sentence", reference=sentence_reference or f"{case.reference}/{h.id}", issuing_authority=h.court, issue_date=today)
        nb = (legal.supersede(session, actor, p.prisoner_number, remand.id, new_in, reason=f"convicted at hearing {h.id}") if remand
              else legal.add_basis(session, actor, p.prisoner_number, new_in, reason=f"convicted at hearing {h.id}"))
        effect["basis"] = nb.id
        p.legal_status = "convicted"
    elif outcome == "released":
        effect["release"] = sentences.release(session, actor, p.prisoner_number, reason=f"released by the court at hearing {h.id}: {note or ''}".strip(),
                                              end_bases=[remand.id] if remand else [])
    h.status = "held"
    h.outcome = outcome
    h.outcome_note = note
    record(session, actor, "court.outcome", "prisoner", p.prisoner_number, after={"hearing": h.id, **effect, "note": note,
                                                                                  "remanded_until": remanded_until})
    session.flush()
    return effect


# --- reading for the staff pages ---------------------------------------------------------------

def day_board(session: Session, site_code: str, on: date | None = None) -> dict:
    """The court day of a site: the day's hearings (:func:`day`, each with its case reference) and
    every video-link room with the bookings (pre, main, post) and blocks that fall in the day."""
    site = get_site(session, site_code)
    tz = ZoneInfo(site.timezone)
    if on is None:
        on = clock.now().astimezone(tz).date()
    lo = clock.db_time(datetime.combine(on, time(0), tzinfo=tz))
    hi = clock.db_time(datetime.combine(on + timedelta(days=1), time(0), tzinfo=tz))
    hearings = day(session, site.code, on)
    ids = [h["hearing"] for h in hearings]
    refs = dict(session.execute(select(Hearing.id, CourtCase.reference).join(CourtCase, CourtCase.id == Hearing.case_id)
                                .where(Hearing.id.in_(ids))).all()) if ids else {}
    for h in hearings:
        h["case"] = refs.get(h["hearing"])
    rooms = video_rooms(session, site.id)
    by_room: dict[int, dict] = {r.id: {"code": r.code, "name": r.name, "use": r.room_use or "shared", "in_service": r.in_service,
                                       "bookings": [], "blocks": []} for r in rooms}
    if by_room:
        booked = session.execute(
            select(RoomBooking.room_id, RoomBooking.slot, RoomBooking.starts_at, RoomBooking.ends_at, Hearing.id, Hearing.court,
                   Hearing.status, Prisoner.prisoner_number, Prisoner.surname, Prisoner.given_names)
            .join(Hearing, Hearing.id == RoomBooking.hearing_id).join(Prisoner, Prisoner.id == Hearing.prisoner_id)
            .where(RoomBooking.room_id.in_(list(by_room)), RoomBooking.active.is_(True), RoomBooking.starts_at < hi, RoomBooking.ends_at > lo)
            .order_by(RoomBooking.starts_at, RoomBooking.id)).all()
        for b in booked:
            by_room[b.room_id]["bookings"].append({"slot": b.slot, "from": b.starts_at, "to": b.ends_at, "hearing": b.id, "court": b.court,
                                                   "status": b.status, "prisoner_number": b.prisoner_number, "surname": b.surname,
                                                   "given_names": b.given_names})
        blocks = session.execute(select(RoomBlock).where(RoomBlock.room_id.in_(list(by_room)), RoomBlock.active.is_(True),
                                                         RoomBlock.starts_at < hi, RoomBlock.ends_at > lo)
                                 .order_by(RoomBlock.starts_at, RoomBlock.id)).scalars().all()
        for k in blocks:
            by_room[k.room_id]["blocks"].append({"id": k.id, "from": k.starts_at, "to": k.ends_at, "reason": k.reason, "by": k.created_by})
    return {"site": site.code, "site_name": site.name, "timezone": site.timezone, "on": on, "day_start": lo, "day_end": hi,
            "hearings": hearings, "rooms": list(by_room.values())}


def cases_of(session: Session, number: str) -> list[dict]:
    """A person's court cases, newest first, with their charges and hearings (and each hearing's rooms)."""
    p = get_prisoner(session, number)
    cases = session.execute(select(CourtCase).where(CourtCase.prisoner_id == p.id).order_by(CourtCase.created_at.desc(), CourtCase.id.desc())).scalars().all()
    if not cases:
        return []
    ids = [c.id for c in cases]
    charges = session.execute(select(Charge).where(Charge.case_id.in_(ids)).order_by(Charge.id)).scalars().all()
    hearings = session.execute(select(Hearing).where(Hearing.prisoner_id == p.id).order_by(Hearing.starts_at.desc(), Hearing.id.desc())).scalars().all()
    slots: dict[int, list[dict]] = {}
    if hearings:
        for b, code in session.execute(select(RoomBooking, Location.code).join(Location, Location.id == RoomBooking.room_id)
                                       .where(RoomBooking.hearing_id.in_([h.id for h in hearings]), RoomBooking.active.is_(True))
                                       .order_by(RoomBooking.starts_at)).all():
            slots.setdefault(b.hearing_id, []).append({"slot": b.slot, "room": code, "from": b.starts_at, "to": b.ends_at})
    out = {c.id: {"id": c.id, "reference": c.reference, "court": c.court, "status": c.status, "created_at": c.created_at,
                  "created_by": c.created_by, "charges": [], "hearings": []} for c in cases}
    for ch in charges:
        out[ch.case_id]["charges"].append({"offence": ch.offence, "offence_date": ch.offence_date, "outcome": ch.outcome,
                                           "outcome_date": ch.outcome_date})
    for h in hearings:
        if h.case_id in out:
            out[h.case_id]["hearings"].append({"id": h.id, "court": h.court, "mode": h.mode, "starts_at": h.starts_at, "ends_at": h.ends_at,
                                               "status": h.status, "outcome": h.outcome, "outcome_note": h.outcome_note, "site_id": h.site_id,
                                               "slots": slots.get(h.id, [])})
    return list(out.values())


def video_rooms(session: Session, site_id: int) -> list:
    """The site's active video-link rooms (id, code, name, room_use, in_service), in layout order."""
    return list(session.execute(select(Location.id, Location.code, Location.name, Location.room_use, Location.in_service)
                                .where(Location.site_id == site_id, Location.type == "video_link_room", Location.active.is_(True))
                                .order_by(Location.position, Location.code)).all())


def hearing_of(session: Session, hearing_id: int) -> Hearing:
    """A hearing by id, or 404."""
    return _hearing(session, hearing_id)
