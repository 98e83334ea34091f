"""The independent checker catches every kind of violation in hand-made bad plans, keeps the
residents' own conflicts apart, and costs plans as documented."""

from __future__ import annotations

from habeas.housing.checker import (
    ABOVE_CNA_COST,
    AFFILIATION_COST,
    PREFERENCE_COST,
    check,
    marginal_cost,
    objective,
    objective_parts,
    unplaced_penalty,
)
from habeas.housing.model import NonAssociation, Plan, Problem
from habeas.housing.policy import NO_SEPARATION

from tests.housing.builders import cell, person, policy


def plan(assignments, unplaced=None):
    return Plan(dict(assignments), dict(unplaced or {}))


def kinds(problem, p):
    return check(problem, p).kinds()


def test_a_good_plan_passes():
    cells = [cell("A", cna=2), cell("B", landing="L2", cna=2)]
    pr = Problem(cells, [(person(1), "A")], [person(2), person(3, status="convicted")])
    report = check(pr, plan({2: "A", 3: "B"}))
    assert report.ok and not report.pre_existing


def test_capacity():
    pr = Problem([cell("A", cna=1, working=2, maximum=3)], [(person(1), "A")], [person(2), person(3)], policy=NO_SEPARATION)
    assert kinds(pr, plan({2: "A", 3: "A"})) == {"capacity"}
    assert check(Problem(pr.cells, pr.residents, pr.arrivals, policy=NO_SEPARATION, use_max=True), plan({2: "A", 3: "A"})).ok
    assert kinds(pr, plan({2: "A"}, {3: "no room"})) == set()


def test_use_and_restricting_attributes():
    cells = [cell("S", use="segregation"), cell("F", "P2", attrs={"sex": ("female",), "regime": ("open",)})]
    pr = Problem(cells, [], [person(1), person(2, sex="female")])
    assert kinds(pr, plan({1: "S", 2: "F"})) == {"use"}
    assert kinds(pr, plan({1: "F", 2: "F"})) == {"restriction", "separation"}


def test_separation_rules_and_pre_existing_mixing():
    cells = [cell("A", "P1", "L1"), cell("B", "P1", "L1"), cell("C", "P2", "L1"), cell("D", "P1", "L2")]
    residents = [(person(1, status="remand"), "A"), (person(2, status="convicted"), "A")]
    pr = Problem(cells, residents, [person(3, status="remand"), person(4, sex="female")])
    report = check(pr, plan({3: "C", 4: "D"}))
    # The residents' own mixing is the register's past; the woman on a men's pavilion is the plan's.
    assert [v.kind for v in report.violations] == ["separation"]
    assert "sex rule (pavilion)" in report.violations[0].message
    assert [v.kind for v in report.pre_existing] == ["separation"]
    assert kinds(pr, plan({3: "B"}, {4: "x"})) == {"separation"}  # remand arrival joins a mixed landing


def test_civil_criminal_and_age():
    cells = [cell("A", cna=3), cell("B", "P2", cna=3)]
    pr = Problem(cells, [], [person(1, status="civil"), person(2, status="remand"), person(3, age="under_18")])
    assert kinds(pr, plan({1: "A", 2: "A"}, {3: "x"})) == {"separation"}
    assert kinds(pr, plan({1: "A", 2: "B", 3: "B"})) == {"separation"}
    assert check(pr, plan({1: "A", 2: "B"}, {3: "x"})).ok


def test_affiliation_rules():
    cells = [cell("A", landing="L1", cna=3), cell("B", landing="L1", cna=3)]
    hard = Problem(cells, [(person(1, groups=["MS-13"]), "A")], [person(2, groups=["Barrio 18"])], policy=policy("require", "landing"))
    assert kinds(hard, plan({2: "B"})) == {"affiliation"}
    cell_level = Problem(cells, hard.residents, hard.arrivals, policy=policy("require", "cell"))
    assert check(cell_level, plan({2: "B"})).ok
    assert kinds(cell_level, plan({2: "A"})) == {"affiliation"}
    both = Problem(cells, [], [person(3, groups=["MS-13", "Barrio 18"]), person(4, groups=["MS-13", "Barrio 18"])],
                   policy=policy("require", "cell"))
    assert kinds(both, plan({3: "A", 4: "A"})) == {"affiliation"}
    soft = Problem(cells, hard.residents, hard.arrivals, policy=policy("prefer", "landing"))
    assert check(soft, plan({2: "B"})).ok  # soft: a cost, not a violation


def test_non_associations():
    cells = [cell("A", "P1", "L1"), cell("B", "P1", "L1"), cell("C", "P1", "L2"), cell("D", "P2", "L1")]
    residents = [(person(1), "A"), (person(9), "D")]
    arrivals = [person(2), person(3)]
    nas = [NonAssociation(1, 2, "landing"), NonAssociation(2, 3, "cell"), NonAssociation(1, 9, "site"), NonAssociation(2, 77, "site")]
    pr = Problem(cells, residents, arrivals, nas, NO_SEPARATION)
    assert kinds(pr, plan({2: "B", 3: "C"})) == {"non_association"}
    assert kinds(pr, plan({2: "C", 3: "C"})) == {"non_association"}
    report = check(pr, plan({2: "C", 3: "D"}))
    assert report.ok and [v.kind for v in report.pre_existing] == ["non_association"]  # 1 and 9, both residents
    site = Problem(cells, residents, arrivals, [NonAssociation(9, 3, "site")], NO_SEPARATION)
    assert kinds(site, plan({2: "C", 3: "B"})) == {"non_association"}


def test_single_cell():
    cells = [cell("A", cna=4), cell("B", cna=4)]
    pr = Problem(cells, [(person(1, single=True), "A")], [person(2), person(3, single=True), person(4)], policy=NO_SEPARATION)
    assert kinds(pr, plan({2: "A", 3: "B", 4: "B"})) == {"single_cell"}
    assert check(pr, plan({2: "B", 4: "B"}, {3: "single cell needed"})).ok
    lonely = Problem(cells, [(person(1, single=True), "A"), (person(5), "A")], [], policy=NO_SEPARATION)
    assert [v.kind for v in check(lonely, plan({})).pre_existing] == ["single_cell"]


def test_the_plan_accounts_for_every_arrival():
    pr = Problem([cell("A", cna=4)], [], [person(1), person(2), person(3)], policy=NO_SEPARATION)
    assert kinds(pr, plan({1: "A", 2: "A"})) == {"plan"}  # 3 is missing
    assert kinds(pr, plan({1: "A", 2: "A", 3: "A"}, {3: "why"})) == {"plan"}
    assert kinds(pr, plan({1: "A", 2: "A", 3: "Z"})) == {"plan"}
    assert kinds(pr, plan({1: "A", 2: "A"}, {3: ""})) == {"plan"}
    assert kinds(pr, plan({1: "A", 2: "A", 3: "A", 99: "A"})) == {"plan"}


def test_objective_by_hand():
    a = cell("A", "P1", cna=2, working=4, area=10.0)
    b = cell("B", "P2", cna=2, working=4, area=None)  # costed as 4 m2 per cna place: 8 m2
    assert [marginal_cost(a, k) for k in (1, 2, 3)] == [100, 200, 300 + ABOVE_CNA_COST]
    assert marginal_cost(b, 1) == 125
    arrivals = [person(2, pref="P2"), person(3), person(4, groups=["MS-13"])]
    pr = Problem([a, b], [(person(1, groups=["Barrio 18"]), "A")], arrivals, policy=policy("prefer", "cell"))
    p = plan({2: "A", 4: "A"}, {3: "x"})
    parts = objective_parts(pr, p)
    assert parts["space"] == 200 + 300
    assert parts["above_cna"] == ABOVE_CNA_COST
    assert parts["preference"] == PREFERENCE_COST
    assert parts["affiliation"] == AFFILIATION_COST  # arrival 4 shares with a Barrio 18 resident
    assert parts["unplaced"] == unplaced_penalty(pr)
    assert objective(pr, p) == parts["total"] == sum(parts[k] for k in ("unplaced", "space", "above_cna", "affiliation", "preference"))
    # The penalty outweighs anything the other terms can add up to.
    everything = plan({2: "B", 3: "A", 4: "A"})
    assert objective_parts(pr, everything)["soft"] < unplaced_penalty(pr)
