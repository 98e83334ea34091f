"""Prisoner records: read (audited), search, and corrections as amendments with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, NotFound, ValidationFailed
from habeas.kit.jsonutil import plain
from habeas.kit.text import normalise, sort_key, tokens
from habeas.models import Affiliation, Amendment, DistinguishingMark, Prisoner, PrisonerAlias
from habeas.prisoners import repository
from habeas.prisoners.numbers import is_valid, normalise as normalise_number

RULE7_FIELDS = (
    "arrested_at", "arrest_place", "arresting_authority", "commitment_reason", "commitment_authority",
    "visible_injuries", "property_record", "next_of_kin_name",
)
ADMISSION_FIELDS = RULE7_FIELDS + ("ill_treatment_complaint", "next_of_kin_relationship", "next_of_kin_contact", "legal_representative", "source_ref")
AMENDABLE = ("surname", "given_names", "date_of_birth", "sex", "nationality", "national_id", "security_level", "legal_status", "flags")


def get(session: Session, number: str) -> Prisoner:
    """The prisoner with this number, or 404 (also for a malformed number: nothing to probe)."""
    n = normalise_number(number)
    p = repository.by_number(session, n) if is_valid(n) else None
    if p is None:
        raise NotFound(f"no prisoner {number!r}", code="unknown_prisoner")
    return p


def summary(p: Prisoner, where: dict[int, tuple[str, str]]) -> dict[str, Any]:
    site, loc = where.get(p.current_location_id, (None, None)) if p.current_location_id else (None, None)
    return {
        "prisoner_number": p.prisoner_number, "surname": p.surname, "given_names": p.given_names,
        "date_of_birth": p.date_of_birth, "sex": p.sex, "nationality": p.nationality, "legal_status": p.legal_status,
        "security_level": p.security_level, "in_custody": p.in_custody, "site": site, "location": loc,
    }


def full_record(session: Session, actor: Actor, number: str) -> dict[str, Any]:
    """Everything recorded about a person. Reading it is itself audited."""
    p = get(session, number)
    episodes = repository.episodes(session, p.id)
    bases = repository.legal_bases(session, p.id)
    moves = repository.movements(session, p.id)
    overrides = repository.housing_overrides(session, p.id)
    loc_ids = [p.current_location_id] + [m.from_location_id for m in moves] + [m.to_location_id for m in moves] + [o.location_id for o in overrides]
    where = repository.location_codes(session, loc_ids)
    site_codes = repository.site_codes(session)
    out = summary(p, where)
    out.update({
        "national_id": p.national_id,
        "flags": list(p.flags or []),
        "aliases": [{"id": a.id, "name": a.name, "active": a.active} for a in repository.aliases(session, p.id)],
        "marks": [{"id": m.id, "kind": m.kind, "body_location": m.body_location, "description": m.description, "active": m.active} for m in repository.marks(session, p.id)],
        "affiliations": [{"id": a.id, "group": a.group_name, "source": a.source, "active": a.active, "recorded_at": clock.from_db(a.recorded_at)} for a in repository.affiliations(session, p.id)],
        "episodes": [
            {
                "id": e.id, "site": site_codes.get(e.site_id), "status": e.status, "legal_status": e.legal_status,
                "admitted_at": clock.from_db(e.admitted_at), "released_at": clock.from_db(e.released_at),
                "admission_record": {f: _zoned(getattr(e, f)) for f in ADMISSION_FIELDS},
                "rule7_missing": [f for f in RULE7_FIELDS if not getattr(e, f)],
                "legal_bases": [_basis(b) for b in bases if b.episode_id == e.id],
            }
            for e in episodes
        ],
        "movements": [
            {
                "id": m.id, "kind": m.kind, "moved_at": clock.from_db(m.moved_at), "reason": m.reason, "recorded_by": m.recorded_by,
                "from_location": "/".join(where[m.from_location_id]) if m.from_location_id in where else None,
                "to_location": "/".join(where[m.to_location_id]) if m.to_location_id in where else None,
            }
            for m in moves
        ],
        "amendments": [
            {"id": a.id, "changes": a.changes, "reason": a.reason, "actor": a.actor, "at": clock.from_db(a.at)}
            for a in repository.amendments(session, "prisoner", p.prisoner_number)
        ],
        "housing_overrides": [
            {"id": o.id, "location": "/".join(where.get(o.location_id, ("", ""))) or None, "rules": o.rules, "reason": o.reason,
             "by": o.by, "at": clock.from_db(o.at), "movement": o.movement_id}
            for o in repository.housing_overrides(session, p.id)
        ],
        "non_associations": non_associations_of(session, p.prisoner_number),
    })
    record(session, actor, "prisoner.read", "prisoner", p.prisoner_number)
    return out


def non_associations_of(session: Session, number: str) -> list[dict]:
    from habeas.housing.non_associations import of_person

    return of_person(session, number)


def _zoned(value: Any) -> Any:
    return clock.from_db(value) if isinstance(value, datetime) else value


def _basis(b) -> dict[str, Any]:
    return {"id": b.id, "type": b.type, "reference": b.reference, "issuing_authority": b.issuing_authority,
            "issue_date": b.issue_date, "review_due": b.review_due, "expiry_date": b.expiry_date, "status": b.status}


@dataclass
class SearchResult:
    items: list[dict[str, Any]]
    total: int | None  # None: not counted (a broad multi-word search; see ``more``)
    total_capped: bool
    more: bool


def search(session: Session, *, q: str | None = None, number: str | None = None, dob: date | None = None,
           in_custody: bool | None = None, site_id: int | None = None, offset: int = 0, limit: int = 20) -> SearchResult:
    """Look up by number (exact), or search by name words (each a prefix of a name or alias) and date of birth."""
    if number:
        n = normalise_number(number)
        p = repository.by_number(session, n) if is_valid(n) else None
        found = [p] if p is not None else []
        items = [summary(x, repository.location_codes(session, [x.current_location_id])) for x in found]
        return SearchResult(items, len(items), False, False)
    toks = tokens(q) if q else []
    if not toks and dob is None:
        raise ValidationFailed("give a name, a prisoner number or a date of birth to search", details=[{"row": None, "field": "q", "message": "empty search"}])
    people, total, capped, more = repository.search(session, toks[:6], dob=dob, in_custody=in_custody, site_id=site_id, offset=offset, limit=limit)
    where = repository.location_codes(session, [p.current_location_id for p in people])
    return SearchResult([summary(p, where) for p in people], total, capped, more)


def amend(session: Session, actor: Actor, number: str, changes: dict[str, Any], reason: str) -> Amendment:
    """Correct identity fields. The old values stay in the amendment and the audit log."""
    p = get(session, number)
    unknown = [k for k in changes if k not in AMENDABLE]
    if unknown:
        raise ValidationFailed(f"cannot amend {', '.join(unknown)}", details=[{"row": None, "field": k, "message": "not amendable here"} for k in unknown])
    diff = {k: [getattr(p, k), v] for k, v in changes.items() if v is not None and getattr(p, k) != v}
    if not diff:
        raise ValidationFailed("nothing to change: the new values equal the recorded ones", code="no_change")
    if "date_of_birth" in diff and changes["date_of_birth"] > clock.today():
        raise ValidationFailed("date of birth is in the future", details=[{"row": None, "field": "date_of_birth", "message": "in the future"}])
    if "national_id" in diff or "nationality" in diff:
        nat = changes.get("nationality") or p.nationality
        nid = changes.get("national_id") or p.national_id
        if nid:
            taken = repository.existing_national_ids(session, [(nat, nid)])
            owner = taken.get((nat, nid))
            if owner and owner != p.prisoner_number:
                raise Conflict(f"national_id {nid!r} already belongs to prisoner {owner}", code="duplicate_national_id")
    for k, (_, new) in diff.items():
        setattr(p, k, new)
    if "surname" in diff or "given_names" in diff:
        p.surname_norm, p.given_names_norm = normalise(p.surname), normalise(p.given_names)
        _reindex(session, p)
    now = clock.db_time(clock.now())
    p.updated_at = now
    amendment = Amendment(entity_type="prisoner", entity_id=p.prisoner_number, changes=plain(diff), reason=reason, actor=actor.username, at=now)
    session.add(amendment)
    session.flush()
    record(session, actor, "prisoner.amend", "prisoner", p.prisoner_number, before={k: v[0] for k, v in diff.items()}, after={**{k: v[1] for k, v in diff.items()}, "reason": reason})
    return amendment


def _reindex(session: Session, p: Prisoner) -> None:
    names = [a.name for a in repository.aliases(session, p.id) if a.active]
    session.flush()
    repository.replace_tokens(session, p.id, tokens(p.surname, p.given_names, *names), sort_key(p.surname_norm, p.given_names_norm, p.id))


def add_mark(session: Session, actor: Actor, number: str, *, kind: str, body_location: str, description: str, reason: str) -> DistinguishingMark:
    p = get(session, number)
    m = DistinguishingMark(prisoner_id=p.id, kind=kind, body_location=body_location, description=description, active=True, created_at=clock.db_time(clock.now()))
    session.add(m)
    session.flush()
    record(session, actor, "prisoner.mark.add", "prisoner", p.prisoner_number, after={"id": m.id, "kind": kind, "body_location": body_location, "description": description, "reason": reason})
    return m


def add_alias(session: Session, actor: Actor, number: str, *, name: str, reason: str) -> PrisonerAlias:
    p = get(session, number)
    a = PrisonerAlias(prisoner_id=p.id, name=name, active=True, created_at=clock.db_time(clock.now()))
    session.add(a)
    session.flush()
    _reindex(session, p)
    record(session, actor, "prisoner.alias.add", "prisoner", p.prisoner_number, after={"id": a.id, "name": name, "reason": reason})
    return a


def add_affiliation(session: Session, actor: Actor, number: str, *, group: str, source: str, reason: str) -> Affiliation:
    p = get(session, number)
    a = Affiliation(prisoner_id=p.id, group_name=group, source=source, active=True, recorded_at=clock.db_time(clock.now()))
    session.add(a)
    session.flush()
    record(session, actor, "prisoner.affiliation.add", "prisoner", p.prisoner_number, after={"id": a.id, "group": group, "source": source, "reason": reason})
    return a


_DETAIL_MODELS = {"marks": DistinguishingMark, "aliases": PrisonerAlias, "affiliations": Affiliation}
_SINGULAR = {"marks": "mark", "aliases": "alias", "affiliations": "affiliation"}


def deactivate_detail(session: Session, actor: Actor, number: str, kind: str, detail_id: int, reason: str) -> None:
    """Withdraw a mark, alias or affiliation recorded in error: it stays on file, marked inactive."""
    p = get(session, number)
    model = _DETAIL_MODELS[kind]
    row = session.get(model, detail_id)
    if row is None or row.prisoner_id != p.id:
        raise NotFound(f"no {_SINGULAR[kind]} {detail_id} on prisoner {p.prisoner_number}")
    if not row.active:
        raise Conflict(f"{_SINGULAR[kind]} {detail_id} is already withdrawn", code="already_inactive")
    row.active = False
    if kind == "aliases":
        _reindex(session, p)
    session.add(Amendment(entity_type="prisoner", entity_id=p.prisoner_number, changes={f"{kind}.{detail_id}.active": [True, False]}, reason=reason, actor=actor.username, at=clock.db_time(clock.now())))
    record(session, actor, f"prisoner.{_SINGULAR[kind]}.withdraw", "prisoner", p.prisoner_number, before={"id": detail_id, "active": True}, after={"id": detail_id, "active": False, "reason": reason})
