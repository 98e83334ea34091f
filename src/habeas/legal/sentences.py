"""Sentences, release dates and release.

A person's sentences, remand periods and adjustments belong to their custody episode. Whenever
one of them changes, the release date is calculated again (:mod:`habeas.legal.release`, pure)
and the calculation is kept with its inputs and its line-by-line breakdown; the episode carries
the latest release date, which the release-due list reads. Nothing is edited: a sentence is
quashed, an adjustment withdrawn, a release in error undone by a re-admission, all with reasons.

Release refuses anyone still held on another basis: the person's active legal bases must all be
ended by this release (the sentence whose release date has come, a basis that lapsed, or the
bases a court order names)."""

from __future__ import annotations

from json.encoder import encode_basestring as _quote  # the C string encoder
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock, collector
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, NotFound, ValidationFailed
from habeas.legal import release as calc
from habeas.legal import service as legal
from habeas.models import CustodyEpisode, LegalBasis, Movement, Prisoner, ReleaseCalculation, RemandPeriod, Sentence, SentenceAdjustment
from habeas.prisoners.service import get as get_prisoner


def _episode(session: Session, number: str) -> tuple[Prisoner, CustodyEpisode]:
    p = get_prisoner(session, number)
    ep = legal.open_episode(session, p.id)
    if ep is None:
        raise Conflict(f"prisoner {p.prisoner_number} has no open custody episode", code="not_in_custody")
    return p, ep


# --- the case of an episode ------------------------------------------------------------------

def _rows(session: Session, ep: CustodyEpisode):
    sentences = list(session.execute(select(Sentence).where(Sentence.episode_id == ep.id, Sentence.status == "active").order_by(Sentence.id)).scalars())
    periods = list(session.execute(select(RemandPeriod).where(RemandPeriod.episode_id == ep.id, RemandPeriod.active.is_(True))
                                   .order_by(RemandPeriod.start)).scalars())
    adjustments = list(session.execute(select(SentenceAdjustment).where(SentenceAdjustment.episode_id == ep.id, SentenceAdjustment.active.is_(True))
                                       .order_by(SentenceAdjustment.id)).scalars())
    return sentences, periods, adjustments


def _term(y, m, d) -> calc.Term | None:
    return None if y is None and m is None and d is None else calc.Term(y or 0, m or 0, d or 0)


def case_of(ep: CustodyEpisode, sentences, periods, adjustments) -> calc.ReleaseCase:
    return calc.ReleaseCase(
        custody_start=ep.admitted_at.date(),
        sentences=tuple(calc.Sentence(
            key=s.key, sentence_date=s.sentence_date, term=None if s.life else calc.Term(s.years, s.months, s.days), life=s.life,
            minimum_term=_term(s.minimum_years, s.minimum_months, s.minimum_days) if s.life else None,
            consecutive_to=s.consecutive_to, start_date=s.start_date) for s in sentences),
        remand_periods=tuple(calc.RemandPeriod(r.start, r.end) for r in periods),
        adjustments=tuple(calc.Adjustment(a.kind, a.days, a.reason) for a in adjustments),
    )


def _term_dict(t: calc.Term) -> dict:
    return {"years": t.years, "months": t.months, "days": t.days}


def _inputs(case: calc.ReleaseCase) -> dict:
    """The case as plain JSON data (read back by :func:`case_from_inputs`)."""
    out = []
    for s in case.sentences:
        d: dict = {"key": s.key, "sentence_date": s.sentence_date.isoformat()}
        if s.term is not None:
            d["term"] = _term_dict(s.term)
        if s.life:
            d["life"] = True
        if s.minimum_term is not None:
            d["minimum_term"] = _term_dict(s.minimum_term)
        if s.consecutive_to is not None:
            d["consecutive_to"] = s.consecutive_to
        if s.start_date is not None:
            d["start_date"] = s.start_date.isoformat()
        out.append(d)
    return {"custody_start": case.custody_start.isoformat(), "sentences": out,
            "remand_periods": [{"start": r.start.isoformat(), "end": r.end.isoformat()} for r in case.remand_periods],
            "adjustments": [{"kind": a.kind, "days": a.days, "reason": a.reason} for a in case.adjustments]}


def inputs_json(case: calc.ReleaseCase) -> str:
    """:func:`_inputs` as JSON text, written directly (a whole site's worth in a moment); only
    the free text goes through the JSON string encoder."""
    q = _quote
    parts = []
    for s in case.sentences:
        f = [f'"key":{q(s.key)}', f'"sentence_date":"{s.sentence_date.isoformat()}"']
        if s.term is not None:
            t = s.term
            f.append(f'"term":{{"years":{t.years},"months":{t.months},"days":{t.days}}}')
        if s.life:
            f.append('"life":true')
        if s.minimum_term is not None:
            t = s.minimum_term
            f.append(f'"minimum_term":{{"years":{t.years},"months":{t.months},"days":{t.days}}}')
        if s.consecutive_to is not None:
            f.append(f'"consecutive_to":{q(s.consecutive_to)}')
        if s.start_date is not None:
            f.append(f'"start_date":"{s.start_date.isoformat()}"')
        parts.append("{" + ",".join(f) + "}")
    remand = ",".join(f'{{"start":"{r.start.isoformat()}","end":"{r.end.isoformat()}"}}' for r in case.remand_periods)
    adjust = ",".join(f'{{"kind":{q(a.kind)},"days":{a.days},"reason":{q(a.reason)}}}' for a in case.adjustments)
    return (f'{{"custody_start":"{case.custody_start.isoformat()}","sentences":[{",".join(parts)}],'
            f'"remand_periods":[{remand}],"adjustments":[{adjust}]}}')


def recalculate(session: Session, actor: Actor, p: Prisoner, ep: CustodyEpisode, trigger: str) -> ReleaseCalculation | None:
    """Calculate the episode's release date again and keep the calculation. Invalid input raises
    a ReleaseError naming the sentence and field (the caller's change is then not written)."""
    sentences, periods, adjustments = _rows(session, ep)
    if not sentences:
        ep.release_date = None
        ep.release_calculation_id = None
        return None
    rules = legal.jurisdiction()
    legal.remember_rules(session, rules)
    case = case_of(ep, sentences, periods, adjustments)
    result = calc.calculate(case, rules.sentences)
    row = ReleaseCalculation(
        prisoner_id=p.id, episode_id=ep.id, trigger=trigger[:200], release_date=result.release_date,
        sentence_expiry=result.sentence_expiry, eligibility_date=result.eligibility_date, immediate=result.immediate, life=result.life,
        beyond_calendar=result.beyond_calendar, release_year=result.release_year, rules_digest=rules.digest, inputs=_inputs(case),
        lines=list(result.lines), computed_at=clock.db_time(clock.now()), computed_by=actor.username)
    session.add(row)
    session.flush()
    ep.release_date = result.release_date
    ep.release_calculation_id = row.id
    record(session, actor, "release.calculate", "prisoner", p.prisoner_number,
           after={"calculation": row.id, "trigger": trigger, "release_date": result.release_date, "eligibility_date": result.eligibility_date,
                  "life": result.life, "beyond_calendar": result.beyond_calendar, "immediate": result.immediate})
    return row


# --- inputs ---------------------------------------------------------------------------------------

def add_sentence(session: Session, actor: Actor, number: str, *, key: str, sentence_date: date, years: int = 0, months: int = 0,
                 days: int = 0, life: bool = False, minimum: tuple[int, int, int] | None = None, consecutive_to: str | None = None,
                 start_date: date | None = None, offence: str | None = None, court: str | None = None) -> ReleaseCalculation:
    p, ep = _episode(session, number)
    has_basis = session.execute(select(LegalBasis.id).where(LegalBasis.episode_id == ep.id, LegalBasis.type == "sentence",
                                                            LegalBasis.status == "active").limit(1)).first()
    if not has_basis:
        raise Conflict(f"{p.prisoner_number} has no active sentence basis: record the conviction first (supersede the remand order "
                       "by the sentence, or add the sentence as a legal basis)", code="no_sentence_basis",
                       details=[{"row": None, "field": "key", "message": "no sentence basis"}])
    if any(s.key == key for s in _rows(session, ep)[0]):
        raise Conflict(f"{p.prisoner_number} already has a sentence {key!r}", code="duplicate_sentence",
                       details=[{"row": None, "field": "key", "message": "in use"}])
    s = Sentence(prisoner_id=p.id, episode_id=ep.id, key=key, sentence_date=sentence_date, years=years, months=months, days=days, life=life,
                 minimum_years=minimum[0] if minimum else None, minimum_months=minimum[1] if minimum else None,
                 minimum_days=minimum[2] if minimum else None, consecutive_to=consecutive_to, start_date=start_date, offence=offence,
                 court=court, status="active", created_at=clock.db_time(clock.now()), created_by=actor.username)
    session.add(s)
    session.flush()
    record(session, actor, "sentence.add", "prisoner", p.prisoner_number, after={
        "key": key, "sentence_date": sentence_date, "term": None if life else [years, months, days], "life": life, "minimum": minimum,
        "consecutive_to": consecutive_to, "start_date": start_date, "offence": offence, "court": court})
    return recalculate(session, actor, p, ep, f"sentence {key} added")


def quash_sentence(session: Session, actor: Actor, number: str, key: str, reason: str) -> ReleaseCalculation | None:
    reason = legal.require_reason(reason, "quashing a sentence")
    p, ep = _episode(session, number)
    s = next((s for s in _rows(session, ep)[0] if s.key == key), None)
    if s is None:
        raise NotFound(f"no active sentence {key!r} for {p.prisoner_number}", code="unknown_sentence")
    s.status = "quashed"
    record(session, actor, "sentence.quash", "prisoner", p.prisoner_number, after={"key": key, "reason": reason})
    return recalculate(session, actor, p, ep, f"sentence {key} quashed: {reason}")


def add_adjustment(session: Session, actor: Actor, number: str, *, kind: str, days: int, reason: str) -> ReleaseCalculation | None:
    reason = legal.require_reason(reason, "an adjustment")
    p, ep = _episode(session, number)
    kinds = legal.jurisdiction().sentences.adjustments
    if kind not in kinds:
        raise ValidationFailed(f"adjustment kind must be one of {', '.join(kinds)}, not {kind!r}", code="unknown_adjustment",
                               details=[{"row": None, "field": "kind", "message": "unknown"}])
    a = SentenceAdjustment(prisoner_id=p.id, episode_id=ep.id, kind=kind, days=days, reason=reason, active=True,
                           created_at=clock.db_time(clock.now()), created_by=actor.username)
    session.add(a)
    session.flush()
    record(session, actor, "sentence.adjust", "prisoner", p.prisoner_number, after={"id": a.id, "kind": kind, "days": days, "reason": reason})
    return recalculate(session, actor, p, ep, f"{kind} {days} days: {reason}")


def withdraw_adjustment(session: Session, actor: Actor, number: str, adjustment_id: int, reason: str) -> ReleaseCalculation | None:
    reason = legal.require_reason(reason, "withdrawing an adjustment")
    p, ep = _episode(session, number)
    a = session.get(SentenceAdjustment, adjustment_id)
    if a is None or a.episode_id != ep.id or not a.active:
        raise NotFound(f"no active adjustment {adjustment_id} for {p.prisoner_number}", code="unknown_adjustment")
    a.active = False
    record(session, actor, "sentence.adjustment_withdrawn", "prisoner", p.prisoner_number, after={"id": a.id, "reason": reason})
    return recalculate(session, actor, p, ep, f"adjustment {a.id} withdrawn: {reason}")


def add_remand_period(session: Session, actor: Actor, number: str, *, start: date, end: date, note: str | None = None) -> ReleaseCalculation | None:
    p, ep = _episode(session, number)
    if end < start:
        raise ValidationFailed(f"remand period ends ({end}) before it starts ({start})", code="validation_failed",
                               details=[{"row": None, "field": "end", "message": "before start"}])
    if end > clock.today():
        raise ValidationFailed("a remand period cannot end in the future", code="validation_failed", details=[{"row": None, "field": "end", "message": "future"}])
    r = RemandPeriod(prisoner_id=p.id, episode_id=ep.id, start=start, end=end, note=note, active=True,
                     created_at=clock.db_time(clock.now()), created_by=actor.username)
    session.add(r)
    session.flush()
    record(session, actor, "sentence.remand_period", "prisoner", p.prisoner_number, after={"start": start, "end": end, "note": note})
    return recalculate(session, actor, p, ep, f"remand period {start} to {end} recorded")


# --- reading --------------------------------------------------------------------------------------

def case_from_inputs(inputs: dict) -> calc.ReleaseCase:
    """The case a calculation was made from, rebuilt from its stored inputs."""
    d = date.fromisoformat

    def term(t):
        return calc.Term(**t) if t else None

    return calc.ReleaseCase(
        custody_start=d(inputs["custody_start"]),
        sentences=tuple(calc.Sentence(key=x["key"], sentence_date=d(x["sentence_date"]), term=term(x.get("term")), life=x.get("life", False),
                                      minimum_term=term(x.get("minimum_term")), consecutive_to=x.get("consecutive_to"),
                                      start_date=d(x["start_date"]) if x.get("start_date") else None) for x in inputs["sentences"]),
        remand_periods=tuple(calc.RemandPeriod(d(r["start"]), d(r["end"])) for r in inputs["remand_periods"]),
        adjustments=tuple(calc.Adjustment(a["kind"], a["days"], a.get("reason", "")) for a in inputs["adjustments"]),
    )


def lines_of(session: Session, c: ReleaseCalculation) -> list[str]:
    """The breakdown of a calculation: kept with it, or (bulk recalculations) worked out again from
    its inputs and the very rules file it used."""
    if c.lines:
        return list(c.lines)
    rules = legal.rules_by_digest(session, c.rules_digest)
    if rules is None:
        return ["(the rules file of this calculation is not on record)"]
    return list(calc.explain(case_from_inputs(c.inputs), rules.sentences))


def calculation_out(c: ReleaseCalculation | None, session: Session | None = None) -> dict:
    if c is None:  # no sentence left: no release date
        return {"release_date": None}
    if session is not None and not c.lines:
        c_lines = lines_of(session, c)
    else:
        c_lines = c.lines
    return {"id": c.id, "trigger": c.trigger, "release_date": c.release_date, "sentence_expiry": c.sentence_expiry,
            "eligibility_date": c.eligibility_date, "immediate": c.immediate, "life": c.life, "beyond_calendar": c.beyond_calendar,
            "release_year": c.release_year, "lines": c_lines, "inputs": c.inputs, "computed_at": c.computed_at, "computed_by": c.computed_by}


def release_record(session: Session, number: str) -> dict:
    """Sentences, adjustments, remand periods and the latest calculation with its breakdown ("why this date"),
    plus the earlier calculations."""
    p = get_prisoner(session, number)
    ep = legal.open_episode(session, p.id) or session.execute(
        select(CustodyEpisode).where(CustodyEpisode.prisoner_id == p.id).order_by(CustodyEpisode.id.desc()).limit(1)).scalar_one_or_none()
    if ep is None:
        raise NotFound(f"prisoner {p.prisoner_number} has no custody episode", code="no_episode")
    sentences = list(session.execute(select(Sentence).where(Sentence.episode_id == ep.id).order_by(Sentence.id)).scalars())
    _, periods, adjustments = _rows(session, ep)
    calcs = list(session.execute(select(ReleaseCalculation).where(ReleaseCalculation.episode_id == ep.id)
                                 .order_by(ReleaseCalculation.id.desc())).scalars())
    today = clock.today()
    return {
        "prisoner_number": p.prisoner_number, "episode": ep.id, "in_custody": p.in_custody,
        "release_date": ep.release_date, "overdue": bool(p.in_custody and ep.release_date and ep.release_date < today),
        "sentences": [{"key": s.key, "sentence_date": s.sentence_date, "term": None if s.life else [s.years, s.months, s.days], "life": s.life,
                       "minimum": [s.minimum_years, s.minimum_months, s.minimum_days] if s.life and s.minimum_years is not None else None,
                       "consecutive_to": s.consecutive_to, "start_date": s.start_date, "offence": s.offence, "court": s.court,
                       "status": s.status} for s in sentences],
        "remand_periods": [{"id": r.id, "start": r.start, "end": r.end, "note": r.note} for r in periods],
        "adjustments": [{"id": a.id, "kind": a.kind, "days": a.days, "reason": a.reason} for a in adjustments],
        "calculation": calculation_out(calcs[0], session) if calcs else None,
        "history": [{"id": c.id, "trigger": c.trigger, "release_date": c.release_date, "computed_at": c.computed_at, "computed_by": c.computed_by}
                    for c in calcs],
    }


def release_due(session: Session, site_code: str, on: date | None = None) -> list[dict]:
    """Everyone at the site whose release date is ``on`` or earlier and who is still held; those
    past their date are overdue."""
    from habeas.sites.service import get_site

    site = get_site(session, site_code)
    today = clock.today()
    day = on or today
    rows = session.execute(
        select(Prisoner.prisoner_number, Prisoner.surname, Prisoner.given_names, CustodyEpisode.release_date, CustodyEpisode.release_calculation_id)
        .join(CustodyEpisode, CustodyEpisode.id == Prisoner.current_episode_id)
        .where(Prisoner.current_site_id == site.id, Prisoner.in_custody.is_(True), CustodyEpisode.release_date <= day)
        .order_by(CustodyEpisode.release_date, Prisoner.prisoner_number)).all()
    return [{"prisoner_number": r.prisoner_number, "surname": r.surname, "given_names": r.given_names, "release_date": r.release_date,
             "overdue": r.release_date < today, "days_overdue": max(0, (today - r.release_date).days), "calculation": r.release_calculation_id}
            for r in rows]


# --- release and re-admission -------------------------------------------------------------------------

def release(session: Session, actor: Actor, number: str, *, reason: str, end_bases: list[int] | None = None,
            at: datetime | None = None) -> dict:
    """Release the person: end the bases this release ends, refuse if any other basis still holds
    them, record the release movement and close the episode."""
    from habeas.movements.service import discharge

    reason = legal.require_reason(reason, "a release")
    p, ep = _episode(session, number)
    today = clock.today()
    active = list(session.execute(select(LegalBasis).where(LegalBasis.prisoner_id == p.id, LegalBasis.status == "active")).scalars())
    named = set(end_bases or ())
    unknown = named - {b.id for b in active}
    if unknown:
        raise NotFound(f"no active legal basis {sorted(unknown)[0]} for {p.prisoner_number}", code="unknown_basis")
    ending, holding = [], []
    for b in active:
        lapsed = b.expiry_date is not None and b.expiry_date < today
        served = b.type == "sentence" and ep.release_date is not None and ep.release_date <= today
        (ending if b.id in named or lapsed or served else holding).append(b)
    if holding:
        b = holding[0]
        why = " (the release date is " + str(ep.release_date) + ")" if b.type == "sentence" and ep.release_date else ""
        raise Conflict(f"{p.prisoner_number} is still held on {b.type} {b.reference} by {b.issuing_authority}{why}: "
                       "end that basis (court order) or wait for its date", code="still_held",
                       details=[{"basis": x.id, "type": x.type, "reference": x.reference} for x in holding])
    when = clock.db_time(at) if at else clock.db_time(clock.now())  # the bases end when the person leaves
    for b in ending:
        before = legal.transition(b, "ended")
        b.ended_at = when
        b.end_reason = reason
        legal.log_event(session, actor, b, "end", before, f"released: {reason}")
    discharge(session, actor, p, "release", reason=reason, moved_at=when)
    legal.refresh_basis_until(session, [p.id])
    record(session, actor, "release", "prisoner", p.prisoner_number, after={"episode": ep.id, "reason": reason, "bases_ended": [b.id for b in ending],
                                                                           "release_date": ep.release_date})
    return {"prisoner_number": p.prisoner_number, "episode": ep.id, "bases_ended": [b.id for b in ending], "released_at": ep.released_at}


def readmit_after_error(session: Session, actor: Actor, number: str, *, reason: str, location: str | None = None) -> dict:
    """Undo a release made in error: the episode is opened again, the bases the release ended are
    reinstated, and a re-admission movement is recorded. The release stays in the record."""
    from habeas.movements import ledger
    from habeas.sites import repository as sites_repo

    reason = legal.require_reason(reason, "a re-admission")
    p = get_prisoner(session, number)
    if p.in_custody:
        raise Conflict(f"{p.prisoner_number} is in custody", code="in_custody")
    ep = session.execute(select(CustodyEpisode).where(CustodyEpisode.prisoner_id == p.id).order_by(CustodyEpisode.id.desc()).limit(1)).scalar_one_or_none()
    if ep is None or ep.status != "closed":
        raise Conflict(f"{p.prisoner_number} has no closed custody episode to reopen", code="no_episode")
    last = session.get(Movement, p.last_movement_id) if p.last_movement_id else None
    if last is None or last.kind != "release":
        raise Conflict(f"{p.prisoner_number} did not leave custody by a release (last movement: {last.kind if last else 'none'})",
                       code="not_released")
    site_id = ep.site_id
    target = sites_repo.location_by_code(session, site_id, location) if location else sites_repo.reception(session, site_id)
    if target is None:
        raise NotFound(f"no location {location!r} at the site", code="unknown_location")
    now = clock.db_time(clock.now())
    ended = list(session.execute(select(LegalBasis).where(LegalBasis.episode_id == ep.id, LegalBasis.status == "ended",
                                                          LegalBasis.ended_at >= last.moved_at)).scalars())
    for b in ended:
        before = legal.transition(b, "active")
        b.ended_at = None
        b.end_reason = None
        legal.log_event(session, actor, b, "reinstate", before, f"release in error: {reason}")
    released_at = ep.released_at
    ep.status = "open"
    ep.released_at = None
    p.in_custody, p.current_site_id, p.current_episode_id, p.updated_at = True, site_id, ep.id, now
    session.flush()
    ledger.append(session, actor, [ledger.Entry(
        prisoner_id=p.id, prisoner_number=p.prisoner_number, episode_id=ep.id, site_id=site_id, from_location_id=None,
        to_location_id=target.id, kind="admission", reason=f"re-admitted after a release in error: {reason}", moved_at=now,
        last_movement_id=p.last_movement_id, last_moved_at=p.last_moved_at)], now=now)
    legal.refresh_basis_until(session, [p.id])
    record(session, actor, "custody.readmitted", "prisoner", p.prisoner_number,
           before={"released_at": released_at}, after={"episode": ep.id, "reason": reason, "bases_reinstated": [b.id for b in ended]})
    return {"prisoner_number": p.prisoner_number, "episode": ep.id, "bases_reinstated": [b.id for b in ended], "location": target.code}


# --- recalculating a whole site ------------------------------------------------------------------

class _Memo(dict):
    """A dict that works a missing value out once: across a site the same dates, keys and terms
    come back again and again."""

    __slots__ = ("make",)

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def _site_rows(session: Session, site_id: int):
    """Everyone held at the site, straight through the driver: the open episodes, and their active
    sentences, remand periods and adjustments grouped by episode (in the order the case lists them)."""
    from habeas.db import fetch_all

    where = "p.current_site_id = ? AND p.in_custody = ?"
    args = (site_id, True)
    eps = fetch_all(session, "SELECT e.id, e.prisoner_id, e.admitted_at, p.prisoner_number FROM custody_episodes e "
                    f"JOIN prisoners p ON p.current_episode_id = e.id WHERE {where} AND e.status = 'open'", args)
    groups = []
    for sql, extra in (
            ("SELECT s.episode_id, s.key, s.sentence_date, s.years, s.months, s.days, s.life, s.minimum_years, s.minimum_months, "
             "s.minimum_days, s.consecutive_to, s.start_date FROM sentences s JOIN prisoners p ON p.current_episode_id = s.episode_id "
             f"WHERE {where} AND s.status = 'active' ORDER BY s.episode_id, s.id", ()),
            ("SELECT r.episode_id, r.start, r.\"end\" FROM remand_periods r JOIN prisoners p ON p.current_episode_id = r.episode_id "
             f"WHERE {where} AND r.active = ? ORDER BY r.episode_id, r.start", (True,)),
            ("SELECT a.episode_id, a.kind, a.days, a.reason FROM sentence_adjustments a JOIN prisoners p ON p.current_episode_id = a.episode_id "
             f"WHERE {where} AND a.active = ? ORDER BY a.episode_id, a.id", (True,))):
        by: dict[int, list] = {}
        for r in fetch_all(session, sql, (*args, *extra)):
            g = by.get(r[0])
            if g is None:
                by[r[0]] = [r]
            else:
                g.append(r)
        groups.append(by)
    return eps, *groups


def _site_cases(eps, by_sent, by_rem, by_adj):
    """Each episode's case, and its inputs as JSON text, made in one pass over the raw rows.

    The text is what :func:`inputs_json` writes for the case (the tests hold them equal): dates
    as ISO text, keys and free text through the JSON string encoder, fields in the same order
    and left out in the same cases. Dates, quoted keys and terms repeat across a site, so each
    is worked out once. Yields (episode row, case, inputs JSON) for episodes with a sentence."""
    from habeas.db import as_date

    day = _Memo(as_date)  # raw value (ISO text on SQLite, a date on PostgreSQL) -> date
    iso = _Memo(lambda v: as_date(v).isoformat())  # raw value -> the ISO text inputs_json writes
    quote = _Memo(_quote)

    def make_term(ymd):
        t = calc.Term(ymd[0] or 0, ymd[1] or 0, ymd[2] or 0)
        return t, f'{{"years":{t.years},"months":{t.months},"days":{t.days}}}'

    terms = _Memo(make_term)
    Case, Sent, Remand, Adj = calc.ReleaseCase, calc.Sentence, calc.RemandPeriod, calc.Adjustment
    no_rows = ()
    for e in eps:
        eid = e[0]
        rows = by_sent.get(eid)
        if not rows:
            continue
        sents = []
        parts = []
        for _, key, sdate, y, m, d, life, my, mm, md, after, start in rows:
            if life:
                mt = terms[(my, mm, md)] if my is not None else None
                sents.append(Sent(key, day[sdate], None, True, mt[0] if mt is not None else None, after,
                                  day[start] if start is not None else None))
                f = f'{{"key":{quote[key]},"sentence_date":"{iso[sdate]}","life":true'
                if mt is not None:
                    f += ',"minimum_term":' + mt[1]
            else:
                t, tj = terms[(y, m, d)]
                sents.append(Sent(key, day[sdate], t, False, None, after, day[start] if start is not None else None))
                f = f'{{"key":{quote[key]},"sentence_date":"{iso[sdate]}","term":{tj}'
            if after is not None:
                f += ',"consecutive_to":' + quote[after]
            if start is not None:
                f += ',"start_date":"' + iso[start] + '"'
            parts.append(f + "}")
        rem = by_rem.get(eid, no_rows)
        adj = by_adj.get(eid, no_rows)
        cs = day[e[2][:10]] if type(e[2]) is str else day[e[2]]  # a time: text on SQLite, a datetime on PostgreSQL
        case = Case(cs, tuple(sents), tuple([Remand(day[a], day[b]) for _, a, b in rem]) if rem else (), None,
                    tuple([Adj(k, n, why) for _, k, n, why in adj]) if adj else ())
        remand = ",".join([f'{{"start":"{iso[a]}","end":"{iso[b]}"}}' for _, a, b in rem]) if rem else ""
        adjust = ",".join([f'{{"kind":{quote[k]},"days":{n},"reason":{_quote(why)}}}' for _, k, n, why in adj]) if adj else ""
        yield e, case, (f'{{"custody_start":"{iso[cs]}","sentences":[{",".join(parts)}],'
                        f'"remand_periods":[{remand}],"adjustments":[{adjust}]}}')


def _same(value):
    return value


def _site_results(eps, by_sent, by_rem, by_adj, rules: calc.SentenceRules, iso_dates: bool) -> tuple[list[tuple], list[dict]]:
    """Calculate every case of ``eps``: (prisoner id, episode id, release date, sentence expiry,
    eligibility date, immediate, life, beyond calendar, release year, inputs JSON) per episode with
    a sentence, in order, and the cases in error. Dates as ISO text when ``iso_dates`` (SQLite)."""
    dv = _Memo(date.isoformat if iso_dates else _same)
    dv[None] = None
    calculate = calc.calculate
    rows, errors = [], []
    for e, case, inputs in _site_cases(eps, by_sent, by_rem, by_adj):
        try:
            r = calculate(case, rules)
        except calc.ReleaseError as exc:
            errors.append({"row": None, "field": getattr(exc, "field", None), "message": f"{e[3]}: {exc.message}"})
            continue
        rows.append((e[1], e[0], dv[r.release_date], dv[r.sentence_expiry], dv[r.eligibility_date], r.immediate, r.life, r.beyond_calendar,
                     r.release_year, inputs))
    return rows, errors


# Below this many people a site is calculated in one process; above it, in two (see _in_two).
PARALLEL_MIN = 20_000


def _in_two(work, items: list) -> tuple[list, list]:
    """``work(items)`` -> (rows, errors), with the second half of ``items`` worked in a forked child
    while this process works the first half; the results are joined in order, as one call would
    give them. The child shares the loaded rows through the fork (nothing is copied to it), sends
    back plain tuples and text (pickled through a pipe) and leaves by ``os._exit``: it never touches
    the database connection, runs no clean-up of the parent's, and takes no lock (pure calculation),
    so forking from a threaded process such as a web worker is safe. Should the child fail in any
    way, or no process be spared, its half is worked here."""
    import os
    import pickle
    import signal

    half = (len(items) + 1) // 2
    first, second = items[:half], items[half:]
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory or no process to spare: one process it is
        os.close(r)
        os.close(w)
        return work(items)
    if pid == 0:  # the child
        status = 1
        try:
            os.close(r)
            data = pickle.dumps(work(second), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(w)
    data = b""
    try:
        mine = work(first)
        with os.fdopen(r, "rb") as inp:
            r = None
            data = inp.read()
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        if r is not None:
            os.close(r)
        _, status = os.waitpid(pid, 0)
    theirs = pickle.loads(data) if status == 0 and data else work(second)
    return mine[0] + theirs[0], mine[1] + theirs[1]


def _can_fork() -> bool:
    """A second process helps only where there is fork and this process may run on two CPUs."""
    import os

    if not hasattr(os, "fork"):
        return False
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) > 1


def recalculate_site(session: Session, actor: Actor, site_code: str, *, trigger: str = "recalculation of the site",
                     progress=None) -> dict:
    """Calculate again the release date of everyone held at the site with a sentence (after a
    change of the rules file, say). All or nothing: any case in error is reported with the
    person and nothing is written. The breakdowns are worked out on read from each calculation's
    inputs and its rules file, so the batch stores results, not text.

    A large site (``PARALLEL_MIN`` people or more, where two CPUs are free to use) is calculated in
    two processes (:func:`_in_two`), both working on the rows read here; reading and writing stay
    in this process, in the caller's transaction."""
    from functools import partial

    from habeas.db import bulk_insert, bulk_update, reserve_ids, time_param
    from habeas.sites.service import get_site

    site = get_site(session, site_code)
    rules = legal.jurisdiction()
    legal.remember_rules(session, rules)
    is_pg = session.connection().dialect.name == "postgresql"
    # The cyclic collector is paused for the batch: it builds millions of objects and no cycles,
    # and the collector would walk them all again and again as they pile up.
    with collector.paused():
        eps, by_sent, by_rem, by_adj = _site_rows(session, site.id)
        if progress:
            progress("loaded", len(eps), len(eps))
        work = partial(_site_results, by_sent=by_sent, by_rem=by_rem, by_adj=by_adj, rules=rules.sentences, iso_dates=not is_pg)
        results, errors = _in_two(work, eps) if len(eps) >= PARALLEL_MIN and _can_fork() else work(eps)
        del eps, by_sent, by_rem, by_adj, work
        if errors:
            raise ValidationFailed(f"{len(errors)} release date(s) cannot be calculated: nothing was written", code="release_invalid",
                                   details=errors)
        if progress:
            progress("calculated", len(results), len(results))
        now = time_param(session)(clock.db_time(clock.now()))
        calc_ids = reserve_ids(session, ReleaseCalculation.__table__, len(results))
        trig, digest, by = trigger[:200], rules.digest, actor.username
        rows = [(cid, pid, eid, trig, rd, se, ed, imm, life, beyond, year, digest, inputs, "[]", now, by)
                for cid, (pid, eid, rd, se, ed, imm, life, beyond, year, inputs) in zip(calc_ids, results, strict=True)]
        bulk_insert(session, "release_calculations", (
            ("id", "bigint"), ("prisoner_id", "bigint"), ("episode_id", "bigint"), ("trigger", "text"), ("release_date", "date"),
            ("sentence_expiry", "date"), ("eligibility_date", "date"), ("immediate", "boolean"), ("life", "boolean"), ("beyond_calendar", "boolean"),
            ("release_year", "integer"), ("rules_digest", "text"), ("inputs", "json" if is_pg else "text"), ("lines", "json" if is_pg else "text"),
            ("computed_at", "timestamp"), ("computed_by", "text")), rows, copy=True)
        del rows
        if is_pg:  # the ids come from a sequence, not always in one run
            bulk_update(session, "custody_episodes", ("id", "bigint"), (("release_date", "date"), ("release_calculation_id", "bigint")),
                        [(r[2], cid, r[1]) for cid, r in zip(calc_ids, results, strict=True)])
        elif calc_ids:
            # SQLite: every id from the first to the last is one of these rows (reserve_ids), so the
            # episodes take their new date in one statement, without a round of parameters per row.
            session.connection().exec_driver_sql(
                "UPDATE custody_episodes SET release_date = c.release_date, release_calculation_id = c.id FROM release_calculations c "
                "WHERE c.id BETWEEN ? AND ? AND custody_episodes.id = c.episode_id", (calc_ids[0], calc_ids[-1]))
        del results
    record(session, actor, "release.recalculate_site", "site", site.code, after={"trigger": trigger, "calculated": len(calc_ids),
                                                                                "rules": rules.digest, "first": calc_ids[0] if calc_ids else None,
                                                                                "last": calc_ids[-1] if calc_ids else None})
    if progress:
        progress("written", len(calc_ids), len(calc_ids))
    return {"site": site.code, "calculated": len(calc_ids), "rules": rules.digest}
