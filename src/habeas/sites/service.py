"""Site rules: loading a layout (create or update), the location tree with capacity and occupancy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, IssueList, NotFound
from habeas.models import Location, Site
from habeas.sites import repository
from habeas.sites.layout import LocationSpec, SiteSpec


@dataclass
class LoadReport:
    site: str
    created_site: bool = False
    site_changed: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created_site or self.site_changed or self.created or self.updated or self.deactivated or self.reactivated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site, "created_site": self.created_site, "site_changed": self.site_changed,
            "created": len(self.created), "updated": len(self.updated), "deactivated": len(self.deactivated),
            "reactivated": len(self.reactivated), "unchanged": self.unchanged, "changed": self.changed,
        }


def get_site(session: Session, code: str) -> Site:
    site = repository.site_by_code(session, code)
    if site is None:
        raise NotFound(f"no site {code!r}", code="unknown_site")
    return site


def load_site(session: Session, actor: Actor, spec: SiteSpec, *, filename: str = "layout") -> LoadReport:
    """Create or update a site from a parsed layout. Idempotent; refuses to strand anyone."""
    now = clock.db_time(clock.now())
    report = LoadReport(site=spec.code)
    site = repository.site_by_code(session, spec.code)
    site_values = {"name": spec.name, "timezone": spec.timezone, "operational_capacity": spec.operational_capacity, "settings": spec.settings}
    if site is None:
        site = Site(code=spec.code, layout_digest=spec.digest, created_at=now, updated_at=now, **site_values)
        session.add(site)
        session.flush()
        report.created_site = True
        record(session, actor, "site.create", "site", spec.code, after={**site_values, "layout_digest": spec.digest, "file": filename})
        existing: dict[str, Location] = {}
        occupancy: dict[int, int] = {}
    else:
        before = {k: getattr(site, k) for k in site_values}
        if before != site_values:
            for k, v in site_values.items():
                setattr(site, k, v)
            site.updated_at = now
            report.site_changed = True
            record(session, actor, "site.update", "site", spec.code, before=before, after=site_values)
        existing = {loc.code: loc for loc in repository.locations(session, site.id)}
        occupancy = repository.occupancy(session, site.id)

    problems = IssueList()
    wanted = {loc.code for loc in spec.locations}
    # Capacity may never drop below the people already there; occupied locations stay.
    for loc_spec in spec.locations:
        loc = existing.get(loc_spec.code)
        if loc is None:
            continue
        here = occupancy.get(loc.id, 0)
        for col in ("working_capacity", "max_capacity"):
            new = getattr(loc_spec, col)
            if here and new < here:
                problems.add(f"{col.replace('_', ' ')} {new} is below the {here} people now in {loc.code}", field=f"{loc.code}.{col}", row=loc_spec.line, file=filename)
        if here and not loc_spec.residential:
            problems.add(f"{loc.code} holds {here} people and cannot stop being residential", field=f"{loc.code}.type", row=loc_spec.line, file=filename)
    for code, loc in existing.items():
        if code not in wanted and loc.active and occupancy.get(loc.id, 0):
            problems.add(f"{code} holds {occupancy[loc.id]} people and cannot be removed; move them first", field=code, file=filename)
    if problems:
        raise Conflict(f"{filename}: the layout would strand people in custody: {len(problems)} problem(s)", code="layout_conflict", details=list(problems))

    new_rows: list[tuple[LocationSpec, Location]] = []
    ids: dict[str, int] = {code: loc.id for code, loc in existing.items()}
    for loc_spec in spec.locations:  # pre-order: a parent always precedes its children
        values = _columns(loc_spec, ids)
        loc = existing.get(loc_spec.code)
        if loc is None:
            loc = Location(site_id=site.id, code=loc_spec.code, local_code=loc_spec.local_code, active=True, created_at=now, updated_at=now, **values)
            session.add(loc)
            new_rows.append((loc_spec, loc))
            if loc_spec.type != "cell":  # children need the id; cells have none
                session.flush()
                ids[loc_spec.code] = loc.id
            report.created.append(loc_spec.code)
            continue
        before = {k: getattr(loc, k) for k in values}
        changed = {k: v for k, v in values.items() if before[k] != v}
        if not loc.active:
            loc.active = True
            report.reactivated.append(loc.code)
            changed["active"] = True
            before["active"] = False
        if changed:
            for k, v in changed.items():
                setattr(loc, k, v)
            loc.updated_at = now
            if loc.code not in report.reactivated:
                report.updated.append(loc.code)
            record(session, actor, "location.update", "location", f"{spec.code}/{loc.code}", before={k: before[k] for k in changed}, after=changed)
        else:
            report.unchanged += 1
    for code, loc in existing.items():
        if code not in wanted and loc.active:
            loc.active = False
            loc.updated_at = now
            report.deactivated.append(code)
            record(session, actor, "location.deactivate", "location", f"{spec.code}/{code}", before={"active": True}, after={"active": False})
    session.flush()
    if report.created:
        # One event for the new locations (a new 40,000-bed site is one act, not 600).
        record(session, actor, "location.create", "site", spec.code, after={"count": len(report.created), "codes": report.created})
    if report.changed:
        site.layout_digest = spec.digest
        site.updated_at = now
        record(session, actor, "site.load", "site", spec.code, after={**report.as_dict(), "file": filename, "layout_digest": spec.digest})
    return report


def _columns(loc: LocationSpec, ids: dict[str, int]) -> dict[str, Any]:
    values = loc.values()
    parent_code = values.pop("parent_code")
    values["parent_id"] = ids.get(parent_code) if parent_code else None
    return values


@dataclass
class LocationNode:
    location: Location
    occupants: int = 0
    cna: int = 0
    working: int = 0
    max: int = 0
    floor_area_m2: float = 0.0
    occupied_area_m2: float = 0.0  # floor area of the cells that hold someone
    children: list[LocationNode] = field(default_factory=list)


def location_tree(session: Session, site: Site, *, include_inactive: bool = False) -> list[LocationNode]:
    """The site's tree with capacity and occupancy summed up from the cells and rooms."""
    locs = repository.locations(session, site.id, active_only=not include_inactive)
    occ = repository.occupancy(session, site.id)
    nodes = {loc.id: LocationNode(location=loc) for loc in locs}
    roots: list[LocationNode] = []
    for loc in locs:
        node = nodes[loc.id]
        if loc.parent_id in nodes:
            nodes[loc.parent_id].children.append(node)
        else:
            roots.append(node)

    def total(node: LocationNode) -> None:
        loc = node.location
        node.occupants = occ.get(loc.id, 0)
        if loc.residential:
            node.cna, node.working, node.max = loc.cna, loc.working_capacity, loc.max_capacity
            node.floor_area_m2 = loc.floor_area_m2 or 0.0
            node.occupied_area_m2 = node.floor_area_m2 if node.occupants else 0.0
        for child in node.children:
            total(child)
            node.occupants += child.occupants if not loc.residential else 0
            if child.location.residential or child.children:
                node.cna += child.cna
                node.working += child.working
                node.max += child.max
                node.floor_area_m2 += child.floor_area_m2
                node.occupied_area_m2 += child.occupied_area_m2

    for root in roots:
        total(root)
    return roots


def location_subtree(session: Session, site: Site, code: str) -> LocationNode:
    """One location (active or not) with everything under it, capacity and occupancy summed."""

    def find(nodes: list[LocationNode]) -> LocationNode | None:
        for n in nodes:
            if n.location.code == code:
                return n
            if code.startswith(n.location.code + "-"):
                return find(n.children)
        return None

    found = find(location_tree(session, site, include_inactive=True))
    if found is None:
        raise NotFound(f"no location {code!r} in site {site.code}", code="unknown_location")
    return found


def subtree_ids(node: LocationNode) -> list[int]:
    return [node.location.id] + [i for child in node.children for i in subtree_ids(child)]
