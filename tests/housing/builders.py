"""Small housing problems for the tests, built from a seed."""

from __future__ import annotations

import random

from habeas.housing.model import Cell, NonAssociation, Person, Problem
from habeas.housing.policy import DEFAULT_POLICY, AffiliationRule, Policy, SeparationRule

GANGS = ("MS-13", "Barrio 18")


def cell(id, pavilion="P1", landing="L1", *, use="normal", attrs=None, cna=2, working=None, maximum=None, area=10.0, code=None):
    working = cna if working is None else working
    maximum = working if maximum is None else maximum
    return Cell(id, code or str(id), pavilion, landing, use, attrs or {}, cna, working, maximum, area)


def person(id, sex="male", status="remand", age="adult", *, groups=(), single=False, pref=None, number=None):
    attrs = {"sex": sex, "legal_status": status, "age_group": age}
    return Person(id, number or f"N{id}", attrs, frozenset(groups), single, pref)


def policy(affiliation: str | None = None, level: str = "landing", **levels) -> Policy:
    rules = tuple(SeparationRule(r.dimension, levels.get(r.dimension, r.level)) for r in DEFAULT_POLICY.rules)
    aff = (AffiliationRule("rival gangs", GANGS, level, affiliation),) if affiliation else ()
    return Policy(rules, aff)


def small_instance(seed: int, *, arrivals: tuple[int, int] = (30, 60), cells: tuple[int, int] = (10, 20),
                   soft: bool | None = None) -> Problem:
    """A random small site: 1-2 pavilions, residents, arrivals of mixed kinds, some non-associations."""
    rng = random.Random(seed)
    n_cells = rng.randint(*cells)
    n_pav = rng.choice((1, 2))
    landings = [(f"P{p}", f"P{p}-L{l}") for p in range(1, n_pav + 1) for l in range(1, rng.choice((2, 3)) + 1)]
    female_pav = "P2" if n_pav == 2 and rng.random() < 0.4 else None
    out = []
    for i in range(n_cells):
        pav, landing = landings[i % len(landings)]
        area = rng.choice((8.0, 10.0, 12.0, 16.0, 20.0))
        cna = max(1, int(area // 4))
        working = cna + rng.randint(0, 3)
        attrs = {"sex": ("female",) if pav == female_pav else ("male",)} if female_pav else {}
        out.append(cell(f"C{i}", pav, landing, attrs=attrs, cna=cna, working=working, maximum=working + rng.randint(0, 2), area=area))
    capacity = sum(c.working for c in out)
    residents = []
    pid = 1
    for c in out:
        if rng.random() < 0.5:
            continue
        n = rng.randint(0, max(0, c.cna - 1))
        sex = "female" if c.pavilion == female_pav else "male"
        status = rng.choice(("remand", "convicted"))
        gang = rng.choice(GANGS + (None,))
        for _ in range(n):
            residents.append((person(pid, sex, status, groups=[gang] if gang and rng.random() < 0.8 else []), c.id))
            pid += 1
    room = capacity - len(residents)
    n_arr = min(rng.randint(*arrivals), max(1, int(room * 0.8)))
    arr = []
    for _ in range(n_arr):
        sex = "female" if female_pav and rng.random() < 0.25 else "male"
        status = rng.choice(("remand", "remand", "convicted", "civil"))
        gang = rng.choice(GANGS + (None, None))
        pref = rng.choice([None, None, None, "P1", "P2"][: 3 + n_pav])
        arr.append(person(pid, sex, status, groups=[gang] if gang else [], pref=pref))
        pid += 1
    ids = [p.id for p, _ in residents] + [p.id for p in arr]
    nas = []
    for _ in range(rng.randint(2, 8)):
        a, b = rng.sample(ids, 2)
        nas.append(NonAssociation(a, b, rng.choice(("cell", "cell", "landing", "pavilion"))))
    if soft is None:
        soft = rng.random() < 0.5
    pol = policy("prefer", rng.choice(("cell", "landing"))) if soft else policy("require", "landing")
    return Problem(out, residents, arr, nas, pol)


def gap_instance(seed: int, civil: float = 0.25) -> Problem:
    """A small site as housing policy keeps it (residents separated as the policy wants), with
    room for the arrivals, non-associations, preferences and, half of the time, a soft gang rule."""
    rng = random.Random(seed)
    n_pav = rng.choice((1, 2))
    per_pav = rng.choice((2, 3))
    landings = [(f"P{p}", f"P{p}-L{l}") for p in range(1, n_pav + 1) for l in range(1, per_pav + 1)]
    n_cells = rng.randint(10, 20)
    cells_ = []
    for i in range(n_cells):
        pav, landing = landings[i % len(landings)]
        area = rng.choice((8.0, 10.0, 12.0, 16.0, 20.0, 24.0))
        cna = max(1, int(area // 4))
        working = cna + rng.randint(0, 3)
        cells_.append(cell(f"C{i}", pav, landing, cna=cna, working=working, maximum=working + 1, area=area))
    soft = rng.random() < 0.5
    # What each landing holds: a category and, under the hard gang rule, one gang.
    holds = {landing: (rng.choice(("remand", "convicted", None) + (("civil",) if rng.random() < civil else ())), rng.choice(GANGS + (None,)))
             for _, landing in landings}
    residents = []
    pid = 1
    for c in cells_:
        status, gang = holds[c.landing]
        if status is None:
            continue
        for _ in range(rng.randint(0, c.cna)):
            # Under a soft rule gangs mix freely; under the hard rule a landing holds one gang.
            g = rng.choice(GANGS + (None,)) if soft else (gang if rng.random() < 0.7 else None)
            residents.append((person(pid, "male", status, groups=[g] if g else []), c.id))
            pid += 1
    room = sum(c.working for c in cells_) - len(residents)
    n_arr = max(1, min(rng.randint(30, 60), int(room * 0.7)))
    arr = []
    for _ in range(n_arr):
        r = rng.random()
        status = "civil" if r < civil else "remand" if r < civil + (1 - civil) * 0.6 else "convicted"
        gang = rng.choice(GANGS + (None,))
        pref = rng.choice((None, None, None, "P1", "P2")) if n_pav == 2 else None
        arr.append(person(pid, "male", status, groups=[gang] if gang else [], pref=pref))
        pid += 1
    ids = [p.id for p, _ in residents] + [p.id for p in arr]
    nas = []
    for _ in range(rng.randint(3, 8)):
        a, b = rng.sample(ids, 2)
        nas.append(NonAssociation(a, b, rng.choice(("cell", "cell", "landing", "pavilion"))))
    pol = policy("prefer", rng.choice(("cell", "landing"))) if soft else policy("require", "landing")
    return Problem(cells_, residents, arr, nas, pol)


def typical_instance(seed: int) -> Problem:
    """Like gap_instance, with few civil prisoners (one in twenty)."""
    return gap_instance(seed, civil=0.05)
