"""The textbook CP-SAT model of the housing problem: the yardstick for the allocation engine.

One boolean per arrival and eligible cell (a normal cell with room that the arrival may enter
given the cell's restricting attributes, the residents already there and the arrival's
non-associations with residents). The hard constraints and the objective are those of
:mod:`habeas.housing.solver` and :mod:`habeas.housing.checker` (the same cost functions):

* each arrival in at most one cell; each cell within its capacity;
* a person who must be alone: nobody else in the cell;
* each separation or hard affiliation rule: per unit of the rule's level, a boolean per value
  ("someone of this value is here"), at most one value per unit;
* each non-association between two arrivals: at most one of them in any unit of its level;
* objective: the unplaced penalty, the occupancy cost of each cell (one boolean per extra
  occupant, taken in order, each with its marginal cost), the preferred pavilion, and the soft
  affiliation rules (an arrival pays when a rival is in its unit).

``solve_cpsat(problem, time_limit=...)`` returns ``(plan, status)`` where status is "optimal",
"feasible" (a plan, not proven best) or "unknown" (no plan within the time limit). The time limit
is CP-SAT's own; building the model comes on top (``plan.stats["build_seconds"]``).
"""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.sat.python import cp_model

from habeas.housing.checker import AFFILIATION_COST, PREFERENCE_COST, marginal_cost, unplaced_penalty
from habeas.housing.model import Plan, Problem
from habeas.housing.policy import admits, complete_attributes, dimension_value

_MULTI = "\x00several groups"


def _value(kind: str, rule, person, attrs):
    if kind == "dim":
        return dimension_value(rule, attrs)
    s = rule.members(person.groups)
    if not s:
        return None
    return next(iter(s)) if len(s) == 1 else _MULTI


def _clash(v, w) -> bool:
    return v is not None and w is not None and (v != w or v is _MULTI)


def solve_cpsat(problem: Problem, *, time_limit: float = 20.0, workers: int = 2, seed: int = 0,
                log: bool = False) -> tuple[Plan, str]:
    started = time.perf_counter()
    problem.validate()
    policy = problem.policy
    cells = list(problem.cells)
    cell_index = {c.id: i for i, c in enumerate(cells)}
    arrivals = list(problem.arrivals)
    arrival_index = {p.id: i for i, p in enumerate(arrivals)}
    resident_cell = {p.id: cell_index[cid] for p, cid in problem.residents}
    units = [{lv: c.unit(lv) for lv in ("cell", "landing", "pavilion", "site")} for c in cells]

    hard = [("dim", r.dimension, r.level) for r in policy.active_rules]
    hard += [("aff", a, a.level) for a in policy.hard_affiliations]
    soft = [(a, a.level) for a in policy.soft_affiliations]

    # What the residents bring: occupancy, closed cells, values present per unit.
    occupied = [0] * len(cells)
    closed = [False] * len(cells)
    present: list[dict] = [defaultdict(set) for _ in hard]
    soft_present: list[dict] = [defaultdict(set) for _ in soft]
    for p, cid in problem.residents:
        ci = cell_index[cid]
        occupied[ci] += 1
        if p.single_cell:
            closed[ci] = True
        attrs = complete_attributes(p.attributes)
        for j, (kind, rule, level) in enumerate(hard):
            v = _value(kind, rule, p, attrs)
            if v is not None:
                present[j][units[ci][level]].add(v)
        for s, (rule, level) in enumerate(soft):
            v = _value("aff", rule, p, attrs)
            if v is not None:
                soft_present[s][units[ci][level]].add(v)
    free = [max(0, c.capacity(problem.use_max) - occupied[i]) for i, c in enumerate(cells)]

    # Non-associations: with residents they shrink the eligible cells; between arrivals they are constraints.
    banned: dict[int, set] = defaultdict(set)  # arrival -> units it may not enter
    pairs = []
    for na in problem.non_associations:
        a, b = na.a, na.b
        if a == b:
            continue
        if a in arrival_index and b in arrival_index:
            pairs.append((arrival_index[a], arrival_index[b], na.level))
        elif a in arrival_index and b in resident_cell:
            banned[arrival_index[a]].add(units[resident_cell[b]][na.level])
        elif b in arrival_index and a in resident_cell:
            banned[arrival_index[b]].add(units[resident_cell[a]][na.level])

    values = []
    soft_values = []
    eligible: list[list[int]] = []
    for ai, p in enumerate(arrivals):
        attrs = complete_attributes(p.attributes)
        hv = [_value(kind, rule, p, attrs) for kind, rule, _ in hard]
        sv = [_value("aff", rule, p, attrs) for rule, _ in soft]
        values.append(hv)
        soft_values.append(sv)
        ok = []
        for ci, c in enumerate(cells):
            if c.use != "normal" or free[ci] <= 0 or closed[ci] or not admits(c.attributes, attrs):
                continue
            if p.single_cell and occupied[ci]:
                continue
            if any(units[ci][lv] in banned[ai] for lv in ("cell", "landing", "pavilion", "site")):
                continue
            if any(_clash(v, w) for j, v in enumerate(hv) for w in present[j].get(units[ci][hard[j][2]], ())):
                continue
            ok.append(ci)
        eligible.append(ok)

    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_cell: dict[int, list[int]] = defaultdict(list)
    for ai, ok in enumerate(eligible):
        for ci in ok:
            x[ai, ci] = model.new_bool_var("")
            by_cell[ci].append(ai)
    placed = []
    for ai, ok in enumerate(eligible):
        expr = cp_model.LinearExpr.sum([x[ai, ci] for ci in ok])
        model.add(expr <= 1)
        placed.append(expr)

    objective_terms = []
    penalty = unplaced_penalty(problem)
    for ai in range(len(arrivals)):
        if eligible[ai]:
            objective_terms.append(-penalty * placed[ai])
    constant = penalty * len(arrivals)

    # Capacity and occupancy cost: z[k] = "the cell takes at least k arrivals", in order.
    for ci, who in by_cell.items():
        n = min(free[ci], len(who))
        load = cp_model.LinearExpr.sum([x[ai, ci] for ai in who])
        if n < len(who):
            model.add(load <= n)
        z = [model.new_bool_var("") for _ in range(n)]
        model.add(load == cp_model.LinearExpr.sum(z))
        for k in range(1, n):
            model.add_implication(z[k], z[k - 1])
        r = occupied[ci]
        objective_terms.append(cp_model.LinearExpr.weighted_sum(z, [marginal_cost(cells[ci], r + k + 1) for k in range(n)]))
        # People who must be alone.
        for ai in who:
            if arrivals[ai].single_cell and len(who) > 1:
                others = cp_model.LinearExpr.sum([x[bi, ci] for bi in who if bi != ai])
                model.add(others + free[ci] * x[ai, ci] <= free[ci])

    # Separation and hard affiliation rules among arrivals.
    for j, (_, _, level) in enumerate(hard):
        cells_of_unit: dict[tuple, list[int]] = defaultdict(list)
        for ci in by_cell:
            cells_of_unit[units[ci][level]].append(ci)
        for unit, cis in cells_of_unit.items():
            kinds = {values[ai][j] for ci in cis for ai in by_cell[ci]} - {None}
            if len(kinds) < 2 and _MULTI not in kinds:
                continue
            y = {v: model.new_bool_var("") for v in kinds}
            model.add(cp_model.LinearExpr.sum(list(y.values())) <= 1)
            for ci in cis:
                for v in kinds:
                    who = [x[ai, ci] for ai in by_cell[ci] if values[ai][j] == v]
                    if who:
                        model.add(cp_model.LinearExpr.sum(who) <= min(len(who), free[ci]) * y[v])
            if _MULTI in kinds:
                multi = [x[ai, ci] for ci in cis for ai in by_cell[ci] if values[ai][j] is _MULTI]
                model.add(cp_model.LinearExpr.sum(multi) <= 1)

    # Non-associations between arrivals.
    for a, b, level in pairs:
        if not eligible[a] or not eligible[b]:
            continue
        if level == "site":
            model.add(placed[a] + placed[b] <= 1)
            continue
        ua: dict[tuple, list] = defaultdict(list)
        ub: dict[tuple, list] = defaultdict(list)
        for ci in eligible[a]:
            ua[units[ci][level]].append(x[a, ci])
        for ci in eligible[b]:
            ub[units[ci][level]].append(x[b, ci])
        for unit in ua.keys() & ub.keys():
            model.add(cp_model.LinearExpr.sum(ua[unit] + ub[unit]) <= 1)

    # Preferred pavilion.
    for (ai, ci), var in x.items():
        pref = arrivals[ai].preferred_pavilion
        if pref is not None and cells[ci].pavilion != pref:
            objective_terms.append(PREFERENCE_COST * var)

    # Soft affiliation rules: an arrival pays when a rival (resident or arrival) shares its unit.
    for s, (rule, level) in enumerate(soft):
        cells_of_unit = defaultdict(list)
        for ci in by_cell:
            cells_of_unit[units[ci][level]].append(ci)
        for unit, cis in cells_of_unit.items():
            members: dict[object, list[tuple[int, int]]] = defaultdict(list)
            for ci in cis:
                for ai in by_cell[ci]:
                    v = soft_values[ai][s]
                    if v is not None:
                        members[v].append((ai, ci))
            if not members:
                continue
            here = {v: model.new_bool_var("") for v in members if v is not _MULTI}
            for v, lst in members.items():
                if v is _MULTI:
                    continue
                per_cell: dict[int, list] = defaultdict(list)
                for ai, ci in lst:
                    per_cell[ci].append(x[ai, ci])
                for ci, xs in per_cell.items():
                    model.add(cp_model.LinearExpr.sum(xs) <= len(xs) * here[v])
            residents_here = soft_present[s].get(unit, set())
            person_in: dict[int, list] = defaultdict(list)
            for v, lst in members.items():
                for ai, ci in lst:
                    person_in[ai].append(x[ai, ci])
            for ai, xs in person_in.items():
                v = soft_values[ai][s]
                in_unit = cp_model.LinearExpr.sum(xs)
                if any(_clash(v, w) for w in residents_here):
                    objective_terms.append(AFFILIATION_COST * in_unit)
                    continue
                pay = model.new_bool_var("")
                for w in here:
                    if _clash(v, w):
                        model.add(pay >= in_unit + here[w] - 1)
                if v is _MULTI:
                    for bi, ys in person_in.items():
                        if bi != ai and soft_values[bi][s] is _MULTI:
                            model.add(pay >= in_unit + cp_model.LinearExpr.sum(ys) - 1)
                objective_terms.append(AFFILIATION_COST * pay)

    model.minimize(cp_model.LinearExpr.sum(objective_terms) + constant)
    built = time.perf_counter()
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    status = solver.solve(model)
    name = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(status, "unknown")
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"invalid CP-SAT model: {model.validate()}")

    assignments = {}
    unplaced = {}
    for ai, p in enumerate(arrivals):
        cell = None
        if name != "unknown":
            for ci in eligible[ai]:
                if solver.boolean_value(x[ai, ci]):
                    cell = cells[ci].id
                    break
        if cell is None:
            unplaced[p.id] = "not placed by the CP-SAT model" if name != "unknown" else "no CP-SAT solution within the time limit"
        else:
            assignments[p.id] = cell
    stats = {"seconds": time.perf_counter() - started, "build_seconds": built - started, "status": name,
             "variables": len(x)}
    if name != "unknown":
        stats["objective"] = int(round(solver.objective_value))
        stats["bound"] = int(round(solver.best_objective_bound))
    return Plan.build(problem, assignments, unplaced, **stats), name
