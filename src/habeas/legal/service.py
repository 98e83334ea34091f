"""Lawful detention over time: legal bases and their lifecycle, the due lists, sentences and
release dates, and release.

Legal basis states (one table, refused transitions raise a clear error):

    active -> superseded   renewed (a new basis of the same kind follows it) or replaced by another
    active -> revoked      withdrawn by the authority, with the reason
    active -> ended        the person was released
    ended  -> active       reinstated after a release in error

Each person carries ``basis_until``: the last day covered by an active basis (9999-12-31 when a
basis has no end date), kept in the same transaction as every change of a basis. The due lists
compare it with today when they are read, so a basis that lapses overnight is on the "held
without a current legal basis" list in the morning, with no job that could fail to run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.config import get_settings, project_root
from habeas.db import as_date, date_param, fetch_all
from habeas.intake.schemas import LegalBasisIn
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, NotFound, ValidationFailed
from habeas.kit.states import advance
from habeas.legal import rules as rules_mod
from habeas.models import CustodyEpisode, LegalBasis, LegalBasisEvent, Prisoner, prisoners_table
from habeas.prisoners import repository as prisoners_repo
from habeas.prisoners.service import get as get_prisoner

OPEN_END = date(9999, 12, 31)
TRANSITIONS = {
    "active": {"superseded", "revoked", "ended"},
    "ended": {"active"},
    "superseded": set(),
    "revoked": set(),
}
DEFAULT_RULES = "jurisdictions/reference.yaml"


# --- the jurisdiction rules -------------------------------------------------------------------

def rules_path() -> Path:
    configured = get_settings().jurisdiction_rules
    return Path(configured) if configured else project_root() / DEFAULT_RULES


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> rules_mod.JurisdictionRules:
    return rules_mod.load_rules(path)


def jurisdiction() -> rules_mod.JurisdictionRules:
    """The deployment's rules file (HABEAS_JURISDICTION_RULES, default the reference file), read
    again whenever it changes on disk."""
    p = rules_path()
    try:
        mtime = p.stat().st_mtime
    except OSError:
        raise ValidationFailed(f"the jurisdiction rules file {p} cannot be read", code="rules_missing") from None
    return _load(str(p), mtime)


def remember_rules(session: Session, rules: rules_mod.JurisdictionRules) -> None:
    """Keep the rules file a calculation uses, whole, under its digest (once)."""
    from habeas.models import RulesFile

    if session.get(RulesFile, rules.digest) is not None:
        return
    data = rules_path().read_bytes()
    if rules_mod.parse_rules(data, rules.source).digest != rules.digest:  # changed on disk since it was read
        raise Conflict("the jurisdiction rules file changed while in use: try again", code="rules_changed")
    session.add(RulesFile(digest=rules.digest, code=rules.code, name=rules.name, source=rules.source, text=data.decode("utf-8"),
                          first_used_at=clock.db_time(clock.now())))
    session.flush()


@lru_cache(maxsize=16)
def _parse_stored(digest: str, text: str) -> rules_mod.JurisdictionRules:
    return rules_mod.parse_rules(text.encode("utf-8"), f"rules {digest[:12]}")


def rules_by_digest(session: Session, digest: str) -> rules_mod.JurisdictionRules | None:
    """The rules file a past calculation used, as it was then."""
    from habeas.models import RulesFile

    current = jurisdiction()
    if current.digest == digest:
        return current
    row = session.get(RulesFile, digest)
    return _parse_stored(digest, row.text) if row else None


def check_dates(basis: LegalBasisIn, *, field: str = "", row: int | None = None) -> tuple[date | None, date | None, list[dict]]:
    """Fill in and check a basis's review-due or expiry date against the rules: a missing date
    becomes the latest lawful one; a date beyond the maximum period is refused. Returns
    (review_due, expiry_date, problems)."""
    rules = jurisdiction()
    rule = rules.legal_bases.get(basis.type)
    review, expiry, problems = basis.review_due, basis.expiry_date, []
    if rule is None:
        return review, expiry, [{"row": row, "field": f"{field}type", "message": f"the rules have no basis type {basis.type!r}"}]
    latest = rules_mod.due_date(rules, basis.type, basis.issue_date)
    if rule.due == "review":
        review = review or latest
        if latest and review > latest:
            problems.append({"row": row, "field": f"{field}review_due", "message":
                             f"review due {review} is later than the rules allow for a {basis.type} issued {basis.issue_date} (at most {latest})"})
    elif rule.due == "expiry":
        expiry = expiry or latest
        if latest and expiry > latest:
            problems.append({"row": row, "field": f"{field}expiry_date", "message":
                             f"expiry {expiry} is later than the rules allow for a {basis.type} issued {basis.issue_date} (at most {latest})"})
    if rule.due != "none" and review is None and expiry is None:
        name = "review_due" if rule.due == "review" else "expiry_date"
        problems.append({"row": row, "field": f"{field}{name}", "message":
                         f"a {basis.type.replace('_', ' ')} needs its {name.replace('_', ' ')} (the rules set no maximum to fill it in)"})
    return review, expiry, problems


# --- lifecycle ------------------------------------------------------------------------------

def open_episode(session: Session, prisoner_id: int) -> CustodyEpisode | None:
    return session.execute(
        select(CustodyEpisode).where(CustodyEpisode.prisoner_id == prisoner_id, CustodyEpisode.status == "open").order_by(CustodyEpisode.id.desc()).limit(1)
    ).scalar_one_or_none()


def list_bases(session: Session, number: str) -> list[LegalBasis]:
    p = get_prisoner(session, number)
    return prisoners_repo.legal_bases(session, p.id)


def basis_history(session: Session, number: str) -> list[LegalBasisEvent]:
    p = get_prisoner(session, number)
    return list(session.execute(select(LegalBasisEvent).where(LegalBasisEvent.prisoner_id == p.id).order_by(LegalBasisEvent.id)).scalars())


def refresh_basis_until(session: Session, prisoner_ids) -> None:
    """Recompute ``basis_until`` for these people from their active bases."""
    ids = list(prisoner_ids)
    if not ids:
        return
    session.flush()
    until = dict(session.execute(
        select(LegalBasis.prisoner_id, func.max(func.coalesce(LegalBasis.expiry_date, OPEN_END)))
        .where(LegalBasis.prisoner_id.in_(ids), LegalBasis.status == "active").group_by(LegalBasis.prisoner_id)).all())
    kinds: dict[int, set[str]] = {}
    for pid, kind in session.execute(select(LegalBasis.prisoner_id, LegalBasis.type).where(
            LegalBasis.prisoner_id.in_(ids), LegalBasis.status == "active")).all():
        kinds.setdefault(pid, set()).add(kind)
    for pid in ids:
        values = {"basis_until": until.get(pid)}
        status = legal_status_of(kinds.get(pid, set()))
        if status:
            values["legal_status"] = status
        session.execute(update(prisoners_table).where(prisoners_table.c.id == pid).values(**values))
    prisoners_repo.expire_loaded(session, ids, ("basis_until", "legal_status"))


def legal_status_of(kinds: set[str]) -> str | None:
    """The legal status the active bases give (Mandela Rule 11 separates by it): a sentence makes
    a person convicted, whatever else holds them; then immigration; then remand. None: unchanged
    (no basis, or a civil status recorded at booking)."""
    if "sentence" in kinds:
        return "convicted"
    if "immigration" in kinds:
        return "immigration"
    if kinds & {"remand_order", "warrant", "detention_order"}:
        return "remand"
    return None


def log_event(session: Session, actor: Actor, lb: LegalBasis, action: str, from_status: str | None, reason: str, related: int | None = None) -> None:
    session.add(LegalBasisEvent(basis_id=lb.id, prisoner_id=lb.prisoner_id, action=action, from_status=from_status, to_status=lb.status,
                                reason=reason, related_id=related, at=clock.db_time(clock.now()), actor=actor.username))


def transition(lb: LegalBasis, to: str) -> str:
    return advance(lb, to, TRANSITIONS, name=f"legal basis {lb.id} ({lb.type} {lb.reference})")


def require_reason(reason: str | None, what: str) -> str:
    """The reason, trimmed; a missing one is refused, naming what needed it."""
    if not reason or not reason.strip():
        raise ValidationFailed(f"{what} needs a reason", code="reason_required", details=[{"row": None, "field": "reason", "message": "required"}])
    return reason.strip()


def add_basis(session: Session, actor: Actor, number: str, basis: LegalBasisIn, *, reason: str = "recorded") -> LegalBasis:
    p = get_prisoner(session, number)
    episode = open_episode(session, p.id)
    if episode is None:
        raise Conflict(f"prisoner {p.prisoner_number} has no open custody episode", code="not_in_custody")
    return _insert(session, actor, p, episode, basis, action="add", reason=reason)


def _insert(session: Session, actor: Actor, p: Prisoner, episode: CustodyEpisode, basis: LegalBasisIn, *, action: str, reason: str,
            related: LegalBasis | None = None) -> LegalBasis:
    if basis.issue_date > clock.today():
        raise ValidationFailed("issue date is in the future", details=[{"row": None, "field": "issue_date", "message": f"{basis.issue_date} is in the future"}])
    review, expiry, problems = check_dates(basis)
    if problems:
        raise ValidationFailed(problems[0]["message"], code="beyond_maximum_period", details=problems)
    today = clock.today()
    if (expiry and expiry < today) or (review and review < today):
        raise ValidationFailed(f"this {basis.type} was already due ({expiry or review}): it is no current legal basis", code="lapsed_basis",
                               details=[{"row": None, "field": "expiry_date" if expiry and expiry < today else "review_due", "message": "in the past"}])
    data = basis.model_dump()
    data.update(review_due=review, expiry_date=expiry)
    lb = LegalBasis(episode_id=episode.id, prisoner_id=p.id, status="active", created_at=clock.db_time(clock.now()), **data)
    session.add(lb)
    session.flush()
    log_event(session, actor, lb, action, None, reason, related.id if related else None)
    refresh_basis_until(session, [p.id])
    record(session, actor, f"legal_basis.{action}", "prisoner", p.prisoner_number, after={"id": lb.id, **data, "reason": reason,
                                                                                     **({"replaces": related.id} if related else {})})
    return lb


def _basis(session: Session, number: str, basis_id: int) -> tuple[Prisoner, LegalBasis]:
    p = get_prisoner(session, number)
    lb = session.get(LegalBasis, basis_id)
    if lb is None or lb.prisoner_id != p.id:
        raise NotFound(f"no legal basis {basis_id} for prisoner {p.prisoner_number}", code="unknown_basis")
    return p, lb


def renew(session: Session, actor: Actor, number: str, basis_id: int, *, issue_date: date, reference: str | None = None,
          issuing_authority: str | None = None, review_due: date | None = None, expiry_date: date | None = None,
          reason: str) -> LegalBasis:
    """Renew a basis: the old one is superseded by a new one of the same kind."""
    reason = require_reason(reason, "a renewal")
    p, old = _basis(session, number, basis_id)
    new_in = LegalBasisIn(type=old.type, reference=reference or old.reference, issuing_authority=issuing_authority or old.issuing_authority,
                          issue_date=issue_date, review_due=review_due, expiry_date=expiry_date)
    return _replace(session, actor, p, old, new_in, "renew", reason)


def supersede(session: Session, actor: Actor, number: str, basis_id: int, new: LegalBasisIn, *, reason: str) -> LegalBasis:
    """Replace a basis by another (a remand order by a sentence after conviction, ...)."""
    reason = require_reason(reason, "a supersession")
    p, old = _basis(session, number, basis_id)
    return _replace(session, actor, p, old, new, "supersede", reason)


def _replace(session: Session, actor: Actor, p: Prisoner, old: LegalBasis, new_in: LegalBasisIn, action: str, reason: str) -> LegalBasis:
    before = transition(old, "superseded")
    episode = session.get(CustodyEpisode, old.episode_id)
    if episode.status != "open":
        raise Conflict(f"the custody episode of basis {old.id} is closed", code="not_in_custody")
    new = _insert(session, actor, p, episode, new_in, action=action, reason=reason, related=old)
    old.superseded_by_id = new.id
    old.ended_at = clock.db_time(clock.now())
    old.end_reason = reason
    log_event(session, actor, old, action, before, reason, new.id)
    refresh_basis_until(session, [p.id])
    return new


def revoke(session: Session, actor: Actor, number: str, basis_id: int, *, reason: str) -> LegalBasis:
    reason = require_reason(reason, "a revocation")
    p, lb = _basis(session, number, basis_id)
    before = transition(lb, "revoked")
    lb.ended_at = clock.db_time(clock.now())
    lb.end_reason = reason
    log_event(session, actor, lb, "revoke", before, reason)
    refresh_basis_until(session, [p.id])
    record(session, actor, "legal_basis.revoke", "prisoner", p.prisoner_number, after={"id": lb.id, "reason": reason})
    return lb


# --- the due lists --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueItem:
    prisoner_number: str
    surname: str
    given_names: str
    location: str | None
    basis_id: int | None
    basis_type: str | None
    reference: str | None
    due: date | None
    days: int | None  # days until due (negative: overdue)


def due_lists(session: Session, site_code: str, *, within_days: int = 14, on: date | None = None, include_due: bool = True) -> dict:
    """Computed from the data when asked: people held without a current legal basis, reviews and
    expiries due within ``within_days`` (and from each type's warning window), and reviews overdue.
    ``include_due=False`` leaves the coming reviews and expiries out (``due`` is then empty): the
    two lists that need action now, read faster."""
    from habeas.sites.service import get_site

    site = get_site(session, site_code)
    today = on or clock.today()
    rules = jurisdiction()
    horizon = today + timedelta(days=max(within_days, max((r.warn_days for r in rules.legal_bases.values()), default=0)))
    # whole-site reads straight through the driver: thousands of rows, no per-row processing
    day = date_param(session)
    held = "p.current_site_id = ? AND p.in_custody = ?"
    person = "p.id, p.prisoner_number, p.surname, p.given_names, q.current_location_id"
    without = fetch_all(session, f"SELECT {person}, p.basis_until FROM prisoners p JOIN positions q ON q.prisoner_id = p.id WHERE {held} "
                        "AND (p.basis_until IS NULL OR p.basis_until < ?) ORDER BY p.basis_until, p.id", (site.id, True, day(today)))
    cols = f"{person}, lb.id, lb.type, lb.reference, lb.review_due, lb.expiry_date"
    # one index range each: reviews up to the horizon (overdue ones included); expiries from today
    # (a basis already expired is no current basis: its holder is on the first list). Within the
    # range, only what is due soon or inside its type's warning window is read.
    soon = today + timedelta(days=within_days)
    wider = [(t, today + timedelta(days=r.warn_days)) for t, r in sorted(rules.legal_bases.items()) if r.warn_days > within_days]

    def window(column: str) -> tuple[str, tuple]:
        sql = " OR ".join([f"lb.{column} <= ?"] + [f"(lb.type = ? AND lb.{column} <= ?)"] * len(wider))
        return f"({sql})", (day(soon), *[v for t, d in wider for v in (t, day(d))])

    if not include_due:  # only the overdue reviews: due before today
        dated = fetch_all(session, f"SELECT {cols} FROM legal_bases lb JOIN prisoners p ON p.id = lb.prisoner_id JOIN positions q ON q.prisoner_id = p.id "
                          f"WHERE lb.status = 'active' AND lb.review_due < ? AND {held}", (day(today), site.id, True))
    else:
        reviews, review_args = window("review_due")
        expiries, expiry_args = window("expiry_date")
        dated = fetch_all(session, f"SELECT {cols} FROM legal_bases lb JOIN prisoners p ON p.id = lb.prisoner_id JOIN positions q ON q.prisoner_id = p.id "
                          f"WHERE lb.status = 'active' AND lb.review_due <= ? AND {reviews} AND {held}",
                          (day(horizon), *review_args, site.id, True))
        dated += fetch_all(session, f"SELECT {cols} FROM legal_bases lb JOIN prisoners p ON p.id = lb.prisoner_id JOIN positions q ON q.prisoner_id = p.id "
                           f"WHERE lb.status = 'active' AND lb.expiry_date >= ? AND lb.expiry_date <= ? AND {expiries} AND {held}",
                           (day(today), day(horizon), *expiry_args, site.id, True))
    codes = prisoners_repo.location_codes(session, {r[4] for r in [*without, *dated]})
    dates: dict = {}

    def as_day(v):
        d = dates.get(v)
        if d is None and v is not None:
            d = dates[v] = as_date(v)
        return d

    def item(r, lb_id=None, lb_type=None, ref=None, due=None) -> DueItem:
        return DueItem(r[1], r[2], r[3], codes.get(r[4], (None, None))[1] if r[4] else None,
                       lb_id, lb_type, ref, due, (due - today).days if due else None)

    lapsed = [item(r, due=as_day(r[5])) for r in without]
    due_soon, overdue = [], []
    seen: set[tuple[int, str]] = set()
    warn_days = {t: r.warn_days for t, r in rules.legal_bases.items()}
    for r in dated:
        lb_id, lb_type, ref = r[5], r[6], r[7]
        for kind, d in (("review", as_day(r[8])), ("expiry", as_day(r[9]))):
            if d is None or d > horizon or (kind == "expiry" and d < today) or (lb_id, kind) in seen:
                continue
            seen.add((lb_id, kind))
            if kind == "review" and d < today:
                overdue.append(item(r, lb_id, f"{lb_type} {kind}", ref, d))
            elif d <= soon or (d - today).days <= warn_days.get(lb_type, 0):
                due_soon.append(item(r, lb_id, f"{lb_type} {kind}", ref, d))
    due_soon.sort(key=lambda i: (i.due, i.prisoner_number))
    overdue.sort(key=lambda i: (i.due, i.prisoner_number))
    return {"site": site.code, "on": today, "within_days": within_days, "held_without_basis": lapsed, "due": due_soon, "reviews_overdue": overdue}

