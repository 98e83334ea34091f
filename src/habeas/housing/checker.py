"""An independent check of a housing plan, and the plan's cost (the objective).

:func:`check` lists every hard-constraint violation of a plan, computed from scratch by grouping
people per unit; it shares nothing with the allocation engine but the input and output
dataclasses and the policy's words (a person's value for a rule), so it can catch the engine's
mistakes. Conflicts among residents alone are the
register's past, not the plan's doing: they are listed apart, as ``pre_existing``.

The objective (minimised; :func:`objective`) is the single definition of a plan's cost, used by
the allocation engine and by the CP-SAT model alike. In integer points:

* **unplaced**: :func:`unplaced_penalty` per arrival left unplaced. The penalty is larger than
  any possible sum of the other terms, so placing one more person always wins (lexicographic).
* **space**: the k-th occupant of a cell costs ``round(1000 * k / area)`` where ``area`` is the
  cell's floor area in m² (a cell without a recorded floor area is costed as if it had 4 m² per
  cna place, at least 4 m²). Residents are occupants 1..r; arrivals pay for occupants r+1..n.
  The cost per occupant grows with the occupancy, so people are spread to keep the floor area
  per person as even and as high as possible.
* **above cna**: an occupant beyond the cell's cna costs 10,000 more, so cells go above their
  certified normal accommodation last.
* **affiliation**: 3,000 for each arrival placed, at a soft (``prefer``) affiliation rule's
  level, in the same unit as a member of a rival group of that rule (once per rule).
* **preference**: 300 for each arrival with a preferred pavilion housed in another pavilion.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from habeas.housing.model import Cell, Id, Person, Plan, Problem
from habeas.housing.policy import PERSON_ATTRIBUTES, complete_attributes, dimension_value

SPACE_WEIGHT = 1000
ABOVE_CNA_COST = 10_000
AFFILIATION_COST = 3_000
PREFERENCE_COST = 300
FALLBACK_AREA_PER_PLACE_M2 = 4.0


def cost_area(cell: Cell) -> float:
    """The floor area used for the space cost (a fallback when the cell has none recorded)."""
    if cell.floor_area_m2 is not None and cell.floor_area_m2 > 0:
        return float(cell.floor_area_m2)
    return FALLBACK_AREA_PER_PLACE_M2 * max(cell.cna, 1)


def marginal_cost(cell: Cell, k: int) -> int:
    """The cost of the k-th occupant of a cell (k >= 1). Never decreases as k grows."""
    cost = int(round(SPACE_WEIGHT * k / cost_area(cell)))
    if k > cell.cna:
        cost += ABOVE_CNA_COST
    return cost


def unplaced_penalty(problem: Problem) -> int:
    """The cost of one unplaced arrival: more than the other terms of any plan can add up to."""
    worst = 0
    for c in problem.cells:
        cap = c.capacity(problem.use_max)
        if c.use == "normal" and cap > 0:
            worst = max(worst, marginal_cost(c, cap))
    per_arrival = worst + PREFERENCE_COST + AFFILIATION_COST * len(problem.policy.soft_affiliations)
    return len(problem.arrivals) * per_arrival + 1


def objective_parts(problem: Problem, plan: Plan) -> dict[str, int]:
    """The terms of the objective of a plan, and their total."""
    cells = {c.id: c for c in problem.cells}
    arrivals = {p.id: p for p in problem.arrivals}
    residents_in: Counter = Counter(cell_id for _, cell_id in problem.residents)
    arrivals_in: Counter = Counter(plan.assignments.values())

    space = above = 0
    for cell_id, added in arrivals_in.items():
        cell = cells[cell_id]
        r = residents_in.get(cell_id, 0)
        for k in range(r + 1, r + added + 1):
            m = marginal_cost(cell, k)
            if k > cell.cna:
                above += ABOVE_CNA_COST
                m -= ABOVE_CNA_COST
            space += m

    preference = 0
    for pid, cell_id in plan.assignments.items():
        pref = arrivals[pid].preferred_pavilion
        if pref is not None and cells[cell_id].pavilion != pref:
            preference += PREFERENCE_COST

    affiliation = 0
    for rule in problem.policy.soft_affiliations:
        members: dict[tuple, Counter] = defaultdict(Counter)
        for p, cell_id in _everyone(problem, plan):
            s = rule.members(p.groups)
            if s:
                members[cells[cell_id].unit(rule.level)][s] += 1
        for pid, cell_id in plan.assignments.items():
            mine = rule.members(arrivals[pid].groups)
            if not mine:
                continue
            here = members[cells[cell_id].unit(rule.level)]
            for other, n in here.items():
                if other == mine:
                    n -= 1  # not oneself
                if n > 0 and rule.conflict(mine, other):
                    affiliation += AFFILIATION_COST
                    break

    unplaced = (len(problem.arrivals) - len(plan.assignments)) * unplaced_penalty(problem)
    total = unplaced + space + above + affiliation + preference
    return {"unplaced": unplaced, "space": space, "above_cna": above, "affiliation": affiliation,
            "preference": preference, "soft": total - unplaced, "total": total}


def objective(problem: Problem, plan: Plan) -> int:
    return objective_parts(problem, plan)["total"]


# --- hard constraints -------------------------------------------------------------------------

@dataclass(frozen=True)
class Violation:
    kind: str  # plan, capacity, use, restriction, separation, affiliation, non_association, single_cell
    message: str
    people: tuple = ()


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    pre_existing: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def kinds(self) -> set[str]:
        return {v.kind for v in self.violations}


def _everyone(problem: Problem, plan: Plan) -> Iterable[tuple[Person, Id]]:
    """Residents with their cells, then placed arrivals with theirs."""
    arrivals = {p.id: p for p in problem.arrivals}
    yield from problem.residents
    for pid, cell_id in plan.assignments.items():
        if pid in arrivals:
            yield arrivals[pid], cell_id


def check(problem: Problem, plan: Plan) -> Report:
    """Every hard-constraint violation of the plan (and, apart, the residents' own conflicts)."""
    report = Report()
    cells = {c.id: c for c in problem.cells}
    arrivals = {p.id: p for p in problem.arrivals}

    def add(kind: str, message: str, people: Iterable[Person], involves_arrival: bool) -> None:
        v = Violation(kind, message, tuple(p.number for p in people))
        (report.violations if involves_arrival else report.pre_existing).append(v)

    # The plan accounts for every arrival exactly once, and names only known cells.
    for pid in arrivals:
        n = (pid in plan.assignments) + (pid in plan.unplaced)
        if n != 1:
            what = "neither placed nor explained" if n == 0 else "both placed and unplaced"
            add("plan", f"arrival {arrivals[pid].number} is {what}", [arrivals[pid]], True)
    for pid in [*plan.assignments, *plan.unplaced]:
        if pid not in arrivals:
            report.violations.append(Violation("plan", f"{pid!r} is not an arrival of this problem"))
    for pid, reason in plan.unplaced.items():
        if pid in arrivals and (not isinstance(reason, str) or not reason.strip()):
            add("plan", f"arrival {arrivals[pid].number} is unplaced without a reason", [arrivals[pid]], True)
    placed: list[tuple[Person, Cell]] = []
    for pid, cell_id in plan.assignments.items():
        if pid not in arrivals:
            continue
        if cell_id not in cells:
            add("plan", f"arrival {arrivals[pid].number} is given an unknown cell {cell_id!r}", [arrivals[pid]], True)
            continue
        placed.append((arrivals[pid], cells[cell_id]))

    everyone: list[tuple[Person, Cell, bool]] = [(p, cells[cid], False) for p, cid in problem.residents if cid in cells]
    everyone += [(p, c, True) for p, c in placed]

    # Use and restricting attributes of the cell.
    for p, c in placed:
        if c.use != "normal":
            add("use", f"{p.number} placed in {c.code}, a {c.use} cell (automatic allocation uses normal cells only)", [p], True)
        attrs = complete_attributes(p.attributes)
        for name, values in c.attributes.items():
            if name in PERSON_ATTRIBUTES and attrs.get(name) not in values:
                add("restriction", f"{p.number} ({name} {attrs.get(name)}) placed in {c.code}, which takes {name} {', '.join(values)}", [p], True)

    # Capacity.
    by_cell: dict[Id, list[tuple[Person, bool]]] = defaultdict(list)
    for p, c, is_arrival in everyone:
        by_cell[c.id].append((p, is_arrival))
    for cell_id, occupants in by_cell.items():
        c = cells[cell_id]
        cap = c.capacity(problem.use_max)
        added = sum(1 for _, a in occupants if a)
        if len(occupants) > cap:
            which = "max" if problem.use_max else "working"
            add("capacity", f"{c.code} holds {len(occupants)}, above its {which} capacity {cap}", [p for p, a in occupants if a], added > 0)

    # Single cell: a person who must be alone shares with nobody.
    for cell_id, occupants in by_cell.items():
        if len(occupants) < 2:
            continue
        any_arrival = any(a for _, a in occupants)
        for p, is_arrival in occupants:
            if p.single_cell:
                add("single_cell", f"{p.number} must be alone but shares {cells[cell_id].code} with {len(occupants) - 1} other(s)",
                    [p], any_arrival)

    # Separation rules.
    for rule in problem.policy.active_rules:
        groups: dict[tuple, dict[str, list[tuple[Person, bool]]]] = defaultdict(lambda: defaultdict(list))
        for p, c, is_arrival in everyone:
            v = dimension_value(rule.dimension, complete_attributes(p.attributes))
            if v is not None:
                groups[c.unit(rule.level)][v].append((p, is_arrival))
        for unit, by_value in groups.items():
            values = sorted(by_value)
            for i, v in enumerate(values):
                for w in values[i + 1:]:
                    both = by_value[v] + by_value[w]
                    arrivals_here = [p for p, a in both if a]
                    add("separation",
                        f"{rule.dimension} rule ({rule.level}): {_unit_name(unit, cells)} holds both {v} and {w} people",
                        arrivals_here or [p for p, _ in both[:2]], bool(arrivals_here))

    # Hard affiliation rules.
    for rule in problem.policy.hard_affiliations:
        groups2: dict[tuple, dict[frozenset, list[tuple[Person, bool]]]] = defaultdict(lambda: defaultdict(list))
        for p, c, is_arrival in everyone:
            s = rule.members(p.groups)
            if s:
                groups2[c.unit(rule.level)][s].append((p, is_arrival))
        for unit, by_set in groups2.items():
            keys = sorted(by_set, key=sorted)
            for i, s1 in enumerate(keys):
                for s2 in keys[i:]:
                    if not rule.conflict(s1, s2):
                        continue
                    people = by_set[s1] + (by_set[s2] if s2 != s1 else [])
                    if len(people) < 2:
                        continue
                    arrivals_here = [p for p, a in people if a]
                    add("affiliation",
                        f"{rule.name} ({rule.level}): {_unit_name(unit, cells)} holds members of {', '.join(sorted(s1))} and {', '.join(sorted(s2))}",
                        arrivals_here or [p for p, _ in people[:2]], bool(arrivals_here))

    # Non-associations (people not at this site are ignored).
    where: dict[Id, tuple[Person, Cell, bool]] = {p.id: (p, c, a) for p, c, a in everyone}
    for na in problem.non_associations:
        if na.a not in where or na.b not in where or na.a == na.b:
            continue
        pa, ca, aa = where[na.a]
        pb, cb, ab = where[na.b]
        if ca.unit(na.level) == cb.unit(na.level):
            add("non_association", f"{pa.number} and {pb.number} share a {na.level} ({_unit_name(ca.unit(na.level), cells)}) "
                f"despite a {na.level}-level non-association", [pa, pb], aa or ab)
    return report


def _unit_name(unit: tuple, cells: Mapping[Id, Cell]) -> str:
    if unit[0] == "cell":
        c = cells.get(unit[1])
        return f"cell {c.code}" if c else f"cell {unit[1]}"
    if unit[0] == "landing":
        if unit[1] is None and isinstance(unit[2], tuple) and unit[2][:1] == ("cell",):
            return _unit_name(unit[2], cells)
        return f"landing {unit[2]}"
    if unit[0] == "pavilion":
        return f"pavilion {unit[1]}" if unit[1] is not None else _unit_name(unit[2], cells)
    return "the site"
