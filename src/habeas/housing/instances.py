"""Housing problems built in memory, reproducible from a seed: the benchmark's instances.

The cells follow layouts/reference-complex.yaml: 8 pavilions of 2 landings of 32 cells
(100 m², cna 25, working = max = 80), 512 normal cells for men, plus 4 punishment cells
(segregation, 6 m², one place) per pavilion.

``reference_instance``: 15,000 residents, 2,000 arrivals, 2,000 non-associations at mixed levels,
the default separation policy and, optionally, a landing-level rule keeping MS-13 and Barrio 18
apart. Residents are housed as the policy wants: each occupied landing holds one category
(remand or convicted) and one gang (members of the other gang never share it); the last two
pavilions are empty.

``empty_instance``: the same complex, empty, and 40,000 arrivals.
"""

from __future__ import annotations

import random

from habeas.housing.model import Cell, NonAssociation, Person, Problem
from habeas.housing.policy import DEFAULT_POLICY, AffiliationRule, Policy
from habeas.prisoners.numbers import format_number

GANGS = ("MS-13", "Barrio 18")
RIVAL_GANGS = AffiliationRule(name="rival gangs", groups=GANGS, level="landing", enforce="require")
NA_LEVELS = (("cell", 0.40), ("landing", 0.35), ("pavilion", 0.20), ("site", 0.05))


def complex_cells(pavilions: int = 8, landings: int = 2, cells_per_landing: int = 32, area: float = 100.0,
                  cna: int = 25, working: int = 80, maximum: int = 80, punishment_cells: int = 4) -> list[Cell]:
    attrs = {"sex": ("male",), "regime": ("maximum_security",)}
    out = []
    for p in range(1, pavilions + 1):
        pav = f"P{p}"
        for l in range(1, landings + 1):
            landing = f"{pav}-{l}"
            for c in range(1, cells_per_landing + 1):
                code = f"{landing}-C{c:02d}"
                out.append(Cell(code, code, pav, landing, "normal", attrs, cna, working, maximum, area))
        for s in range(1, punishment_cells + 1):
            code = f"{pav}-SEG-S{s}"
            out.append(Cell(code, code, pav, None, "segregation", attrs, 1, 1, 1, 6.0))
    return out


def _pick(rng: random.Random, weighted: tuple[tuple[object, float], ...]):
    r = rng.random()
    for value, w in weighted:
        r -= w
        if r < 0:
            return value
    return weighted[-1][0]


def _person(rng: random.Random, n: int, status: str, gang: str | None, *, single_cell: bool = False,
            preferred: str | None = None) -> Person:
    attrs = {"sex": "male", "legal_status": status, "category": "untried" if status == "remand" else status,
             "age_group": "adult", "security_level": "maximum" if gang else _pick(rng, (("high", 0.5), ("medium", 0.5)))}
    return Person(n, format_number(n), attrs, frozenset([gang]) if gang else frozenset(), single_cell, preferred)


def _arrivals(rng: random.Random, first: int, count: int, remand_share: float, single_share: float,
              pavilions: int, preferred_share: float = 0.05) -> list[Person]:
    out = []
    for i in range(count):
        status = "remand" if rng.random() < remand_share else "convicted"
        gang = _pick(rng, (("MS-13", 0.5), ("Barrio 18", 0.4), (None, 0.1)))
        preferred = f"P{rng.randint(1, pavilions)}" if rng.random() < preferred_share else None
        out.append(_person(rng, first + i, status, gang, single_cell=rng.random() < single_share, preferred=preferred))
    return out


def reference_instance(seed: int = 0, residents: int = 15_000, arrivals: int = 2_000, non_associations: int = 2_000,
                       affiliation_rule: bool = True) -> Problem:
    rng = random.Random(seed)
    cells = complex_cells()
    normal = [c for c in cells if c.use == "normal"]
    seg = [c for c in cells if c.use == "segregation"]
    by_landing: dict[str, list[Cell]] = {}
    for c in normal:
        by_landing.setdefault(c.landing, []).append(c)
    landings = list(by_landing)
    # Occupied landings (pavilions 1-6) and what each holds: (legal status, gang).
    plan = [("remand", "MS-13")] * 5 + [("remand", "Barrio 18")] * 4 + [("convicted", "MS-13")] * 2 + [("convicted", "Barrio 18")]
    occupied = landings[: len(plan)]
    weights = [1.0 + rng.random() for _ in occupied]  # landings are not all equally full
    total_w = sum(weights)

    housed: list[tuple[Person, object]] = []
    n = 1
    # A few residents who must be alone are held in the punishment cells.
    for c in seg[: min(len(seg), residents // 1000)]:
        housed.append((_person(rng, n, "remand", rng.choice(GANGS), single_cell=True), c.id))
        n += 1
    remaining = residents - len(housed)
    for idx, landing in enumerate(occupied):
        status, gang = plan[idx]
        share = remaining if idx == len(occupied) - 1 else int(round(residents * weights[idx] / total_w))
        share = min(share, remaining, sum(c.working for c in by_landing[landing]))
        remaining -= share
        cells_here = by_landing[landing]
        fill = [0] * len(cells_here)
        for _ in range(share):
            while True:
                k = rng.randrange(len(cells_here))
                if fill[k] < cells_here[k].working:
                    break
            fill[k] += 1
            member = gang if rng.random() < 0.9 else None
            housed.append((_person(rng, n, status, member), cells_here[k].id))
            n += 1
    # Whatever did not fit the plan (tiny instances, or more residents than the occupied landings take).
    spare = [c for c in normal if c.landing not in occupied]
    k = 0
    while remaining > 0 and k < len(spare):
        c = spare[k]
        for _ in range(min(c.working, remaining)):
            housed.append((_person(rng, n, "remand", None), c.id))
            n += 1
            remaining -= 1
        k += 1

    arrived = _arrivals(rng, n, arrivals, 0.8, 0.005, 8)
    people = [p.id for p, _ in housed] + [p.id for p in arrived]
    nas = []
    pairs = set()
    while len(nas) < non_associations and len(people) >= 2:
        a, b = rng.sample(people, 2)
        if rng.random() < 0.02:
            b = 10_000_000 + len(nas)  # someone held elsewhere: not this site's concern
        key = (min(a, b), max(a, b))
        if key in pairs:
            continue
        pairs.add(key)
        nas.append(NonAssociation(a, b, _pick(rng, NA_LEVELS)))
    policy = Policy(DEFAULT_POLICY.rules, (RIVAL_GANGS,) if affiliation_rule else ())
    return Problem(cells, housed, arrived, nas, policy)


def empty_instance(arrivals: int = 40_000, seed: int = 0, affiliation_rule: bool = False,
                   remand_share: float = 0.75, single_cell_share: float = 0.0) -> Problem:
    """The empty complex and ``arrivals`` people (a quarter of them convicted, by default, so that
    whole landings of each category can hold everybody)."""
    rng = random.Random(seed)
    cells = complex_cells()
    arrived = _arrivals(rng, 1, arrivals, remand_share, single_cell_share, 8)
    policy = Policy(DEFAULT_POLICY.rules, (RIVAL_GANGS,) if affiliation_rule else ())
    return Problem(cells, [], arrived, [], policy)
