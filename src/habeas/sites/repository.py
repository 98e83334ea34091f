"""Every query of the sites domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from habeas.db import fetch_all, in_chunks
from habeas.models import Location, Prisoner, Site


def site_by_code(session: Session, code: str) -> Site | None:
    return session.execute(select(Site).where(Site.code == code)).scalar_one_or_none()


def list_sites(session: Session) -> list[Site]:
    return list(session.execute(select(Site).order_by(Site.code)).scalars())


def locations(session: Session, site_id: int, *, active_only: bool = False) -> list[Location]:
    q = select(Location).where(Location.site_id == site_id)
    if active_only:
        q = q.where(Location.active.is_(True))
    return list(session.execute(q.order_by(Location.position, Location.id)).scalars())


def location_by_code(session: Session, site_id: int, code: str) -> Location | None:
    return session.execute(select(Location).where(Location.site_id == site_id, Location.code == code)).scalar_one_or_none()


def occupancy(session: Session, site_id: int) -> dict[int, int]:
    """People in custody per location id (the current location derived from the movement ledger)."""
    rows = session.execute(
        select(Prisoner.current_location_id, func.count())
        .where(Prisoner.current_site_id == site_id, Prisoner.in_custody.is_(True), Prisoner.current_location_id.is_not(None))
        .group_by(Prisoner.current_location_id)
    ).all()
    return {loc_id: n for loc_id, n in rows}


def occupancy_of(session: Session, location_ids) -> dict[int, int]:
    """People in custody now in each of ``location_ids`` (index seeks, not a scan of the site): a
    position names a place only while its person is in custody (the ledger clears it on discharge)."""
    out: dict[int, int] = {}
    for chunk in in_chunks(location_ids):
        out.update(fetch_all(session, f"SELECT current_location_id, count(*) FROM positions WHERE current_location_id IN ({','.join('?' * len(chunk))}) "
                                      "GROUP BY current_location_id", chunk))
    return out


def occupants(session: Session, location_ids: list[int], *, offset: int = 0, limit: int = 200) -> list[Prisoner]:
    if not location_ids:
        return []
    return list(
        session.execute(
            select(Prisoner)
            .where(Prisoner.current_location_id.in_(location_ids), Prisoner.in_custody.is_(True))
            .order_by(Prisoner.surname_norm, Prisoner.given_names_norm, Prisoner.id)
            .offset(offset)
            .limit(limit)
        ).scalars()
    )


def reception(session: Session, site_id: int) -> Location | None:
    return session.execute(
        select(Location)
        .where(Location.site_id == site_id, Location.type == "reception", Location.active.is_(True))
        .order_by(Location.position)
        .limit(1)
    ).scalar_one_or_none()


def subtree(session: Session, site_id: int, root: Location) -> list[Location]:
    """``root`` and every location below it. Codes are paths ("P1-1-C01"), so the candidates are
    the codes that start with root's; the parent links then confirm each one descends from root."""
    candidates = list(session.execute(
        select(Location).where(Location.site_id == site_id, Location.code.startswith(root.code + "-", autoescape=True))
    ).scalars())
    inside = _descendants(root.id, candidates)
    return [root] + [loc for loc in candidates if loc.id in inside]


def _descendants(root_id: int, candidates) -> set[int]:
    """The ids among ``candidates`` (anything with id and parent_id) that descend from ``root_id``, and root_id."""
    inside = {root_id}
    pending = list(candidates)
    while pending:
        rest = [loc for loc in pending if loc.parent_id not in inside]
        inside.update(loc.id for loc in pending if loc.parent_id in inside)
        if len(rest) == len(pending):
            break
        pending = rest
    return inside


def site_by_id(session: Session, site_id: int) -> Site | None:
    return session.get(Site, site_id)


def locations_by_codes(session: Session, site_id: int, codes) -> list[Location]:
    codes = list(set(codes))
    out: list[Location] = []
    for chunk in in_chunks(codes):
        out.extend(session.execute(select(Location).where(Location.site_id == site_id, Location.code.in_(chunk))).scalars())
    return out


def subtree_codes(session: Session, site_id: int, root: Location) -> dict[int, str]:
    """id -> code of ``root`` and every location below it (see :func:`subtree`), without loading objects."""
    rows = session.execute(select(Location.id, Location.code, Location.parent_id).where(
        Location.site_id == site_id, Location.code.startswith(root.code + "-", autoescape=True))).all()
    inside = _descendants(root.id, rows)
    return {root.id: root.code} | {r.id: r.code for r in rows if r.id in inside}


def lock_site(session: Session, site: Site) -> None:
    """Serialise the writers of one site's housing (PostgreSQL: a row lock on the site; SQLite
    transactions already hold the database's write lock)."""
    if session.connection().dialect.name == "postgresql":
        session.execute(select(Site.id).where(Site.id == site.id).with_for_update())


def closed_ids(locs) -> set[int]:
    """Ids of the locations out of service, themselves or through a location above them."""
    by_id = {loc.id: loc for loc in locs}
    closed: dict[int, bool] = {}

    def is_closed(loc) -> bool:
        if loc.id in closed:
            return closed[loc.id]
        parent = by_id.get(loc.parent_id)
        closed[loc.id] = (not loc.in_service) or (parent is not None and is_closed(parent))
        return closed[loc.id]

    return {loc.id for loc in locs if is_closed(loc)}


def closed_at_site(session: Session, site_id: int) -> set[int]:
    """:func:`closed_ids` of a site, with one cheap query when nothing there is out of service."""
    any_closed = session.execute(select(Location.id).where(Location.site_id == site_id, Location.in_service.is_(False)).limit(1)).first()
    return closed_ids(locations(session, site_id)) if any_closed else set()


def ancestors_closed(session: Session, loc: Location) -> Location | None:
    """The nearest location above ``loc`` that is out of service, if any."""
    parent_id = loc.parent_id
    while parent_id is not None:
        parent = session.get(Location, parent_id)
        if parent is None:
            return None
        if not parent.in_service:
            return parent
        parent_id = parent.parent_id
    return None


def map_rows(session: Session, site_id: int) -> list:
    """The active locations of a site as plain rows in layout order: what the site map draws
    (no ORM objects, so the 40,000-bed complex reads in one cheap query)."""
    return list(session.execute(
        select(Location.id, Location.parent_id, Location.code, Location.local_code, Location.name, Location.type, Location.use,
               Location.depth, Location.floor_area_m2, Location.cna, Location.working_capacity, Location.max_capacity,
               Location.in_service, Location.service_note)
        .where(Location.site_id == site_id, Location.active.is_(True)).order_by(Location.position, Location.id)).all())


def housed_elsewhere(session: Session, cell_id: int, *, limit: int = 200) -> list[Prisoner]:
    """People housed in a cell who are not in it now (at a hearing, in the yard, at hospital...), in name order."""
    return list(session.execute(
        select(Prisoner)
        .where(Prisoner.cell_id == cell_id, Prisoner.in_custody.is_(True),
               (Prisoner.current_location_id.is_(None)) | (Prisoner.current_location_id != cell_id))
        .order_by(Prisoner.surname_norm, Prisoner.given_names_norm, Prisoner.id).limit(limit)).scalars())


def presence_and_housing(session: Session, site_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """People in custody per location they are in now, and per cell they are housed in, from one
    grouped pass over the site's people (the site map of a 40,000-bed site reads it at once)."""
    present: dict[int, int] = {}
    housed: dict[int, int] = {}
    for loc_id, cell_id, n in session.execute(
            select(Prisoner.current_location_id, Prisoner.cell_id, func.count())
            .where(Prisoner.current_site_id == site_id, Prisoner.in_custody.is_(True))
            .group_by(Prisoner.current_location_id, Prisoner.cell_id)):
        if loc_id is not None:
            present[loc_id] = present.get(loc_id, 0) + n
        if cell_id is not None:
            housed[cell_id] = housed.get(cell_id, 0) + n
    return present, housed


def codes(session: Session, site_id: int) -> dict[int, str]:
    """Every location of a site (inactive ones too), id -> code."""
    return dict(session.execute(select(Location.id, Location.code).where(Location.site_id == site_id)).all())
