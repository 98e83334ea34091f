"""Intake: book people into custody. One person or a manifest of thousands, all or nothing.

Admission creates the prisoner (identity, marks, aliases, affiliation), the custody episode with
its Rule 7 admission record, at least one legal basis, and the admission movement into the
site's reception. Everything is written in set-based inserts and audited in the same
transaction, one event per person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from sqlalchemy import Row, bindparam, update
from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.db import insert_with_ids
from habeas.legal.service import OPEN_END, check_dates
from habeas.movements import ledger
from habeas.intake.manifest import check_facts, parse_manifest
from habeas.intake.schemas import BookingIn
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, ValidationFailed
from habeas.kit.text import normalise, sort_key, tokens
from habeas.models import (
    Affiliation, CustodyEpisode, DistinguishingMark, LegalBasis, NameToken, PrisonerAlias, positions_table, prisoners_table,
)
from habeas.prisoners import repository as prisoners_repo
from habeas.prisoners.numbers import format_number
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site


@dataclass(frozen=True)
class Booked:
    external_ref: str | None
    prisoner_number: str
    prisoner_id: int


def book_one(session: Session, actor: Actor, site_code: str, booking: BookingIn) -> Booked:
    return book_many(session, actor, site_code, [(None, booking)])[0]


def import_manifest(session: Session, actor: Actor, site_code: str, data: bytes, filename: str) -> list[Booked]:
    rows = parse_manifest(data, filename, today=clock.today(), now=clock.now())
    digest = hashlib.sha256(data).hexdigest()
    booked = book_many(session, actor, site_code, rows, source=filename)
    record(session, actor, "intake.manifest", "site", site_code, after={"file": filename, "sha256": digest, "booked": len(booked)})
    return booked


def check_manifest(session: Session, site_code: str, data: bytes, filename: str) -> list[tuple[int, BookingIn]]:
    """Every check ``import_manifest`` makes, writing nothing: the rows, or ValidationFailed (or
    Conflict) naming every problem."""
    rows = parse_manifest(data, filename, today=clock.today(), now=clock.now())
    check_many(session, site_code, rows, source=filename)
    return rows


def check_many(session: Session, site_code: str, rows: list[tuple[int | None, BookingIn]], *, source: str | None = None) -> None:
    """Every check ``book_many`` makes before it writes, writing nothing (a form's validation)."""
    _checked(session, site_code, rows, source=source)


def _checked(session: Session, site_code: str, rows: list[tuple[int | None, BookingIn]], *, source: str | None):
    site = get_site(session, site_code)
    reception = sites_repo.reception(session, site.id)
    if reception is None:
        raise Conflict(f"site {site_code} has no reception to admit people into", code="no_reception")

    # The date rules hold for every caller; then the checks against what is already recorded.
    issues = IssueList()
    today, now_ = clock.today(), clock.now()
    for row, b in rows:
        check_facts(b, today=today, now=now_, row=row, issues=issues, columns=source is not None)
        if source is not None:
            for issue in issues:
                issue.setdefault("file", source)
    # Review and expiry dates: filled in from the jurisdiction rules when missing, never beyond their maximum.
    filled: list[list[tuple]] = []
    for row, b in rows:
        admitted = (clock.to_utc(b.admission.admitted_at) if b.admission.admitted_at else now_).date()
        dates = []
        for i, lb in enumerate(b.legal_bases):
            review, expiry, problems = check_dates(lb, field="basis_" if source is not None else f"legal_bases[{i}].", row=row)
            for pr in problems:
                issues.add(pr["message"], field=pr["field"], row=row, file=source)
            for name, d in (("review_due", review), ("expiry_date", expiry)):
                if d is not None and d < admitted and getattr(lb, name) is None:
                    issues.add(f"by the rules a {lb.type} issued {lb.issue_date} was due by {d}, before the admission: no current legal basis",
                               field=("basis_" if source is not None else f"legal_bases[{i}].") + name, row=row, file=source)
            dates.append((review, expiry))
        filled.append(dates)
    # A national id already on file is the same person coming back: admitted again on the record
    # they have (same prisoner number, a new custody episode), once they are out of custody and
    # when the date of birth agrees.
    keys = [(b.nationality, b.national_id) for _, b in rows if b.national_id]
    known = prisoners_repo.known_by_national_id(session, keys) if keys else {}
    returning: dict[int, Row] = {}
    seen_keys: dict[tuple, int | None] = {}
    for i, (row, b) in enumerate(rows):
        if not b.national_id:
            continue
        key = (b.nationality, b.national_id)
        if key in seen_keys:
            first = seen_keys[key]
            issues.add(f"national_id {b.national_id!r} already used on row {first}" if first is not None
                       else f"national_id {b.national_id!r} appears twice in this booking", field="national_id", row=row, file=source)
            continue
        seen_keys[key] = row
        p = known.get(key)
        if p is None:
            continue
        admitted = clock.db_time(b.admission.admitted_at) if b.admission.admitted_at else clock.db_time(now_)
        if p.in_custody:
            issues.add(f"national_id {b.national_id!r} belongs to prisoner {p.prisoner_number}, who is in custody now", field="national_id",
                       row=row, file=source)
        elif p.date_of_birth != b.date_of_birth:
            issues.add(f"national_id {b.national_id!r} belongs to prisoner {p.prisoner_number}, born {p.date_of_birth}: the date of birth "
                       "differs; check the identity", field="date_of_birth", row=row, file=source)
        elif p.last_moved_at is not None and admitted <= p.last_moved_at:
            issues.add(f"prisoner {p.prisoner_number} (national_id {b.national_id!r}) left custody at {p.last_moved_at:%Y-%m-%d %H:%M}: "
                       "a new admission comes after that", field="admission.admitted_at" if source is None else "admitted_at", row=row, file=source)
        else:
            returning[i] = p
    refs = [b.external_ref for _, b in rows if b.external_ref]
    held = prisoners_repo.held_under_refs(session, site.id, refs) if refs else {}
    for row, b in rows:
        if b.external_ref in held:
            issues.add(f"external_ref {b.external_ref!r} is already in custody here as prisoner {held[b.external_ref]} (the manifest was booked before?)",
                       field="external_ref", row=row, file=source)
    if issues:
        raise ValidationFailed(f"{source or 'booking'}: {len(issues)} problem(s); nothing was booked", code="invalid_manifest" if source else "validation_failed", details=list(issues))
    here = sites_repo.occupancy(session, site.id).get(reception.id, 0)
    if here + len(rows) > reception.max_capacity:
        raise Conflict(
            f"reception {reception.code} holds {here} of {reception.max_capacity}: no room to admit {len(rows)} more",
            code="reception_full", details={"in_reception": here, "max_capacity": reception.max_capacity, "arrivals": len(rows)},
        )
    return site, reception, filled, returning


def book_many(session: Session, actor: Actor, site_code: str, rows: list[tuple[int | None, BookingIn]], *, source: str | None = None, progress=None) -> list[Booked]:
    """Book every row or none. ``rows`` are (row number in the source file or None, booking).

    A person already on file (same nationality and national id, out of custody, same date of
    birth) is admitted again on their record: same prisoner number, a new custody episode; their
    identity stays as recorded (corrections are amendments) and names that differ are kept as aliases."""
    site, reception, filled, returning = _checked(session, site_code, rows, source=source)

    now = clock.now()
    now_db = clock.db_time(now)
    new = [i for i in range(len(rows)) if i not in returning]
    first = prisoners_repo.reserve_numbers(session, len(new)) if new else 0
    numbers: list[str] = [""] * len(rows)
    for j, i in enumerate(new):
        numbers[i] = format_number(first + j)
    for i, p in returning.items():
        numbers[i] = p.prisoner_number

    prisoner_rows = []
    for (_, b), number, dates in zip(rows, numbers, filled, strict=True):
        prisoner_rows.append({
            "basis_until": max((expiry or OPEN_END) for _, expiry in dates),
            "prisoner_number": number, "surname": b.surname, "given_names": b.given_names,
            "surname_norm": normalise(b.surname), "given_names_norm": normalise(b.given_names),
            "date_of_birth": b.date_of_birth, "sex": b.sex, "nationality": b.nationality, "national_id": b.national_id,
            "security_level": b.security_level, "legal_status": b.legal_status, "flags": list(b.flags), "in_custody": True,
            "current_site_id": site.id, "created_at": now_db, "updated_at": now_db,
        })
    ids: list[int] = [0] * len(rows)
    for i, pid in zip(new, insert_with_ids(session, prisoners_table, [prisoner_rows[i] for i in new]) if new else [], strict=True):
        ids[i] = pid
    if new:  # a position each, set by the admission movement below
        session.connection().execute(positions_table.insert(), [{"prisoner_id": ids[i]} for i in new])
    if returning:
        people = prisoners_table
        session.connection().execute(
            update(people).where(people.c.id == bindparam("pid")).values(
                in_custody=True, current_site_id=site.id, legal_status=bindparam("legal_status"), security_level=bindparam("security_level"),
                flags=bindparam("flags"), basis_until=bindparam("basis_until"), updated_at=now_db),
            [{"pid": p.id, "legal_status": prisoner_rows[i]["legal_status"], "security_level": prisoner_rows[i]["security_level"],
              "flags": prisoner_rows[i]["flags"], "basis_until": prisoner_rows[i]["basis_until"]} for i, p in returning.items()])
        for i, p in returning.items():
            ids[i] = p.id
            # the record keeps its names: the sort key and search words follow them; a name
            # given differently this time is kept as an alias
            prisoner_rows[i]["surname_norm"], prisoner_rows[i]["given_names_norm"] = p.surname_norm, p.given_names_norm

    episode_rows = []
    for (_, b), pid in zip(rows, ids, strict=True):
        a = b.admission
        episode_rows.append({
            "prisoner_id": pid, "site_id": site.id, "status": "open", "legal_status": b.legal_status,
            "admitted_at": clock.db_time(a.admitted_at) if a.admitted_at else now_db,
            "released_at": None, "arrested_at": clock.db_time(a.arrested_at) if a.arrested_at else None,
            "arrest_place": a.arrest_place, "arresting_authority": a.arresting_authority,
            "commitment_reason": a.commitment_reason,
            "commitment_authority": a.commitment_authority or b.legal_bases[0].issuing_authority,
            "visible_injuries": a.visible_injuries, "ill_treatment_complaint": a.ill_treatment_complaint,
            "property_record": a.property_record, "next_of_kin_name": a.next_of_kin_name,
            "next_of_kin_relationship": a.next_of_kin_relationship, "next_of_kin_contact": a.next_of_kin_contact,
            "legal_representative": a.legal_representative, "source_ref": b.external_ref, "created_at": now_db,
        })
    episode_ids = insert_with_ids(session, CustodyEpisode, episode_rows)
    session.connection().execute(
        update(prisoners_table).where(prisoners_table.c.id == bindparam("pid")).values(current_episode_id=bindparam("eid")),
        [{"pid": pid, "eid": eid} for pid, eid in zip(ids, episode_ids, strict=True)],
    )

    bases, marks, aliases, affs, toks, moves = [], [], [], [], [], []
    known_words = prisoners_repo.name_tokens_of(session, [p.id for p in returning.values()]) if returning else {}
    for i, ((_, b), pid, eid, ep, prow, dates) in enumerate(zip(rows, ids, episode_ids, episode_rows, prisoner_rows, filled, strict=True)):
        for lb, (review, expiry) in zip(b.legal_bases, dates, strict=True):
            bases.append({"episode_id": eid, "prisoner_id": pid, "type": lb.type, "reference": lb.reference,
                          "issuing_authority": lb.issuing_authority, "issue_date": lb.issue_date, "review_due": review,
                          "expiry_date": expiry, "status": "active", "created_at": now_db})
        for m in b.marks:
            marks.append({"prisoner_id": pid, "kind": m.kind, "body_location": m.body_location, "description": m.description, "active": True, "created_at": now_db})
        names = list(b.aliases)
        back = returning.get(i)
        if back is not None and (normalise(b.surname), normalise(b.given_names)) != (back.surname_norm, back.given_names_norm):
            names.append(f"{b.given_names} {b.surname}")
        for alias in names:
            aliases.append({"prisoner_id": pid, "name": alias, "active": True, "created_at": now_db})
        if b.affiliation:
            affs.append({"prisoner_id": pid, "group_name": b.affiliation.group, "source": b.affiliation.source, "active": True, "recorded_at": now_db})
        key = sort_key(prow["surname_norm"], prow["given_names_norm"], pid)
        if back is None:
            for tok in tokens(b.surname, b.given_names, *b.aliases):
                toks.append({"token": tok, "prisoner_id": pid, "sort_key": key})
        else:  # words not yet in the person's search index (from the new aliases)
            for tok in set(tokens(*names)) - known_words.get(pid, set()):
                toks.append({"token": tok, "prisoner_id": pid, "sort_key": key})
        moves.append(ledger.Entry(prisoner_id=pid, prisoner_number=prow["prisoner_number"], episode_id=eid, site_id=site.id,
                                  from_location_id=None, to_location_id=reception.id, kind="admission",
                                  reason="admission into custody" if back is None else "admission into custody (returning: new custody episode)",
                                  moved_at=ep["admitted_at"],
                                  last_movement_id=back.last_movement_id if back is not None else None,
                                  last_moved_at=back.last_moved_at if back is not None else None))
    for model, data in ((LegalBasis, bases), (DistinguishingMark, marks), (PrisonerAlias, aliases), (Affiliation, affs), (NameToken, toks)):
        if data:
            session.connection().execute(model.__table__.insert(), data)

    # The booking's audit event below records the admission movement too.
    ledger.append(session, actor, moves, now=now_db, audit=False)

    out = []
    for i, ((_, b), number, pid, ep) in enumerate(zip(rows, numbers, ids, episode_rows, strict=True)):
        back = returning.get(i)
        record(session, actor, "intake.book", "prisoner", number, after={
            **({"returning": True, "previous_episode": back.current_episode_id} if back is not None else {}),
            "prisoner_number": number, "surname": b.surname, "given_names": b.given_names,
            "date_of_birth": b.date_of_birth, "sex": b.sex, "legal_status": b.legal_status, "site": site.code,
            "location": reception.code, "admitted_at": ep["admitted_at"], "external_ref": b.external_ref,
            "legal_bases": [{"type": lb.type, "reference": lb.reference, "review_due": lb.review_due, "expiry_date": lb.expiry_date} for lb in b.legal_bases],
            "source": source,
        })
        out.append(Booked(b.external_ref, number, pid))
    if progress:
        progress(len(out))
    return out
