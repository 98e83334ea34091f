"""Input and output of the housing allocation engine: plain frozen dataclasses, no database.

A :class:`Problem` is a site's cells, the people already housed there (residents, each with a
cell), the people to house (arrivals), the open non-associations and the site's separation
policy. A :class:`Plan` gives each arrival a cell, or a reason in plain words why not.
Ids are whatever the caller uses (database ids, prisoner numbers): only equality and hashing are
used.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from habeas.housing.policy import DEFAULT_POLICY, LEVELS, Policy

Id = Hashable


@dataclass(frozen=True)
class Cell:
    id: Id
    code: str
    pavilion: Id | None
    landing: Id | None
    use: str  # normal, segregation, medical, reception
    attributes: Mapping[str, tuple[str, ...]]
    cna: int
    working: int
    max: int
    floor_area_m2: float | None = None

    def capacity(self, use_max: bool = False) -> int:
        return self.max if use_max else self.working

    def unit(self, level: str) -> tuple:
        """The unit of a level that holds this cell, as a hashable key.

        A cell outside any landing is a landing of its own; a cell or landing outside any pavilion
        is a pavilion of its own. So units always nest: cell in landing in pavilion in site.
        """
        if level == "cell":
            return ("cell", self.id)
        if level == "landing":
            if self.landing is None:
                return ("landing", None, ("cell", self.id))
            return ("landing", self.pavilion, self.landing)
        if level == "pavilion":
            if self.pavilion is None:
                return ("pavilion", None, self.unit("landing"))
            return ("pavilion", self.pavilion)
        if level == "site":
            return ("site",)
        raise ValueError(f"unknown level {level!r} (one of {', '.join(LEVELS)})")


@dataclass(frozen=True)
class Person:
    id: Id
    number: str
    attributes: Mapping[str, str]  # sex, legal_status, category, age_group, security_level
    groups: frozenset[str] = frozenset()  # security-threat-group affiliations
    single_cell: bool = False
    preferred_pavilion: Id | None = None


@dataclass(frozen=True)
class NonAssociation:
    a: Id
    b: Id
    level: str  # cell, landing, pavilion, site


@dataclass(frozen=True)
class Problem:
    cells: Sequence[Cell]
    residents: Sequence[tuple[Person, Id]]  # (person, cell id)
    arrivals: Sequence[Person]
    non_associations: Sequence[NonAssociation] = ()
    policy: Policy = DEFAULT_POLICY
    use_max: bool = False  # a supervised override: fill up to max capacity, not working capacity

    def validate(self) -> None:
        """Raise ValueError for a malformed problem (duplicate ids, unknown cells, bad levels)."""
        cell_ids = set()
        for c in self.cells:
            if c.id in cell_ids:
                raise ValueError(f"duplicate cell id {c.id!r}")
            cell_ids.add(c.id)
            if c.cna < 0 or c.working < 0 or c.max < 0:
                raise ValueError(f"cell {c.code}: negative capacity")
        people = set()
        for p, cell_id in self.residents:
            if p.id in people:
                raise ValueError(f"person {p.number} listed twice")
            if cell_id not in cell_ids:
                raise ValueError(f"resident {p.number} is in an unknown cell {cell_id!r}")
            people.add(p.id)
        for p in self.arrivals:
            if p.id in people:
                raise ValueError(f"person {p.number} listed twice")
            people.add(p.id)
        for na in self.non_associations:
            if na.level not in LEVELS:
                raise ValueError(f"non-association level must be one of {', '.join(LEVELS)}, not {na.level!r}")


@dataclass
class Plan:
    assignments: dict[Id, Id]  # arrival id -> cell id
    unplaced: dict[Id, str]  # arrival id -> reason in plain words
    pavilion_before: dict[Id, int] = field(default_factory=dict)  # occupants per pavilion before the plan
    pavilion_after: dict[Id, int] = field(default_factory=dict)  # and after it
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, problem: Problem, assignments: dict[Id, Id], unplaced: dict[Id, str], **stats: Any) -> Plan:
        plan = cls(assignments=assignments, unplaced=unplaced, stats=dict(stats))
        plan.pavilion_before, plan.pavilion_after = pavilion_occupancy(problem, assignments)
        return plan

    @property
    def placed(self) -> int:
        return len(self.assignments)

    def pavilion_changes(self) -> dict[Id, tuple[int, int]]:
        """Pavilion -> (occupants before, occupants after)."""
        keys = list(dict.fromkeys([*self.pavilion_before, *self.pavilion_after]))
        return {k: (self.pavilion_before.get(k, 0), self.pavilion_after.get(k, 0)) for k in keys}


def pavilion_occupancy(problem: Problem, assignments: Mapping[Id, Id]) -> tuple[dict[Id, int], dict[Id, int]]:
    """Occupants per pavilion before and after the assignments (cells outside a pavilion: key None)."""
    pavilion_of = {c.id: c.pavilion for c in problem.cells}
    before: dict[Id, int] = {}
    for c in problem.cells:
        before.setdefault(c.pavilion, 0)
    for _, cell_id in problem.residents:
        pav = pavilion_of.get(cell_id)
        before[pav] = before.get(pav, 0) + 1
    after = dict(before)
    for cell_id in assignments.values():
        pav = pavilion_of.get(cell_id)
        after[pav] = after.get(pav, 0) + 1
    return before, after
