"""The allocation engine: each hard constraint, each soft goal, each reason, on hand-made sites;
then the benchmark instances in small."""

from __future__ import annotations

from collections import Counter

import pytest

from habeas.housing.checker import check, objective_parts
from habeas.housing.instances import empty_instance, reference_instance
from habeas.housing.model import NonAssociation, Problem
from habeas.housing.policy import NO_SEPARATION
from habeas.housing.solver import solve

from tests.housing.builders import cell, person, policy


def solved(problem: Problem):
    plan = solve(problem)
    report = check(problem, plan)
    assert report.ok, report.violations
    assert set(plan.assignments) | set(plan.unplaced) == {p.id for p in problem.arrivals}
    assert not set(plan.assignments) & set(plan.unplaced)
    assert all(isinstance(r, str) and r for r in plan.unplaced.values())
    return plan


def occupancy(problem: Problem, plan) -> Counter:
    n = Counter(cid for _, cid in problem.residents)
    n.update(plan.assignments.values())
    return n


# --- hard constraints ---------------------------------------------------------------------------

def test_working_capacity_and_the_max_override():
    cells = [cell("A", cna=2, working=3, maximum=5)]
    arrivals = [person(i) for i in range(1, 7)]
    plan = solved(Problem(cells, [(person(99), "A")], arrivals, policy=NO_SEPARATION))
    assert plan.placed == 2
    assert set(plan.unplaced.values()) == {"no bed for male remand prisoners: 6 needed, 2 free"}
    plan = solved(Problem(cells, [(person(99), "A")], arrivals, policy=NO_SEPARATION, use_max=True))
    assert plan.placed == 4
    assert occupancy(Problem(cells, [(person(99), "A")], arrivals), plan)["A"] == 5


def test_only_normal_cells():
    cells = [cell(c, use=use) for c, use in (("S", "segregation"), ("M", "medical"), ("R", "reception"))]
    plan = solved(Problem(cells, [], [person(1)]))
    assert plan.unplaced == {1: "no normal cell with capacity at this site"}
    plan = solved(Problem(cells + [cell("N", cna=1)], [], [person(1)]))
    assert plan.assignments == {1: "N"}


def test_restricting_location_attributes():
    cells = [cell("M", "P1", attrs={"sex": ("male",), "regime": ("open",)}),
             cell("F", "P2", attrs={"sex": ("female",), "legal_status": ("remand",)})]
    arrivals = [person(1), person(2, sex="female"), person(3, sex="female", status="convicted"), person(4, status="convicted")]
    plan = solved(Problem(cells, [], arrivals, policy=NO_SEPARATION))
    assert plan.assignments == {1: "M", 2: "F", 4: "M"}
    assert plan.unplaced == {3: "no normal cell takes female convicted prisoners (sex female, legal status convicted)"}


def test_sex_is_kept_apart_at_pavilion_level():
    cells = [cell("A", "P1", "L1", cna=4), cell("B", "P1", "L2", cna=4), cell("C", "P2", "L1", cna=4)]
    arrivals = [person(1), person(2), person(3, sex="female"), person(4, sex="female")]
    plan = solved(Problem(cells, [], arrivals))
    pav = {"A": "P1", "B": "P1", "C": "P2"}
    assert {pav[plan.assignments[1]], pav[plan.assignments[2]]} != {pav[plan.assignments[3]]}
    assert pav[plan.assignments[3]] == pav[plan.assignments[4]]


def test_untried_and_convicted_are_kept_apart_by_landing():
    cells = [cell("A", "P1", "L1", cna=4), cell("B", "P1", "L2", cna=4)]
    residents = [(person(90, status="convicted"), "A")]
    plan = solved(Problem(cells, residents, [person(1, status="remand"), person(2, status="convicted")]))
    assert plan.assignments == {1: "B", 2: "A"}
    plan = solved(Problem(cells, residents + [(person(91, status="remand"), "B")], [person(1, status="civil")]))
    assert plan.unplaced == {1: "no bed for male civil prisoners: 1 needed, 0 free; every cell with room is "
                                "on a landing holding criminal prisoners"}


def test_civil_prisoners_and_under_18s():
    cells = [cell("A", "P1", "L1", cna=4), cell("B", "P1", "L2", cna=4), cell("C", "P2", "L1", cna=4)]
    arrivals = [person(1, status="civil"), person(2, status="remand"), person(3, age="under_18"), person(4, status="immigration")]
    plan = solved(Problem(cells, [], arrivals))
    assert plan.placed == 4
    assert plan.assignments[1] == plan.assignments[4] != plan.assignments[2]
    assert plan.assignments[3] == "C"


def test_hard_affiliation_rule():
    cells = [cell("A", "P1", "L1", cna=4), cell("B", "P1", "L2", cna=4)]
    residents = [(person(90, groups=["MS-13"]), "A")]
    arrivals = [person(1, groups=["Barrio 18"]), person(2, groups=["MS-13"]), person(3, groups=["MS-13", "Barrio 18"])]
    plan = solved(Problem(cells, residents, arrivals, policy=policy("require", "landing")))
    assert plan.assignments[1] == "B" and plan.assignments[2] == "A"
    assert plan.unplaced[3].startswith("no bed for male remand prisoners (Barrio 18, MS-13): 1 needed, 4 free; "
                                       "every cell with room is on a landing holding members of")


def test_soft_affiliation_rule_is_a_cost_not_a_wall():
    cells = [cell("A", "P1", "L1", cna=4)]
    residents = [(person(90, groups=["MS-13"]), "A")]
    pr = Problem(cells, residents, [person(1, groups=["Barrio 18"])], policy=policy("prefer", "landing"))
    plan = solved(pr)
    assert plan.assignments == {1: "A"}
    assert objective_parts(pr, plan)["affiliation"] == 3000
    # With a choice, rivals are kept apart even at a higher space cost.
    cells = [cell("A", "P1", "L1", cna=4, area=40.0), cell("B", "P1", "L2", cna=4, area=8.0)]
    plan = solved(Problem(cells, residents, [person(1, groups=["Barrio 18"])], policy=policy("prefer", "landing")))
    assert plan.assignments == {1: "B"}


def test_non_associations_at_each_level():
    cells = [cell("A", "P1", "L1", cna=4), cell("B", "P1", "L1", cna=4), cell("C", "P1", "L2", cna=4), cell("D", "P2", "L1", cna=4)]
    residents = [(person(90), "A")]

    def where(level):
        pr = Problem(cells, residents, [person(1)], [NonAssociation(90, 1, level)], NO_SEPARATION)
        return solved(pr)

    assert where("cell").assignments[1] != "A"
    assert where("landing").assignments[1] not in ("A", "B")
    assert where("pavilion").assignments[1] == "D"
    assert where("site").unplaced == {1: "site-level non-association with N90, held at this site"}
    # Between two arrivals, at site level: one is housed, the other explained.
    pr = Problem(cells, [], [person(1), person(2)], [NonAssociation(1, 2, "site")], NO_SEPARATION)
    plan = solved(pr)
    assert plan.placed == 1
    (other, reason), = plan.unplaced.items()
    assert reason == f"site-level non-association with N{3 - other}, housed by this plan"
    # People held elsewhere (unknown ids) are not this site's concern.
    plan = solved(Problem(cells, [], [person(1)], [NonAssociation(1, 12345, "site")], NO_SEPARATION))
    assert plan.placed == 1


def test_non_association_reason_names_the_partner():
    cells = [cell("A", "P1", "L1", cna=4), cell("B", "P1", "L1", cna=4), cell("C", "P2", "L1", cna=4)]
    residents = [(person(90, number="H0001234K"), "A"), (person(91, sex="female"), "C")]
    plan = solved(Problem(cells, residents, [person(1)], [NonAssociation(1, 90, "landing")]))
    assert plan.unplaced == {1: "every cell with room is on a landing holding H0001234K, with whom a landing-level non-association is open"}


def test_single_cells():
    cells = [cell("A", cna=2), cell("B", landing="L2", cna=2), cell("C", landing="L3", cna=2)]
    residents = [(person(90, single=True), "A")]
    plan = solved(Problem(cells, residents, [person(1, single=True), person(2), person(3)], policy=NO_SEPARATION))
    single_cell = plan.assignments[1]
    assert single_cell in ("B", "C")
    assert all(plan.assignments[p] not in ("A", single_cell) for p in (2, 3))
    plan = solved(Problem(cells, residents + [(person(91), "B"), (person(92), "C")], [person(1, single=True)], policy=NO_SEPARATION))
    assert plan.unplaced == {1: "single cell needed: no empty normal cell left"}


def test_cells_outside_landings_and_pavilions():
    cells = [cell("A", None, None, cna=2), cell("B", None, None, cna=2), cell("C", "P1", None, cna=2)]
    residents = [(person(90, status="convicted"), "A")]
    plan = solved(Problem(cells, residents, [person(1), person(2), person(3, status="convicted")]))
    assert plan.placed == 3 and plan.assignments[3] == "A"


def test_empty_and_hopeless_problems_are_reported_not_raised():
    assert solved(Problem([], [], [person(1)])).unplaced == {1: "no normal cell with capacity at this site"}
    assert solved(Problem([cell("A")], [], [])).assignments == {}
    full = Problem([cell("A", cna=1)], [(person(90), "A")], [person(1), person(2)])
    assert solved(full).unplaced == {1: "no bed for male remand prisoners: 2 needed, 0 free",
                                     2: "no bed for male remand prisoners: 2 needed, 0 free"}


def test_malformed_problems_raise():
    with pytest.raises(ValueError, match="unknown cell"):
        solve(Problem([cell("A")], [(person(1), "Z")], []))
    with pytest.raises(ValueError, match="listed twice"):
        solve(Problem([cell("A")], [(person(1), "A")], [person(1)]))
    with pytest.raises(ValueError, match="duplicate cell"):
        solve(Problem([cell("A"), cell("A")], [], []))
    with pytest.raises(ValueError, match="non-association level"):
        solve(Problem([cell("A")], [], [person(1)], [NonAssociation(1, 2, "wing")]))


def test_residents_already_in_conflict_do_not_stop_the_plan():
    cells = [cell("A", cna=4), cell("B", "P2", cna=4)]
    residents = [(person(90, status="remand"), "A"), (person(91, status="convicted"), "A"), (person(92, single=True), "B"),
                 (person(93), "B")]
    pr = Problem(cells, residents, [person(1, status="convicted")], [NonAssociation(90, 91, "cell")])
    plan = solved(pr)
    assert plan.placed == 0
    assert check(pr, plan).pre_existing


# --- soft goals ---------------------------------------------------------------------------------

def test_people_are_spread_by_floor_area():
    cells = [cell("A", cna=10, area=20.0), cell("B", landing="L2", cna=10, area=10.0), cell("C", landing="L3", cna=10, area=10.0)]
    pr = Problem(cells, [], [person(i) for i in range(8)], policy=NO_SEPARATION)
    n = occupancy(pr, solved(pr))
    assert (n["A"], n["B"], n["C"]) == (4, 2, 2)


def test_cells_go_above_cna_last():
    cells = [cell("A", cna=2, working=6, area=40.0), cell("B", landing="L2", cna=4, working=6, area=8.0)]
    pr = Problem(cells, [], [person(i) for i in range(6)], policy=NO_SEPARATION)
    n = occupancy(pr, solved(pr))
    assert (n["A"], n["B"]) == (2, 4)


def test_preferred_pavilion():
    cells = [cell("A", "P1", cna=4), cell("B", "P2", cna=4)]
    pr = Problem(cells, [], [person(1, pref="P2"), person(2, pref="P1"), person(3)], policy=NO_SEPARATION)
    plan = solved(pr)
    assert plan.assignments[1] == "B" and plan.assignments[2] == "A"
    assert objective_parts(pr, plan)["preference"] == 0


def test_empty_landings_go_to_the_kinds_that_need_them():
    # Two empty landings of 10 beds and ten remand and ten convicted arrivals: one landing each.
    cells = [cell(f"{l}{i}", "P1", l, cna=2, working=2) for l in ("L1", "L2") for i in range(5)]
    arrivals = [person(i, status="remand" if i % 2 else "convicted") for i in range(20)]
    plan = solved(Problem(cells, [], arrivals))
    assert plan.placed == 20


def test_plan_helpers_and_determinism():
    cells = [cell("A", "P1", cna=4), cell("B", "P2", cna=4)]
    pr = Problem(cells, [(person(90), "A")], [person(1), person(2), person(3)], policy=NO_SEPARATION)
    plan = solved(pr)
    assert plan.pavilion_before == {"P1": 1, "P2": 0}
    assert sum(plan.pavilion_after.values()) == 4
    assert plan.pavilion_changes()["P1"][0] == 1
    assert solve(pr).assignments == plan.assignments


# --- the benchmark instances, in small ------------------------------------------------------------

def test_reference_instance_small():
    pr = reference_instance(seed=1, residents=1500, arrivals=300, non_associations=300)
    assert len(pr.residents) == 1500 and len(pr.arrivals) == 300
    plan = solved(pr)
    assert plan.placed >= 280
    # Those left out are kept out by a non-association or need a cell of their own.
    assert all(r.startswith(("site-level non-association", "single cell needed", "every cell with room"))
               for r in plan.unplaced.values()), plan.unplaced


def test_reference_instance_full_size():
    pr = reference_instance(seed=0)
    assert len(pr.residents) == 15_000 and len(pr.arrivals) == 2_000 and len(pr.non_associations) == 2_000
    assert sum(c.use == "normal" for c in pr.cells) == 512
    plan = solved(pr)
    assert plan.placed >= 1_950
    assert all(r.startswith(("site-level non-association", "single cell needed")) for r in plan.unplaced.values())


def test_empty_instance_small():
    pr = empty_instance(arrivals=4_000)
    plan = solved(pr)
    assert plan.placed == 4_000
    n = occupancy(pr, plan)
    assert max(n.values()) - min(n.values()) <= 2  # spread evenly over the 512 cells
