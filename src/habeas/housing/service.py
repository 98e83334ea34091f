"""Housing from the register: allocation of everyone waiting in reception (or a named list), and
single moves with the same checks.

The allocation reads the site's state (cells, residents with their attributes and affiliations,
open non-associations, the site's separation policy), solves it with the pure engine
(:mod:`habeas.housing.solver`), checks the plan with the independent checker, and, unless it is a
dry run, writes the moves (reception -> cell) through the movement ledger in one transaction.
The site row is locked first, so two allocations never plan against the same free beds."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from habeas.audit.service import record
from habeas.db import as_date, fetch_all, in_chunks
from habeas.housing import checker, solver
from habeas.housing.model import Cell, NonAssociation, Person, Plan, Problem
from habeas.housing.policy import cell_attributes, parse_policy, person_attributes
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.errors import Conflict, NotFound, ValidationFailed
from habeas.models import HousingOverride, Location, Site
from habeas.movements.service import MoveRequest, move_many
from habeas.prisoners.numbers import normalise as normalise_number
from habeas.prisoners import repository as prisoners_repo
from habeas.sites import repository as sites_repo
from habeas.sites.service import get_site


@dataclass
class SiteState:
    site: Site
    problem: Problem
    locations: dict[int, Location]
    numbers: dict[int, str]
    load_seconds: float


def _cells(locs: list[Location]) -> list[Cell]:
    by_id = {loc.id: loc for loc in locs}
    closed = sites_repo.closed_ids(locs)
    out = []
    for loc in locs:
        if loc.type != "cell" or not loc.active:
            continue
        parent = by_id.get(loc.parent_id)
        landing = parent.code if parent is not None and parent.type == "landing" else None  # codes: messages name them
        top = loc
        while top.parent_id is not None and top.parent_id in by_id:
            top = by_id[top.parent_id]
        pavilion = top.code if top.type == "pavilion" else None
        use = "closed" if loc.id in closed else loc.use  # out of service: never chosen by the engine
        out.append(Cell(id=loc.id, code=loc.code, pavilion=pavilion, landing=landing, use=use,
                        attributes=cell_attributes(loc.effective_attributes or {}), cna=loc.cna, working=loc.working_capacity,
                        max=loc.max_capacity, floor_area_m2=loc.floor_area_m2))
    return out


def load_state(session: Session, site_code: str, *, arrivals: list[str] | None = None, use_max: bool = False,
               prefer_pavilion: str | None = None, exclude: set[int] | None = None, allow_housed: bool = False) -> SiteState:
    """The site as the engine sees it. Arrivals: the named people, or everyone in reception."""
    started = time.perf_counter()
    site = get_site(session, site_code)
    today = clock.today()
    locs = sites_repo.locations(session, site.id)
    by_id = {loc.id: loc for loc in locs}
    cells = _cells(locs)
    cell_ids = {c.id for c in cells}
    preferred = None
    if prefer_pavilion:
        pav = next((loc for loc in locs if loc.code == prefer_pavilion and loc.type == "pavilion"), None)
        if pav is None:
            raise ValidationFailed(f"no pavilion {prefer_pavilion!r} at {site.code}", code="validation_failed",
                                   details=[{"row": None, "field": "prefer_pavilion", "message": "unknown"}])
        preferred = pav.code  # cells carry their pavilion by code
    rows = fetch_all(session, "SELECT p.id, p.prisoner_number, p.sex, p.legal_status, p.date_of_birth, p.security_level, p.flags, q.cell_id, "
                              "q.current_location_id FROM prisoners p JOIN positions q ON q.prisoner_id = p.id "
                              "WHERE p.current_site_id = ? AND p.in_custody = ?", (site.id, True))
    groups: dict[int, set[str]] = defaultdict(set)
    for pid, group in fetch_all(session, "SELECT a.prisoner_id, a.group_name FROM affiliations a JOIN prisoners p ON p.id = a.prisoner_id "
                                         "WHERE p.current_site_id = ? AND p.in_custody = ? AND a.active = ?", (site.id, True, True)):
        groups[pid].add(group)
    reception = {loc.id for loc in locs if loc.type == "reception"}
    wanted = None
    if arrivals is not None:
        found = prisoners_repo.by_numbers(session, [normalise_number(n) for n in arrivals])
        missing = [n for n in arrivals if normalise_number(n) not in found]
        if missing:
            raise ValidationFailed(f"unknown prisoner(s): {', '.join(missing[:10])}", code="validation_failed",
                                   details=[{"row": i, "field": "arrivals", "message": f"no prisoner {n!r}"} for i, n in enumerate(missing[:200])])
        wanted = {p.id for p in found.values()}
    residents, arriving, numbers = [], [], {}
    exclude = exclude or set()
    adult_born_by = today.replace(year=today.year - 18) if not (today.month == 2 and today.day == 29) else today.replace(year=today.year - 18, day=28)
    shared: dict[tuple, dict] = {}  # people with the same words share one attributes mapping
    for pid, number, sex, status, dob, level, flags, cell_id, loc_id in rows:
        single = ("single_cell" in flags) if isinstance(flags, str) else ("single_cell" in (flags or ()))
        numbers[pid] = number
        born = as_date(dob)
        key = (sex, status, level, born <= adult_born_by)
        attrs = shared.get(key)
        if attrs is None:
            attrs = shared[key] = person_attributes(sex, status, born, today, level)
        person = Person(id=pid, number=number, attributes=attrs, groups=frozenset(groups.get(pid, ())),
                        single_cell=single, preferred_pavilion=preferred)
        is_arrival = (pid in wanted) if wanted is not None else (loc_id in reception and cell_id is None)
        if pid in exclude:
            continue
        if is_arrival and wanted is not None and cell_id is not None and not allow_housed:
            raise Conflict(f"{number} is already housed ({by_id[cell_id].code}): move a housed person with `habeas housing move`",
                           code="already_housed", details=[{"row": None, "field": "arrivals", "message": number}])
        if is_arrival:
            arriving.append(person)
        elif cell_id in cell_ids:
            residents.append((person, cell_id))
    if wanted is not None and len(arriving) != len(wanted):
        here = {p.id for p in arriving}
        away = sorted(n for n, p in found.items() if p.id not in here)
        raise ValidationFailed(f"not in custody at {site.code}: {', '.join(away[:10])}", code="not_in_custody",
                               details=[{"row": None, "field": "arrivals", "message": n} for n in away[:200]])
    ids = {p.id for p in arriving}
    # beds reserved for people on their way here count as taken (see transfers)
    from habeas.transfers.service import reserved_people

    reserved = reserved_people(session, site.id, today)
    residents += reserved
    nas = open_non_associations(session, list(ids) + [p.id for p, _ in reserved if isinstance(p.id, int)])
    policy = parse_policy((site.settings or {}).get("separation"))
    problem = Problem(cells=cells, residents=residents, arrivals=arriving, non_associations=nas, policy=policy, use_max=use_max)
    return SiteState(site, problem, by_id, numbers, time.perf_counter() - started)


def open_non_associations(session: Session, prisoner_ids: list[int]) -> list[NonAssociation]:
    """Open keep-apart records involving any of these people."""
    nas = {}
    for chunk in in_chunks(prisoner_ids, 400):
        marks = ",".join("?" * len(chunk))
        for a, b, level in fetch_all(session, f"SELECT prisoner_a_id, prisoner_b_id, level FROM non_associations WHERE status = 'open' AND "
                                              f"(prisoner_a_id IN ({marks}) OR prisoner_b_id IN ({marks}))", (*chunk, *chunk)):
            nas[(a, b)] = NonAssociation(a, b, level)
    return list(nas.values())


def summarise(state: SiteState, plan: Plan, report: checker.Report | None, *, committed: bool, seconds: dict) -> dict:
    locs, numbers = state.locations, state.numbers
    pav = {k: v for k, v in plan.pavilion_changes().items()}
    return {
        "site": state.site.code, "committed": committed, "arrivals": len(state.problem.arrivals), "placed": plan.placed,
        "unplaced": len(plan.unplaced),
        "moves": [{"prisoner_number": numbers[pid], "cell": locs[cid].code} for pid, cid in sorted(plan.assignments.items(), key=lambda kv: numbers[kv[0]])],
        "left_in_reception": [{"prisoner_number": numbers[pid], "reason": why} for pid, why in sorted(plan.unplaced.items(), key=lambda kv: numbers[kv[0]])],
        "occupancy": [{"pavilion": k, "before": b, "after": a} for k, (b, a) in pav.items() if k is not None],
        "violations": [v.message for v in report.violations] if report else None,
        "seconds": seconds,
    }


def make_plan(session: Session, site_code: str, *, lock: bool = False, arrivals: list[str] | None = None, use_max: bool = False,
         prefer_pavilion: str | None = None) -> tuple[SiteState, Plan, checker.Report, dict]:
    """Solve the site's allocation and check the plan independently; write nothing. A plan that
    breaks any hard rule is refused (the engine's own guarantee, checked)."""
    if lock:
        sites_repo.lock_site(session, get_site(session, site_code))
    state = load_state(session, site_code, arrivals=arrivals, use_max=use_max, prefer_pavilion=prefer_pavilion)
    t0 = time.perf_counter()
    result = solver.solve(state.problem)
    solve_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = checker.check(state.problem, result)
    check_s = time.perf_counter() - t0
    if not report.ok:
        raise Conflict(f"the plan breaks {len(report.violations)} rule(s); nothing was written", code="plan_invalid",
                       details=[v.message for v in report.violations[:50]])
    return state, result, report, {"load": round(state.load_seconds, 4), "solve": round(solve_s, 4), "check": round(check_s, 4)}


def allocate(session: Session, actor: Actor, site_code: str, *, dry_run: bool = True, arrivals: list[str] | None = None,
             use_max: bool = False, prefer_pavilion: str | None = None, reason: str = "allocation") -> dict:
    """Plan (and unless ``dry_run``, write) the housing of the arrivals. The plan never breaks a
    hard rule; anyone who cannot be placed stays in reception with the binding reason."""
    state, plan, report, seconds = make_plan(session, site_code, lock=not dry_run, arrivals=arrivals, use_max=use_max,
                                                prefer_pavilion=prefer_pavilion)
    write_s = 0.0
    if not dry_run and plan.assignments:
        t0 = time.perf_counter()
        moves = [MoveRequest(pid, cid, reason) for pid, cid in plan.assignments.items()]
        move_many(session, actor, state.site.id, moves)
        record(session, actor, "housing.allocate", "site", state.site.code, after={
            "placed": plan.placed, "unplaced": {state.numbers[k]: v for k, v in plan.unplaced.items()}, "use_max": use_max})
        write_s = time.perf_counter() - t0
    return summarise(state, plan, report, committed=not dry_run, seconds={**seconds, "write": round(write_s, 4)})


def check_placement(session: Session, site_code: str, number: str, prisoner_id: int, cell_id: int, *, use_max: bool = False) -> checker.Report:
    """Every rule placing this person in this cell would break (the allocation's checker)."""
    state = load_state(session, site_code, arrivals=[number], use_max=use_max, allow_housed=True)
    return checker.check(state.problem, Plan.build(state.problem, {prisoner_id: cell_id}, {}))


def move_to_cell(session: Session, actor: Actor, number: str, cell_code: str, *, reason: str, override_reason: str | None = None) -> dict:
    """Move one person to a named cell with the allocation's checks. A housing supervisor may set
    aside a separation rule or a non-association (and working capacity), and place someone in a
    segregation or medical cell, with a recorded reason; max capacity and out-of-service cells
    are never set aside."""
    from habeas.prisoners.service import get as get_prisoner

    p = get_prisoner(session, number)
    if not p.in_custody or p.current_site_id is None:
        raise Conflict(f"{p.prisoner_number} is not in custody", code="not_in_custody")
    site = sites_repo.site_by_id(session, p.current_site_id)
    sites_repo.lock_site(session, site)
    target = sites_repo.location_by_code(session, site.id, cell_code)
    if target is None or target.type != "cell" or not target.active:
        raise NotFound(f"no cell {cell_code!r} at {site.code}", code="unknown_location")
    if target.id == p.cell_id:
        raise Conflict(f"{p.prisoner_number} is already housed in {target.code}", code="already_there")
    report = check_placement(session, site.code, p.prisoner_number, p.id, target.id, use_max=bool(override_reason))
    hard = [v for v in report.violations if v.kind not in ("separation", "affiliation", "non_association", "single_cell", "capacity")]
    soft = [v for v in report.violations if v not in hard]
    if target.use != "normal" and not override_reason:
        hard.append(checker.Violation("use", f"{target.code} is a {target.use} cell: placing someone there needs a supervisor's reason"))
    elif target.use != "normal":
        hard = [v for v in hard if v.kind != "use"]
    if hard:
        raise Conflict(f"{p.prisoner_number} cannot go to {target.code}: {hard[0].message}", code="housing_refused",
                       details=[{"kind": v.kind, "message": v.message} for v in hard])
    if soft and not (override_reason and override_reason.strip()):
        raise Conflict(f"{p.prisoner_number} cannot go to {target.code}: {soft[0].message}", code="housing_rule",
                       details=[{"kind": v.kind, "message": v.message, "overridable": True} for v in soft])
    [mid] = move_many(session, actor, site.id, [MoveRequest(p.id, target.id, reason)])
    out = {"prisoner_number": p.prisoner_number, "cell": target.code, "movement": mid, "overridden": []}
    if soft or (override_reason and target.use != "normal"):
        words = "; ".join(v.message for v in soft) or f"{target.use} cell"
        session.add(HousingOverride(prisoner_id=p.id, movement_id=mid, location_id=target.id, rules=words, reason=override_reason.strip(),
                                    at=clock.db_time(clock.now()), by=actor.username))
        record(session, actor, "housing.override", "prisoner", p.prisoner_number,
               after={"cell": target.code, "rules": words, "reason": override_reason.strip(), "movement": mid})
        out["overridden"] = [v.message for v in soft]
    session.flush()
    return out
