"""Property tests: whatever the site, the people and the policy, the engine's plan breaks no hard
constraint, fills no cell beyond its capacity, and places or explains every arrival."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habeas.housing.checker import check, objective
from habeas.housing.model import Cell, NonAssociation, Person, Problem
from habeas.housing.policy import DIMENSIONS, LEVELS, AffiliationRule, Policy, SeparationRule
from habeas.housing.solver import solve

GROUPS = ("MS-13", "Barrio 18", "Mara X")
levels = st.sampled_from(LEVELS + ("none",))


@st.composite
def problems(draw):
    n_cells = draw(st.integers(0, 8))
    cells = []
    for i in range(n_cells):
        pavilion = draw(st.sampled_from(("P1", "P2", None)))
        landing = draw(st.sampled_from(("L1", "L2", None)))
        use = draw(st.sampled_from(("normal", "normal", "normal", "segregation", "medical")))
        attrs = {}
        if draw(st.booleans()):
            attrs["sex"] = tuple(draw(st.sets(st.sampled_from(("male", "female", "other")), min_size=1)))
        if draw(st.integers(0, 4)) == 0:
            attrs["legal_status"] = tuple(draw(st.sets(st.sampled_from(("remand", "convicted", "civil", "immigration")), min_size=1)))
        if draw(st.booleans()):
            attrs["regime"] = ("open",)
        cna = draw(st.integers(0, 4))
        working = cna + draw(st.integers(0, 3))
        maximum = working + draw(st.integers(0, 2))
        area = draw(st.one_of(st.none(), st.floats(1.0, 40.0)))
        cells.append(Cell(f"C{i}", f"C{i}", pavilion, landing, use, attrs, cna, working, maximum, area))

    def people(first, count):
        out = []
        for i in range(first, first + count):
            attrs = {"sex": draw(st.sampled_from(("male", "male", "female", "other")))}
            status = draw(st.sampled_from(("remand", "convicted", "civil", "immigration", None)))
            if status:
                attrs["legal_status"] = status
            age = draw(st.sampled_from(("adult", "adult", "under_18", None)))
            if age:
                attrs["age_group"] = age
            groups = frozenset(draw(st.sets(st.sampled_from(GROUPS), max_size=2)))
            pref = draw(st.sampled_from((None, None, "P1", "P2")))
            out.append(Person(i, f"N{i}", attrs, groups, draw(st.integers(0, 9)) == 0, pref))
        return out

    residents = []
    if cells:
        for p in people(1, draw(st.integers(0, 12))):
            residents.append((p, draw(st.sampled_from([c.id for c in cells]))))
    arrivals = people(100, draw(st.integers(0, 14)))
    ids = [p.id for p, _ in residents] + [p.id for p in arrivals] + [999]
    nas = [NonAssociation(draw(st.sampled_from(ids)), draw(st.sampled_from(ids)), draw(st.sampled_from(LEVELS)))
           for _ in range(draw(st.integers(0, 6)))]
    rules = tuple(SeparationRule(d, draw(levels)) for d in DIMENSIONS)
    affiliations = tuple(
        AffiliationRule(f"rule {k}", tuple(draw(st.lists(st.sampled_from(GROUPS), min_size=2, max_size=3, unique=True))),
                        draw(levels), draw(st.sampled_from(("require", "prefer"))))
        for k in range(draw(st.integers(0, 2))))
    return Problem(cells, residents, arrivals, nas, Policy(rules, affiliations), use_max=draw(st.booleans()))


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems())
def test_plans_are_valid_and_complete(problem):
    plan = solve(problem)
    report = check(problem, plan)
    assert report.ok, report.violations
    arrivals = {p.id for p in problem.arrivals}
    assert set(plan.assignments) | set(plan.unplaced) == arrivals
    assert not set(plan.assignments) & set(plan.unplaced)
    assert all(isinstance(r, str) and r.strip() and not r.startswith("no bed left") for r in plan.unplaced.values())
    # No cell above its capacity, whatever the residents already there.
    cells = {c.id: c for c in problem.cells}
    before = Counter(cid for _, cid in problem.residents)
    after = before + Counter(plan.assignments.values())
    for cid, n in Counter(plan.assignments.values()).items():
        assert cells[cid].use == "normal"
        assert after[cid] <= cells[cid].capacity(problem.use_max)
    assert objective(problem, plan) >= 0


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems())
def test_the_engine_does_not_lose_to_its_own_first_pass(problem):
    """The improvements only ever lower the cost: the full engine is never worse than greedy alone."""
    full = solve(problem)
    greedy = solve(problem, improve=False, variants=1)
    assert check(problem, greedy).ok
    assert objective(problem, full) <= objective(problem, greedy)
