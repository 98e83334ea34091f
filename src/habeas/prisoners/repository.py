"""Every query of the prisoners domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from functools import lru_cache

from sqlalchemy import Row, and_, bindparam, exists, func, intersect, select
from sqlalchemy.orm import Session

from habeas.db import in_chunks
from habeas.models import (
    Affiliation, Amendment, CustodyEpisode, DistinguishingMark, LegalBasis, Location, Movement, NameToken, Prisoner,
    PrisonerAlias, Sequence, Site, positions_table, prisoners_table,
)


# The attributes a person's position gives them (every column of ``positions`` but its key).
POSITION = tuple(c.key for c in positions_table.c if c.key != "prisoner_id")


def expire_loaded(session: Session, ids: Iterable[int], names: Iterable[str]) -> None:
    """Columns ``names`` of people ``ids`` were written around the ORM (in bulk, or by a
    statement on one of their two tables): the copies this session has loaded read them again on
    next use. Their other attributes, changes not yet flushed included, are left as they are."""
    ids, names = set(ids), list(names)
    for obj in [o for o in session.identity_map.values() if isinstance(o, Prisoner)]:
        if obj.id in ids:
            session.expire(obj, names)


def by_number(session: Session, number: str) -> Prisoner | None:
    return session.execute(select(Prisoner).where(Prisoner.prisoner_number == number)).scalar_one_or_none()


def existing_national_ids(session: Session, keys: Iterable[tuple[str | None, str]]) -> dict[tuple[str | None, str], str]:
    keys = list(keys)
    wanted = set(keys)
    found: dict[tuple[str | None, str], str] = {}
    ids = sorted({k[1] for k in keys})
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(Prisoner.nationality, Prisoner.national_id, Prisoner.prisoner_number).where(Prisoner.national_id.in_(chunk))
        ).all()
        for nat, nid, number in rows:
            if (nat, nid) in wanted:
                found[(nat, nid)] = number
    return found


def held_under_refs(session: Session, site_id: int, refs: list[str]) -> dict[str, str]:
    """external_ref -> prisoner number, for people in custody at the site booked under that reference."""
    found: dict[str, str] = {}
    for chunk in in_chunks(refs):
        rows = session.execute(
            select(CustodyEpisode.source_ref, Prisoner.prisoner_number)
            .join(Prisoner, Prisoner.id == CustodyEpisode.prisoner_id)
            .where(CustodyEpisode.site_id == site_id, CustodyEpisode.status == "open", CustodyEpisode.source_ref.in_(chunk))
        ).all()
        found.update(rows)
    return found


def reserve_numbers(session: Session, count: int) -> int:
    """Reserve ``count`` consecutive prisoner sequence values; returns the first."""
    seq = session.execute(select(Sequence).where(Sequence.name == "prisoner_number").with_for_update()).scalar_one()
    first = seq.value + 1
    seq.value += count
    session.flush()
    return first


COUNT_CAP = 1000
DRIVER_CAP = 2000  # counting a word's matches stops here: enough to pick the rarer word
STREAM_WORDS = 32  # a prefix matching more distinct words than this is searched by walking name order
MAX_WORDS = 6

# Search runs several index-level statements per request. They are built once, with bound
# parameters, and run on the connection (not through the ORM): building them per call cost more
# than the index work itself.
_T = NameToken.__table__
_lo, _hi = bindparam("lo"), bindparam("hi")


def _in_range(column, lo=_lo, hi=_hi):
    # Prefix match: a byte-wise range scan of the token index on every engine (hi = lo + "\x7f").
    return and_(column >= lo, column < hi)


_COUNT = select(func.count()).select_from(select(_T.c.prisoner_id).where(_in_range(_T.c.token)).limit(bindparam("cap")).subquery())
_FIRST_WORD = select(func.min(_T.c.token)).where(_T.c.token >= _lo, _T.c.token < _hi)
_NEXT_WORD = select(func.min(_T.c.token)).where(_T.c.token > bindparam("prev"), _T.c.token < _hi)
# Plain rows (with the same attribute names as Prisoner): a page of people is only displayed.
_PEOPLE = select(Prisoner.__table__).where(prisoners_table.c.id.in_(bindparam("ids", expanding=True)))
_LOCATION_CODES = (select(Location.__table__.c.id, Site.__table__.c.code, Location.__table__.c.code)
                   .join(Site.__table__, Site.__table__.c.id == Location.__table__.c.site_id)
                   .where(Location.__table__.c.id.in_(bindparam("ids", expanding=True))))


def _bounds(tok: str, n: int | None = None) -> dict[str, str]:
    suffix = "" if n is None else str(n)
    return {f"lo{suffix}": tok, f"hi{suffix}": tok + "\x7f"}


def _has_word(owner, n: int):
    """Correlated probe through the (prisoner_id, token) index: has owner a word in range n?"""
    t = _T.alias(f"w{n}")
    return exists(select(1).select_from(t).where(t.c.prisoner_id == owner, _in_range(t.c.token, bindparam(f"lo{n}"), bindparam(f"hi{n}"))))


@lru_cache(maxsize=None)
def _stream(others: int):
    """One word's people in name order, each having a word in each of ``others`` ranges."""
    return (select(_T.c.prisoner_id, _T.c.sort_key)
            .where(_T.c.token == bindparam("word"), *[_has_word(_T.c.prisoner_id, n) for n in range(others)])
            .order_by(_T.c.sort_key).limit(bindparam("need")))


def token_count(session: Session, tok: str, cap: int) -> int:
    return session.connection().execute(_COUNT, {**_bounds(tok), "cap": cap + 1}).scalar_one()


def _words_with_prefix(session: Session, tok: str, most: int) -> list[str] | None:
    """The distinct indexed words starting with tok (each found by one index seek), or None if many."""
    conn = session.connection()
    words: list[str] = []
    bounds = _bounds(tok)
    word = conn.execute(_FIRST_WORD, bounds).scalar()
    while word is not None:
        words.append(word)
        if len(words) > most:
            return None
        word = conn.execute(_NEXT_WORD, {"prev": word, "hi": bounds["hi"]}).scalar()
    return words


def _having_all(q_tokens: list[str]):
    """Ids of the people with a name word starting with each query word (an INTERSECT of index ranges)."""
    parts = [select(NameToken.prisoner_id).where(_in_range(NameToken.token, tok, tok + "\x7f")) for tok in q_tokens]
    return parts[0] if len(parts) == 1 else intersect(*parts)


def _filters(dob: date | None, in_custody: bool | None, site_id: int | None):
    conds = []
    if dob is not None:
        conds.append(Prisoner.date_of_birth == dob)
    if in_custody is not None:
        conds.append(Prisoner.in_custody.is_(in_custody))
    if site_id is not None:
        conds.append(Prisoner.current_site_id == site_id)
    return conds


def search(session: Session, q_tokens: list[str], *, dob: date | None, in_custody: bool | None, site_id: int | None,
           offset: int, limit: int) -> tuple[list[Prisoner], int | None, bool, bool]:
    """People whose name words start with every query word, in name order.

    Returns (page, total, total_capped, more); total counts up to COUNT_CAP, and is None for a
    search of several words that goes past the page (counting those costs more than it tells).

    The rarest query word drives. Its index holds each person's name-order sort key, so the
    people with one word come out already sorted: for every indexed word the driver is a prefix
    of, the first offset+limit+1 people are read in order (probing the other words per person)
    and the streams merged. A page costs a few index seeks, however common the name."""
    filters = _filters(dob, in_custody, site_id)
    q_tokens = q_tokens[:MAX_WORDS]
    need = offset + limit + 1
    if not q_tokens:
        rows = list(session.execute(select(Prisoner).where(*filters).order_by(Prisoner.surname_norm, Prisoner.given_names_norm, Prisoner.id).offset(offset).limit(limit + 1)).scalars())
        return _finish(session, rows[:limit], len(rows) > limit, offset, select(Prisoner.id).where(*filters))

    counts = {tok: token_count(session, tok, DRIVER_CAP) for tok in q_tokens} if len(q_tokens) > 1 else {}
    driver = min(q_tokens, key=lambda tok: (counts.get(tok, 0), -len(tok)))
    others = [tok for tok in q_tokens if tok != driver]
    words = _words_with_prefix(session, driver, STREAM_WORDS)
    if words is None:  # a one- or two-letter prefix: walk the name-ordered prisoner index instead
        conds = [*filters, Prisoner.id.in_(_having_all(q_tokens))]
        order = (Prisoner.surname_norm, Prisoner.given_names_norm, Prisoner.id)
        rows = list(session.execute(select(Prisoner).where(*conds).order_by(*order).offset(offset).limit(limit + 1)).scalars())
        return _finish(session, rows[:limit], len(rows) > limit, offset, select(Prisoner.id).where(*conds))

    params: dict[str, object] = {"need": need}
    for n, tok in enumerate(others):
        params.update(_bounds(tok, n))
    stream = _stream(len(others))
    if filters:
        stream = stream.join(Prisoner, Prisoner.id == _T.c.prisoner_id).where(*filters)
    conn = session.connection()
    merged: dict[int, str] = {}
    for word in words:
        merged.update((pid, key) for pid, key in conn.execute(stream, {**params, "word": word}))
    ordered = sorted(merged, key=merged.__getitem__)
    page_ids = ordered[offset : offset + limit]
    found = {p.id: p for p in conn.execute(_PEOPLE, {"ids": page_ids})} if page_ids else {}
    items = [found[i] for i in page_ids]
    if len(ordered) < need:  # every stream ran dry: this is all of them
        return items, len(ordered), False, False
    if len(q_tokens) > 1:
        return items, None, False, True
    if filters:
        countable = select(Prisoner.id).where(*filters, Prisoner.id.in_(_having_all(q_tokens)))
    else:
        countable = _having_all(q_tokens).distinct()
    return _finish(session, items, True, offset, countable)


def _finish(session: Session, items: list[Prisoner], more: bool, offset: int, countable) -> tuple[list[Prisoner], int, bool, bool]:
    if not more and (items or offset == 0):  # this page holds the last match
        return items, offset + len(items), False, False
    total = session.connection().execute(select(func.count()).select_from(countable.limit(COUNT_CAP + 1).subquery())).scalar_one()
    return items, min(total, COUNT_CAP), total > COUNT_CAP, more


def location_codes(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """location id -> (site code, location code)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {lid: (site, code) for lid, site, code in session.connection().execute(_LOCATION_CODES, {"ids": wanted})}


def site_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Site.id, Site.code)).all())


def aliases(session: Session, prisoner_id: int) -> list[PrisonerAlias]:
    return list(session.execute(select(PrisonerAlias).where(PrisonerAlias.prisoner_id == prisoner_id).order_by(PrisonerAlias.id)).scalars())


def marks(session: Session, prisoner_id: int) -> list[DistinguishingMark]:
    return list(session.execute(select(DistinguishingMark).where(DistinguishingMark.prisoner_id == prisoner_id).order_by(DistinguishingMark.id)).scalars())


def affiliations(session: Session, prisoner_id: int) -> list[Affiliation]:
    return list(session.execute(select(Affiliation).where(Affiliation.prisoner_id == prisoner_id).order_by(Affiliation.id)).scalars())


def episodes(session: Session, prisoner_id: int) -> list[CustodyEpisode]:
    return list(session.execute(select(CustodyEpisode).where(CustodyEpisode.prisoner_id == prisoner_id).order_by(CustodyEpisode.admitted_at.desc(), CustodyEpisode.id.desc())).scalars())


def legal_bases(session: Session, prisoner_id: int) -> list[LegalBasis]:
    return list(session.execute(select(LegalBasis).where(LegalBasis.prisoner_id == prisoner_id).order_by(LegalBasis.issue_date, LegalBasis.id)).scalars())


def movements(session: Session, prisoner_id: int, limit: int = 200) -> list[Movement]:
    return list(session.execute(select(Movement).where(Movement.prisoner_id == prisoner_id).order_by(Movement.moved_at.desc(), Movement.id.desc()).limit(limit)).scalars())


def amendments(session: Session, entity_type: str, entity_id: str) -> list[Amendment]:
    return list(session.execute(select(Amendment).where(Amendment.entity_type == entity_type, Amendment.entity_id == entity_id).order_by(Amendment.id)).scalars())


def replace_tokens(session: Session, prisoner_id: int, toks: list[str], key: str) -> None:
    from sqlalchemy import delete, insert

    # The token index is derived data (rebuilt from the names), not a record: replacing it loses nothing.
    session.execute(delete(NameToken).where(NameToken.prisoner_id == prisoner_id))
    if toks:
        session.execute(insert(NameToken), [{"token": t, "prisoner_id": prisoner_id, "sort_key": key} for t in toks])


def by_numbers(session: Session, numbers: Iterable[str]) -> dict[str, Prisoner]:
    numbers = list(set(numbers))
    out: dict[str, Prisoner] = {}
    for chunk in in_chunks(numbers):
        out.update((p.prisoner_number, p) for p in session.execute(select(Prisoner).where(Prisoner.prisoner_number.in_(chunk))).scalars())
    return out


def housing_overrides(session: Session, prisoner_id: int) -> list:
    from habeas.models import HousingOverride

    return list(session.execute(select(HousingOverride).where(HousingOverride.prisoner_id == prisoner_id).order_by(HousingOverride.id)).scalars())


def movement_count(session: Session, prisoner_id: int) -> int:
    """How many movements the person has in the ledger (to page the timeline from the newest)."""
    return session.execute(select(func.count()).select_from(Movement).where(Movement.prisoner_id == prisoner_id)).scalar_one()


def release_calculation(session: Session, prisoner_id: int, calculation_id: int):
    """One of the person's release calculations, or None (also when it is someone else's)."""
    from habeas.models import ReleaseCalculation

    c = session.get(ReleaseCalculation, calculation_id)
    return c if c is not None and c.prisoner_id == prisoner_id else None


def known_by_national_id(session: Session, keys: Iterable[tuple[str | None, str]]) -> dict[tuple[str | None, str], Row]:
    """People already on file under these (nationality, national id) keys, with what a new
    admission needs of them: (id, prisoner_number, in_custody, date_of_birth, last_movement_id,
    last_moved_at, surname_norm, given_names_norm, current_episode_id)."""
    keys = list(keys)
    wanted = set(keys)
    found: dict[tuple[str | None, str], Row] = {}
    ids = sorted({k[1] for k in keys})
    for chunk in in_chunks(ids):
        for r in session.execute(
                select(Prisoner.nationality, Prisoner.national_id, Prisoner.id, Prisoner.prisoner_number, Prisoner.in_custody,
                       Prisoner.date_of_birth, Prisoner.last_movement_id, Prisoner.last_moved_at, Prisoner.surname_norm,
                       Prisoner.given_names_norm, Prisoner.current_episode_id)
                .where(Prisoner.national_id.in_(chunk))).all():
            if (r.nationality, r.national_id) in wanted:
                found[(r.nationality, r.national_id)] = r
    return found


def name_tokens_of(session: Session, prisoner_ids: list[int]) -> dict[int, set[str]]:
    """The words each person is found by in name search."""
    out: dict[int, set[str]] = {}
    for chunk in in_chunks(prisoner_ids):
        for pid, tok in session.execute(select(NameToken.prisoner_id, NameToken.token).where(NameToken.prisoner_id.in_(chunk))):
            out.setdefault(pid, set()).add(tok)
    return out
