"""Every query of the prisoners domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from habeas.models import (
    Affiliation, Amendment, CustodyEpisode, DistinguishingMark, LegalBasis, Location, Movement, NameToken, Prisoner,
    PrisonerAlias, Sequence, Site,
)

CHUNK = 900  # stays under every engine's bound-parameter limit


def by_number(session: Session, number: str) -> Prisoner | None:
    return session.execute(select(Prisoner).where(Prisoner.prisoner_number == number)).scalar_one_or_none()


def existing_national_ids(session: Session, keys: Iterable[tuple[str | None, str]]) -> dict[tuple[str | None, str], str]:
    keys = list(keys)
    wanted = set(keys)
    found: dict[tuple[str | None, str], str] = {}
    ids = sorted({k[1] for k in keys})
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Prisoner.nationality, Prisoner.national_id, Prisoner.prisoner_number).where(Prisoner.national_id.in_(ids[i : i + CHUNK]))
        ).all()
        for nat, nid, number in rows:
            if (nat, nid) in wanted:
                found[(nat, nid)] = number
    return found


def reserve_numbers(session: Session, count: int) -> int:
    """Reserve ``count`` consecutive prisoner sequence values; returns the first."""
    seq = session.execute(select(Sequence).where(Sequence.name == "prisoner_number").with_for_update()).scalar_one()
    first = seq.value + 1
    seq.value += count
    session.flush()
    return first


COUNT_CAP = 1000
COMMON = 300  # a word matching more people than this is searched in name order


def _in_range(column, tok: str):
    # Prefix match: a byte-wise range scan of the token index on every engine.
    return and_(column >= tok, column < tok + "\x7f")


def _matches(tok: str):
    """Correlated probe: does this prisoner have a name word starting with tok? (index prisoner_id, token)"""
    t = NameToken.__table__.alias()
    return exists(select(1).select_from(t).where(t.c.prisoner_id == Prisoner.id, _in_range(t.c.token, tok)))


def token_count(session: Session, tok: str, cap: int) -> int:
    sub = select(NameToken.prisoner_id).where(_in_range(NameToken.token, tok)).limit(cap + 1).subquery()
    return session.execute(select(func.count()).select_from(sub)).scalar_one()


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

    Returns (page, total or None, total_capped, more). The plan depends on how common the
    rarest word is: a rare word is looked up and its few matches sorted; a common one is
    answered by walking the name-ordered index and probing each person's words, which stops
    as soon as the page is full."""
    conds = _filters(dob, in_custody, site_id)
    order = (Prisoner.surname_norm, Prisoner.given_names_norm, Prisoner.id)
    if q_tokens:
        counts = {tok: token_count(session, tok, COMMON) for tok in q_tokens}
        driver = min(q_tokens, key=lambda t: (counts[t], -len(t)))
        others = [t for t in q_tokens if t != driver]
        conds += [_matches(t) for t in others]
        if counts[driver] <= COMMON:
            conds.append(Prisoner.id.in_(select(NameToken.prisoner_id).where(_in_range(NameToken.token, driver))))
        else:
            conds.append(_matches(driver))
    rows = list(session.execute(select(Prisoner).where(*conds).order_by(*order).offset(offset).limit(limit + 1)).scalars())
    more = len(rows) > limit
    items = rows[:limit]
    if not more:
        return items, offset + len(items), False, False
    if len(q_tokens) > 1:
        return items, None, False, True  # an exact count of a broad multi-word search is not worth its cost
    sub = select(Prisoner.id).where(*conds).limit(COUNT_CAP + 1).subquery()
    total = session.execute(select(func.count()).select_from(sub)).scalar_one()
    return items, min(total, COUNT_CAP), total > COUNT_CAP, True


def location_codes(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """location id -> (site code, location code)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(Location.id, Site.code, Location.code).join(Site, Site.id == Location.site_id).where(Location.id.in_(wanted))).all()
    return {lid: (site, code) for lid, site, code in rows}


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


def replace_tokens(session: Session, prisoner_id: int, toks: list[str]) -> None:
    from sqlalchemy import delete, insert

    # The token index is derived data (rebuilt from the names), not a record: replacing it loses nothing.
    session.execute(delete(NameToken).where(NameToken.prisoner_id == prisoner_id))
    if toks:
        session.execute(insert(NameToken), [{"token": t, "prisoner_id": prisoner_id} for t in toks])
