"""The site map: every pavilion as a grid of its cells, coloured by occupancy against capacity
or by floor area per person against the standards, and the people in a cell or room.

The whole map comes from two queries (the locations, and one grouped pass over the people for
who is where and whose cell is which), whatever the size of the site; the grid is built here
in one pass."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, Query, Request

from habeas.kit.errors import NotFound
from habeas.kit.i18n import N_
from habeas.kit.i18n import gettext as _
from habeas.kit.i18n import ngettext
from habeas.kit.pages import Page, render
from habeas.kit.web import Ctx, TxRoute
from habeas.movements.service import PLACE_TYPES
from habeas.prisoners import repository as prisoners_repo
from habeas.sites import repository
from habeas.sites.service import get_site

router = APIRouter(route_class=TxRoute)

# Floor area per person, sanitary annex excluded (DESIGN.md section 5): a cell with one person is
# held to the single-cell figure, a shared cell to the multiple-occupancy figure.
SPACE_STANDARDS = {
    "cpt": {"name": "CPT (2015)", "shared": 4.0, "single": 6.0},
    "icrc": {"name": "ICRC", "shared": 3.4, "single": 5.4},
}
VIEWS = ("occupancy", "space")
PAGE_SIZE = 100

OCCUPANCY_LEVELS = {
    "occ-empty": N_("empty"),
    "occ-ok": N_("within cna"),
    "occ-over-cna": N_("above cna"),
    "occ-over-working": N_("above working capacity"),
    "occ-over-max": N_("above max capacity"),
    "closed": N_("out of service"),
}
SPACE_LEVELS = {
    "sp-none": N_("nobody in the cell"),
    "sp-meets": N_("meets the CPT standard"),
    "sp-below-cpt": N_("below the CPT standard"),
    "sp-below-icrc": N_("below the ICRC standard"),
    "closed": N_("out of service"),
}
PLACE_KIND_NAMES = {
    "reception": N_("reception"), "video_link_room": N_("video-link room"), "visits_room": N_("visits room"),
    "exercise_area": N_("exercise area"), "medical_unit": N_("medical unit"), "room": N_("room"), "cell": N_("cell"),
}


def space_level(area: float | None, people: int) -> tuple[float | None, str]:
    """(m² per person, level) of a cell holding ``people``."""
    if not people or not area:
        return None, "sp-none"
    per = area / people
    kind = "single" if people == 1 else "shared"
    if per >= SPACE_STANDARDS["cpt"][kind]:
        return per, "sp-meets"
    if per >= SPACE_STANDARDS["icrc"][kind]:
        return per, "sp-below-cpt"
    return per, "sp-below-icrc"


def occupancy_level(people: int, cna: int, working: int, max_: int, closed: bool) -> str:
    if closed:
        return "closed"
    if people == 0:
        return "occ-empty"
    if people > max_:
        return "occ-over-max"
    if people > working:
        return "occ-over-working"
    if people > cna:
        return "occ-over-cna"
    return "occ-ok"


@dataclass(slots=True)
class MapCell:
    code: str
    local_code: str
    name: str
    people: int  # physically in the cell now
    housed: int  # whose cell it is, wherever they are
    cna: int
    working: int
    max: int
    area: float | None
    closed: bool
    note: str | None
    occ: str = ""
    space: str = ""
    per_person: float | None = None
    label: str = ""


@dataclass
class MapGroup:
    """The cells of one landing or unit."""

    code: str
    name: str
    cells: list[MapCell] = field(default_factory=list)


@dataclass
class Totals:
    people: int = 0
    housed: int = 0
    cna: int = 0
    working: int = 0
    max: int = 0
    above_cna: int = 0
    area: float = 0.0  # of the occupied cells
    cells: int = 0
    closed: int = 0

    def add(self, c: MapCell) -> None:
        self.people += c.people
        self.housed += c.housed
        self.cna += c.cna
        self.working += 0 if c.closed else c.working
        self.max += c.max
        self.above_cna += max(0, c.people - c.cna)
        self.area += (c.area or 0.0) if c.people else 0.0
        self.cells += 1
        self.closed += 1 if c.closed else 0

    @property
    def per_person(self) -> float | None:
        return round(self.area / self.people, 2) if self.people else None

    @property
    def level(self) -> str:
        return occupancy_level(self.people, self.cna, self.working, self.max, False) if self.cells else "occ-empty"


@dataclass
class MapSection:
    """A pavilion (or unit) with its landings."""

    code: str
    name: str
    type: str
    groups: list[MapGroup] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


@dataclass
class Place:
    code: str
    name: str
    type: str
    people: int
    working: int
    max: int
    closed: bool


@dataclass
class SiteMap:
    sections: list[MapSection]
    places: list[Place]
    totals: Totals


def _cell_label(c: MapCell) -> str:
    people = ngettext("%(num)s person", "%(num)s people", c.people) % {"num": c.people}
    parts = [f"{c.code}, {people}: {_(OCCUPANCY_LEVELS[c.occ])}",
             _("cna %(cna)s, working %(working)s, max %(max)s") % {"cna": c.cna, "working": c.working, "max": c.max}]
    if c.per_person is not None:
        parts.append(_("%(m2)s m² per person, %(level)s") % {"m2": f"{c.per_person:.1f}", "level": _(SPACE_LEVELS[c.space])})
    return "; ".join(parts)


def build_map(session, site) -> SiteMap:
    """Sections (top-level locations with cells below), their landings and cells, and the
    other places (reception, rooms, yards) with the people there now."""
    rows = repository.map_rows(session, site.id)
    present, housed = repository.presence_and_housing(session, site.id)
    closed = repository.closed_ids(rows)
    by_id = {r.id: r for r in rows}
    top: dict[int, int] = {}

    def top_of(row) -> int:
        seen = []
        while row.parent_id is not None and row.parent_id in by_id and row.id not in top:
            seen.append(row.id)
            row = by_id[row.parent_id]
        root = top.get(row.id, row.id)
        for i in seen:
            top[i] = root
        top[row.id] = root
        return root

    sections: dict[int, MapSection] = {}
    groups: dict[int, MapGroup] = {}
    places: list[Place] = []
    totals = Totals()
    for r in rows:
        if r.type != "cell":
            if r.type in PLACE_TYPES:
                places.append(Place(r.code, r.name, r.type, present.get(r.id, 0), r.working_capacity, r.max_capacity, r.id in closed))
            continue
        n = present.get(r.id, 0)
        c = MapCell(r.code, r.local_code, r.name, n, housed.get(r.id, 0), r.cna, r.working_capacity, r.max_capacity,
                    r.floor_area_m2, r.id in closed, r.service_note)
        c.occ = occupancy_level(n, r.cna, r.working_capacity, r.max_capacity, c.closed)
        c.per_person, c.space = space_level(r.floor_area_m2, n)
        if c.closed:
            c.space = "closed"
        c.label = _cell_label(c)
        parent = by_id.get(r.parent_id) if r.parent_id is not None else None
        root = by_id[top_of(parent)] if parent is not None else None
        skey = root.id if root is not None else 0
        section = sections.get(skey)
        if section is None:
            section = sections[skey] = (MapSection(root.code, root.name, root.type) if root is not None
                                        else MapSection("", _("Cells outside any pavilion"), "site"))
        gkey = parent.id if parent is not None else 0
        group = groups.get(gkey)
        if group is None:
            group = groups[gkey] = MapGroup(parent.code if parent is not None else "", parent.name if parent is not None else _("Cells"))
            section.groups.append(group)
        group.cells.append(c)
        section.totals.add(c)
        totals.add(c)
    return SiteMap(list(sections.values()), places, totals)


def _place(session, site, location_code: str):
    loc = repository.location_by_code(session, site.id, location_code)
    if loc is None or not loc.active or loc.type not in PLACE_TYPES:
        raise NotFound(_("There is no cell or room %(code)s at site %(site)s.") % {"code": location_code, "site": site.code},
                       code="unknown_location")
    return loc


@router.get("/sites/{code}/map")
def site_map(request: Request, code: str, view: str = "occupancy", ctx: Ctx = Depends(Page("sites:read"))):
    site = get_site(ctx.session, code)
    view = view if view in VIEWS else "occupancy"
    m = build_map(ctx.session, site)
    levels = OCCUPANCY_LEVELS if view == "occupancy" else SPACE_LEVELS
    return render(request, "sites/map.html", {
        "site_code": site.code, "site": site, "m": m, "view": view, "levels": levels, "standards": SPACE_STANDARDS,
        "kind_names": PLACE_KIND_NAMES,
    })


@router.get("/sites/{code}/map/cells/{location_code}")
def cell_occupants(request: Request, code: str, location_code: str, page: int = Query(1, ge=1, le=100_000),
                   ctx: Ctx = Depends(Page("sites:read"))):
    """Who is in a cell or room now; a fragment for the map's side panel, or a page of its own."""
    site = get_site(ctx.session, code)
    loc = _place(ctx.session, site, location_code)
    closed = loc.id in repository.closed_at_site(ctx.session, site.id)
    total = repository.occupancy_of(ctx.session, [loc.id]).get(loc.id, 0)
    people = repository.occupants(ctx.session, [loc.id], offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    away = repository.housed_elsewhere(ctx.session, loc.id) if loc.type == "cell" else []
    where = prisoners_repo.location_codes(ctx.session, [p.current_location_id for p in away])
    per_person, space = space_level(loc.floor_area_m2, total) if loc.type == "cell" else (None, "sp-none")
    occ = occupancy_level(total, loc.cna, loc.working_capacity, loc.max_capacity, closed) if loc.type == "cell" else ""
    htmx = request.headers.get("hx-request") == "true"
    context = {
        "site_code": site.code, "site": site, "loc": loc, "closed": closed, "total": total, "people": people, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "away": [(p, where.get(p.current_location_id, (None, None))[1]) for p in away],
        "per_person": per_person, "space": space, "occ": occ, "space_levels": SPACE_LEVELS, "occupancy_levels": OCCUPANCY_LEVELS,
        "kind_names": PLACE_KIND_NAMES, "standards": SPACE_STANDARDS,
    }
    return render(request, "sites/_cell_panel.html" if htmx else "sites/cell.html", context)
