"""Non-associations: keep-apart pairs (DESIGN.md section 2).

A record names two people (by prisoner number, or in an import by the manifest's external_ref),
the reason, each side's role, the level at which they are kept apart (cell, landing, pavilion,
site) and a comment. One open record per pair; a pair with itself is refused. Closing keeps the
record with who closed it and why; the pair can be opened again as a new record, so the history
of a pair is all its records. The allocation engine enforces every open record at its level.

CSV import columns (header row required, UTF-8): ``prisoner_a``, ``prisoner_b``, ``reason``,
``role_a``, ``role_b``, ``level``, ``comment`` (the last three optional: roles default to
``unknown``, level to ``cell``). A bad row is reported by row and field and nothing is written."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.db import in_chunks, insert_with_ids
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, NotFound, ValidationFailed
from habeas.kit.yamlfile import decode
from habeas.models import CustodyEpisode, NonAssociation, Prisoner
from habeas.prisoners import repository as prisoners_repo
from habeas.prisoners.numbers import is_valid
from habeas.prisoners.numbers import normalise as normalise_number

REASONS = ("gang", "organised_crime", "threat", "violence", "bullying", "legal_request", "other")
ROLES = ("victim", "perpetrator", "not_relevant", "unknown")
LEVELS = ("cell", "landing", "pavilion", "site")
COLUMNS = ("prisoner_a", "prisoner_b", "reason", "role_a", "role_b", "level", "comment")
REQUIRED = ("prisoner_a", "prisoner_b", "reason")


@dataclass(frozen=True)
class PairIn:
    prisoner_a: str
    prisoner_b: str
    reason: str
    role_a: str = "unknown"
    role_b: str = "unknown"
    level: str = "cell"
    comment: str | None = None


def _resolve(session: Session, refs: set[str]) -> dict[str, Prisoner]:
    """Prisoner numbers, or external references of people in custody (the manifest's external_ref)."""
    numbers = {normalise_number(r): r for r in refs if is_valid(normalise_number(r))}
    out: dict[str, Prisoner] = {}
    found = prisoners_repo.by_numbers(session, numbers)
    for n, ref in numbers.items():
        if n in found:
            out[ref] = found[n]
    others = [r for r in refs if r not in out]
    for chunk in in_chunks(others):
        rows = session.execute(select(CustodyEpisode.source_ref, Prisoner).join(Prisoner, Prisoner.current_episode_id == CustodyEpisode.id)
                               .where(CustodyEpisode.source_ref.in_(chunk), Prisoner.in_custody.is_(True))).all()
        for ref, p in rows:
            if ref in out and out[ref].id != p.id:
                out[ref] = None  # ambiguous: two people hold that reference
            else:
                out.setdefault(ref, p)
    return {k: v for k, v in out.items() if v is not None}


def _open_pairs(session: Session, ids: set[int]) -> set[tuple[int, int]]:
    ids_l = list(ids)
    pairs = set()
    for chunk in in_chunks(ids_l, 450):
        for a, b in session.execute(select(NonAssociation.prisoner_a_id, NonAssociation.prisoner_b_id).where(
                NonAssociation.status == "open", or_(NonAssociation.prisoner_a_id.in_(chunk), NonAssociation.prisoner_b_id.in_(chunk)))).all():
            pairs.add((a, b))
    return pairs


def add_many(session: Session, actor: Actor, items: list[tuple[int | None, PairIn]], *, source: str | None = None) -> list[NonAssociation]:
    """Record keep-apart pairs, all or nothing. ``items`` are (row number or None, pair)."""
    issues = IssueList()
    people = _resolve(session, {x for _, p in items for x in (p.prisoner_a, p.prisoner_b) if x})
    seen: dict[tuple[int, int], int | None] = {}
    rows = []
    for row, p in items:
        a, b = people.get(p.prisoner_a), people.get(p.prisoner_b)
        for name, ref, who in (("prisoner_a", p.prisoner_a, a), ("prisoner_b", p.prisoner_b, b)):
            if who is None:
                issues.add(f"no prisoner {ref!r} (a prisoner number, or the external_ref of someone in custody)", field=name, row=row, file=source)
        for name, value, allowed in (("reason", p.reason, REASONS), ("role_a", p.role_a, ROLES), ("role_b", p.role_b, ROLES), ("level", p.level, LEVELS)):
            if value not in allowed:
                issues.add(f"{name} must be one of {', '.join(allowed)}, not {value!r}", field=name, row=row, file=source)
        if a is None or b is None:
            continue
        if a.id == b.id:
            issues.add(f"{a.prisoner_number} cannot be kept apart from themselves", field="prisoner_b", row=row, file=source)
            continue
        first, second, ra, rb = (a, b, p.role_a, p.role_b) if a.id < b.id else (b, a, p.role_b, p.role_a)
        key = (first.id, second.id)
        if key in seen:
            issues.add(f"{first.prisoner_number} and {second.prisoner_number} appear twice" + (f" (also row {seen[key]})" if seen[key] else ""),
                       field="prisoner_b", row=row, file=source)
            continue
        seen[key] = row
        rows.append({"prisoner_a_id": first.id, "prisoner_b_id": second.id, "reason": p.reason, "role_a": ra, "role_b": rb, "level": p.level,
                     "comment": (p.comment or "").strip() or None, "status": "open", "numbers": (first.prisoner_number, second.prisoner_number),
                     "row": row})
    existing = _open_pairs(session, {x for k in seen for x in k}) if seen else set()
    for r in rows:
        if (r["prisoner_a_id"], r["prisoner_b_id"]) in existing:
            issues.add(f"{r['numbers'][0]} and {r['numbers'][1]} already have an open non-association", field="prisoner_b", row=r["row"], file=source)
    if issues:
        raise ValidationFailed(f"{source or 'non-associations'}: {len(issues)} problem(s); nothing was recorded", code="invalid_non_associations",
                               details=list(issues))
    now = clock.db_time(clock.now())
    data = [{k: v for k, v in r.items() if k not in ("numbers", "row")} | {"opened_at": now, "opened_by": actor.username} for r in rows]
    ids = insert_with_ids(session, NonAssociation, data)
    for r, i in zip(rows, ids, strict=True):
        record(session, actor, "non_association.open", "non_association", i, after={
            "a": r["numbers"][0], "b": r["numbers"][1], "reason": r["reason"], "roles": [r["role_a"], r["role_b"]], "level": r["level"],
            "comment": r["comment"], "source": source})
    return list(session.execute(select(NonAssociation).where(NonAssociation.id.in_(ids))).scalars()) if len(ids) <= 900 else []


def add(session: Session, actor: Actor, pair: PairIn) -> NonAssociation:
    return add_many(session, actor, [(None, pair)])[0]


def import_csv(session: Session, actor: Actor, data: bytes, filename: str) -> int:
    text = decode(data, filename)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    issues = IssueList()
    for col in header:
        if col not in COLUMNS:
            issues.add(f"unknown column {col!r}; columns are {', '.join(COLUMNS)}", field=col, row=1, file=filename)
    for col in REQUIRED:
        if col not in header:
            issues.add(f"missing column {col!r}", field=col, row=1, file=filename)
    issues.raise_if_any(f"{filename}: not a non-association file")
    items = []
    for n, raw in enumerate(reader, start=2):
        rec = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(rec.values()):
            continue
        for col in REQUIRED:
            if not rec.get(col):
                issues.add(f"{col} is required", field=col, row=n, file=filename)
        items.append((n, PairIn(prisoner_a=rec.get("prisoner_a", ""), prisoner_b=rec.get("prisoner_b", ""), reason=rec.get("reason", ""),
                                role_a=rec.get("role_a") or "unknown", role_b=rec.get("role_b") or "unknown", level=rec.get("level") or "cell",
                                comment=rec.get("comment") or None)))
    issues.raise_if_any(f"{filename}: nothing was recorded")
    if not items:
        raise ValidationFailed(f"{filename}: no rows", code="empty_file", details=[{"file": filename, "row": None, "field": None, "message": "no rows"}])
    out = add_many(session, actor, items, source=filename)
    return len(out) if out else len(items)


def close(session: Session, actor: Actor, na_id: int, reason: str) -> NonAssociation:
    na = session.get(NonAssociation, na_id)
    if na is None:
        raise NotFound(f"no non-association {na_id}", code="unknown_non_association")
    if na.status != "open":
        raise Conflict(f"non-association {na_id} is already closed", code="bad_transition")
    if not reason or not reason.strip():
        raise ValidationFailed("closing a non-association needs a reason", code="reason_required", details=[{"row": None, "field": "reason", "message": "required"}])
    na.status = "closed"
    na.closed_at = clock.db_time(clock.now())
    na.closed_by = actor.username
    na.close_reason = reason.strip()
    record(session, actor, "non_association.close", "non_association", na.id, after={"reason": na.close_reason})
    session.flush()
    return na


def of_person(session: Session, number: str, *, include_closed: bool = True) -> list[dict]:
    from habeas.prisoners.service import get as get_prisoner

    p = get_prisoner(session, number)
    q = select(NonAssociation).where(or_(NonAssociation.prisoner_a_id == p.id, NonAssociation.prisoner_b_id == p.id))
    if not include_closed:
        q = q.where(NonAssociation.status == "open")
    rows = list(session.execute(q.order_by(NonAssociation.id)).scalars())
    ids = {r.prisoner_b_id if r.prisoner_a_id == p.id else r.prisoner_a_id for r in rows}
    others = {x.id: x for x in session.execute(select(Prisoner).where(Prisoner.id.in_(ids))).scalars()} if ids else {}
    out = []
    for r in rows:
        mine_a = r.prisoner_a_id == p.id
        other = others[r.prisoner_b_id if mine_a else r.prisoner_a_id]
        out.append({"id": r.id, "other": other.prisoner_number, "other_name": f"{other.surname}, {other.given_names}",
                    "reason": r.reason, "my_role": r.role_a if mine_a else r.role_b, "their_role": r.role_b if mine_a else r.role_a,
                    "level": r.level, "comment": r.comment, "status": r.status, "opened_at": r.opened_at, "opened_by": r.opened_by,
                    "closed_at": r.closed_at, "closed_by": r.closed_by, "close_reason": r.close_reason})
    return out
