"""The site dashboard: population against capacity per pavilion, today's arrivals and releases,
and every alert list a supervisor must clear. Each figure comes from its own domain's service,
computed when asked; nothing here is stored or scheduled."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from habeas.counts.service import list_counts
from habeas.kit import clock
from habeas.legal.sentences import release_due
from habeas.legal.service import due_lists
from habeas.movements import repository as moves_repo
from habeas.movements.ledger import DISCHARGES
from habeas.roll.service import day_start, roll
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site
from habeas.welfare.service import report as welfare_report


@dataclass
class PavilionBar:
    code: str
    name: str
    population: int  # people housed in its cells
    cna: int
    working: int
    max: int

    @property
    def level(self) -> str:
        """Against what the pavilion is built for: within cna, within working, within max, over max."""
        if self.population > self.max:
            return "over-max"
        if self.population > self.working:
            return "over-working"
        if self.population > self.cna:
            return "over-cna"
        return "ok"


@dataclass
class Dashboard:
    site: str
    site_name: str
    day: str
    population: int
    working_capacity: int
    max_capacity: int
    cna: int
    in_reception: int
    out_of_site: int
    arrived_today: int
    released_today: int
    pavilions: list[PavilionBar] = field(default_factory=list)
    held_without_basis: list = field(default_factory=list)
    reviews_overdue: list = field(default_factory=list)
    releases_due: list = field(default_factory=list)
    uncleared_counts: list = field(default_factory=list)
    missed_welfare: list = field(default_factory=list)
    reception: list = field(default_factory=list)

    @property
    def alert_total(self) -> int:
        return (len(self.held_without_basis) + len(self.reviews_overdue) + len(self.releases_due) + len(self.uncleared_counts)
                + len(self.missed_welfare))


def dashboard(session: Session, site_code: str) -> Dashboard:
    site = get_site(session, site_code)
    r = roll(session, site.code, depth=1)
    bars = [PavilionBar(ln.code, ln.name, ln.housed, ln.cna, ln.working, ln.max) for ln in r.lines if ln.type == "pavilion"]
    due = due_lists(session, site.code, include_due=False)  # what is coming: the legal page
    since = clock.db_time(day_start(site.timezone, clock.now()))
    released = moves_repo.count_since(session, site.id, DISCHARGES, since)
    reception_ids = [loc.id for loc in sites_repo.map_rows(session, site.id) if loc.type == "reception"]
    missed = []
    for shift in welfare_report(session, site.code)["shifts"]:
        for req in shift["requirements"]:
            if req["missed"] or req["late"]:
                missed.append({"shift": shift["shift"], "subject": req["subject"], "interval_minutes": req["interval_minutes"],
                               "missed": len(req["missed"]), "late": len(req["late"])})
    return Dashboard(
        site=site.code, site_name=site.name, day=r.day, population=r.population, working_capacity=r.working_capacity,
        max_capacity=r.max_capacity, cna=r.cna, in_reception=r.in_reception, out_of_site=sum(r.out_of_site.values()),
        arrived_today=r.arrived_today, released_today=released, pavilions=bars,
        held_without_basis=due["held_without_basis"], reviews_overdue=due["reviews_overdue"],
        releases_due=release_due(session, site.code),
        uncleared_counts=[{**c, "local_time": clock.to_utc(c["count_time"]).astimezone(ZoneInfo(site.timezone)).strftime("%Y-%m-%d %H:%M")}
                          for c in list_counts(session, site.code, status="open")],
        missed_welfare=missed, reception=moves_repo.waiting_in(session, reception_ids, limit=12),
    )
