"""The housing allocation engine: give each arrival a cell, or a reason why not (pure; no database).

``solve(problem) -> Plan``. Hard constraints are never broken: the engine places fewer people
rather than break one. They are capacity (working capacity, or max capacity with ``use_max``),
normal cells only, the cells' restricting attributes, the separation rules and the hard
affiliation rules at their levels, the open non-associations at their levels, and single cells.
Only pairs involving an arrival count: conflicts among residents are the register's past.
The soft goals are the objective of :mod:`habeas.housing.checker` (the same definition).

How it works
    Cells are grouped into blocks: the normal cells of one landing with the same restricting
    attributes. Each block keeps a heap of its cells keyed by the cost of their next occupant,
    and each unit (cell, landing, pavilion, site) keeps counters of the separation values and
    affiliation groups of the people in it, so testing a person against a block is a handful of
    dictionary look-ups whatever the number of people already housed. Non-associations become,
    per person, a set of forbidden units, updated as partners are placed.

    The first person of a kind to enter an empty unit "claims" it: a landing that takes one
    untried prisoner is closed to convicted ones. Claims are planned before anyone is placed
    (``plan_claims``): empty units go to the kinds of arrival that would otherwise find no bed,
    or only dear ones. Arrivals are then placed one at a time: people needing a single cell
    first, then people with non-associations, then the others from the most to the least
    constrained kind, kinds interleaved in proportion to their numbers. Each goes to the
    cheapest cell it may enter without claiming a unit planned for another kind (claiming an
    unplanned unit only when what it may enter otherwise costs more than the claim threshold);
    whoever is left is tried again without those limits.

    Then, while the cost goes down: moves (a person to a cheaper cell), swaps (two people who pay
    for a preference or an affiliation trade cells) and, on small problems, exchanges (an
    unplaced person takes a placed one's bed, the latter going elsewhere or out). Small problems
    (up to 100 arrivals) also try several variants of the claim planning and a ruin-and-recreate
    search (empty one to three blocks, or all of a kind, and house them again in other orders),
    keeping the cheapest plan. Everything is deterministic: the same problem gives the same plan.

    The reason given to an unplaced arrival names the first constraint, in this order, that
    leaves no cell: a site-level non-association, the cells' restricting attributes, capacity (a
    cell holding someone who must be alone counts as full), the separation and hard affiliation
    rules, the need of a single cell, the non-associations at cell, landing and pavilion level. People of the
    same kind are counted together ("no bed for female remand prisoners: 40 needed, 12 free",
    the free beds being those, before the plan, in the cells that could take them).
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import Counter, defaultdict
from itertools import combinations

from habeas.housing.checker import AFFILIATION_COST, PREFERENCE_COST, marginal_cost, objective_parts, unplaced_penalty
from habeas.housing.model import Plan, Problem
from habeas.housing.policy import LEVELS, PERSON_ATTRIBUTES, complete_attributes, describe, dimension_value

__all__ = ["solve"]

_MULTI = "\x00several groups"  # the value of a person in two or more groups of one affiliation rule
_INF = math.inf
_SMALL = 100  # problems with at most this many arrivals get the thorough search (variants, ruin and recreate)
_SHORTFALL = 10**12  # planning: the estimated cost of a person with no bed

_VALUE_WORDS = {
    "male": "men", "female": "women", "other": "people of sex other", "under_18": "people under 18", "adult": "adults",
    "untried": "untried prisoners", "convicted": "convicted prisoners", "civil": "civil prisoners", "criminal": "criminal prisoners",
}
_PLACE = {0: "in a cell holding", 1: "on a landing holding", 2: "in a pavilion holding", 3: "at a site holding"}


def _conflict(v, present) -> bool:
    """Does a person with value v conflict with a unit whose people have the values ``present``?"""
    if v is _MULTI:
        return True
    if len(present) > 1:
        return True
    return v not in present


class _Engine:
    def __init__(self, problem: Problem):
        problem.validate()
        self.problem = problem
        policy = problem.policy
        cells = list(problem.cells)
        self.cells = cells
        nc = len(cells)
        self.cap = [c.capacity(problem.use_max) for c in cells]
        self.normal = [c.use == "normal" and self.cap[i] > 0 for i, c in enumerate(cells)]
        cidx = {c.id: i for i, c in enumerate(cells)}
        # Marginal cost tables (index k), shared by cells costed alike.
        tables: dict[tuple, list[int]] = {}
        self._mct = [tables.setdefault((c.floor_area_m2, c.cna), [0]) for c in cells]

        # Units, as small integers.
        ukeys: dict[tuple, int] = {}
        self.unit_keys: list[tuple] = []

        def uid(key: tuple) -> int:
            i = ukeys.get(key)
            if i is None:
                i = ukeys[key] = len(self.unit_keys)
                self.unit_keys.append(key)
            return i

        self.unit_of = [tuple(uid(c.unit(level)) for level in LEVELS) for c in cells]
        self.site_unit = uid(("site",))

        # People: residents first, then arrivals.
        persons = [p for p, _ in problem.residents] + list(problem.arrivals)
        self.persons = persons
        self.n_res = nres = len(problem.residents)
        self.arrivals = list(range(nres, len(persons)))
        pidx = {p.id: i for i, p in enumerate(persons)}
        # People with the same attributes and groups share their derived values.
        kinds: dict[tuple, tuple] = {}

        # Rules: hard ones (separation and hard affiliation), soft ones (preferred affiliation).
        self.hard: list[tuple[int, str, object]] = []
        for r in policy.active_rules:
            self.hard.append((LEVELS.index(r.level), "dim", r.dimension))
        for a in policy.hard_affiliations:
            self.hard.append((LEVELS.index(a.level), "aff", a))
        self.soft = [(LEVELS.index(a.level), a) for a in policy.soft_affiliations]
        self.hard_block = [j for j, h in enumerate(self.hard) if h[0] >= 1]
        self.hard_cell = [j for j, h in enumerate(self.hard) if h[0] == 0]
        self.soft_block = [s for s, h in enumerate(self.soft) if h[0] >= 1]
        self.soft_cell = [s for s, h in enumerate(self.soft) if h[0] == 0]
        kind_of = []
        for p in persons:
            key = (tuple(p.attributes.items()), p.groups)
            kind = kinds.get(key)
            if kind is None:
                attrs = complete_attributes(p.attributes)
                hv = tuple(self._value(h, p, attrs) for h in self.hard)
                sv = tuple(self._aff_value(rule, p) for _, rule in self.soft)
                kind = kinds[key] = (attrs, hv, sv,
                                     tuple((j, self.hard[j][0], v) for j, v in enumerate(hv) if v is not None),
                                     tuple((s, self.soft[s][0], v) for s, v in enumerate(sv) if v is not None))
            kind_of.append(kind)
        self.attrs = [k[0] for k in kind_of]
        self.hv = [k[1] for k in kind_of]
        self.sv = [k[2] for k in kind_of]
        self.hlist = [k[3] for k in kind_of]
        self.slist = [k[4] for k in kind_of]

        # Restricting attributes: cells carry a signature, people a key.
        names = sorted({n for i, c in enumerate(cells) if self.normal[i] for n in c.attributes if n in PERSON_ATTRIBUTES})
        self.rnames = names
        self.csig = [tuple(frozenset(c.attributes[n]) if n in c.attributes else None for n in names) for c in cells]
        rkeys: dict[int, tuple] = {}
        self.rkey = []
        for a in self.attrs:
            r = rkeys.get(id(a))
            if r is None:
                r = rkeys[id(a)] = tuple(a.get(n) for n in names)
            self.rkey.append(r)
        self._admit: dict[tuple, bool] = {}

        # State.
        self.occ = [0] * nc
        self.closed = [False] * nc
        self.loc = [-1] * len(persons)
        self.hunit: list[dict[int, dict]] = [{} for _ in self.hard]  # unit -> {value: count}
        self.sunit: list[dict[int, dict]] = [{} for _ in self.soft]  # unit -> {value: [count, arrivals]}
        self.single = [p.single_cell for p in persons]
        # Residents in bulk: people of one kind in one cell count together.
        groups: Counter = Counter()
        for i, (p, cell_id) in enumerate(problem.residents):
            ci = cidx[cell_id]
            self.loc[i] = ci
            groups[(ci, self.hlist[i], self.slist[i], self.single[i])] += 1
        for (ci, hlist, slist, single), n in groups.items():
            self.occ[ci] += n
            units = self.unit_of[ci]
            for j, lv, v in hlist:
                d = self.hunit[j].setdefault(units[lv], {})
                d[v] = d.get(v, 0) + n
            for s_, lv, v in slist:
                e = self.sunit[s_].setdefault(units[lv], {}).setdefault(v, [0, 0])
                e[0] += n
            if single:
                self.closed[ci] = True

        # Blocks of normal cells: one landing, one restriction signature.
        bindex: dict[tuple, int] = {}
        self.block_cells: list[list[int]] = []
        self.block_units: list[tuple[int, int, int]] = []
        self.block_pav: list[object] = []
        self.block_of = [-1] * nc
        for ci, c in enumerate(cells):
            if not self.normal[ci]:
                continue
            key = (self.unit_of[ci][1], self.csig[ci])
            b = bindex.get(key)
            if b is None:
                b = bindex[key] = len(self.block_cells)
                self.block_cells.append([])
                self.block_units.append(self.unit_of[ci][1:])
                self.block_pav.append(c.pavilion)
            self.block_cells[b].append(ci)
            self.block_of[ci] = b
        nb = len(self.block_cells)
        self.bver = [0] * nb
        self.blocks_of_unit: dict[int, list[int]] = defaultdict(list)
        for b, units in enumerate(self.block_units):
            for u in set(units):
                self.blocks_of_unit[u].append(b)
        self.heaps: list[list[tuple[int, int]]] = []
        for b in range(nb):
            h = [(self.mc(ci, self.occ[ci] + 1), ci) for ci in self.block_cells[b] if self.occ[ci] < self.cap[ci] and not self.closed[ci]]
            heapq.heapify(h)
            self.heaps.append(h)
        self.free_total = sum(self.cap[ci] - self.occ[ci] for ci in range(nc) if self.normal[ci] and not self.closed[ci] and self.occ[ci] < self.cap[ci])

        # Non-associations: forbidden units per arrival (unit -> partners), partners among arrivals.
        self.forbid: list[dict[int, list[int]] | None] = [None] * len(persons)
        self.partners: list[list[tuple[int, int]]] = [[] for _ in persons]
        self.n_na = [0] * len(persons)
        for na in problem.non_associations:
            a, b = pidx.get(na.a), pidx.get(na.b)
            if a is None or b is None or a == b or (a < nres and b < nres):
                continue
            lv = LEVELS.index(na.level)
            self.n_na[a] += 1
            self.n_na[b] += 1
            if a < nres or b < nres:
                res, arr = (a, b) if a < nres else (b, a)
                self._forbid_add(arr, self.unit_of[self.loc[res]][lv], res)
            else:
                self.partners[a].append((b, lv))
                self.partners[b].append((a, lv))

        self.pkey = [None] * nres + [(self.rkey[i], self.hv[i], self.sv[i], persons[i].preferred_pavilion) for i in self.arrivals]
        self._pcache: dict[tuple, list] = {}
        self.planned: dict[tuple[int, int], object] = {}
        self.theta = _INF
        self.factor = 1.0
        # What the site looked like before the plan, for the reasons of the unplaced.
        self._before = (self.occ[:], self.closed[:], [{u: set(d) for u, d in h.items()} for h in self.hunit])
        self._initial_free: dict[tuple, int] = {}
        self._class_size: Counter | None = None
        self.gained = 0
        self._budget = 0
        self._order: list[int] | None = None

    # --- values -----------------------------------------------------------------------------

    @staticmethod
    def _aff_value(rule, person):
        s = rule.members(person.groups)
        if not s:
            return None
        if len(s) == 1:
            return next(iter(s))
        return _MULTI

    def _value(self, h, person, attrs):
        _, kind, obj = h
        if kind == "dim":
            return dimension_value(obj, attrs)
        return self._aff_value(obj, person)

    def admits(self, sig: tuple, rkey: tuple) -> bool:
        k = (sig, rkey)
        r = self._admit.get(k)
        if r is None:
            r = self._admit[k] = all(s is None or (v is not None and v in s) for s, v in zip(sig, rkey))
        return r

    def mc(self, ci: int, k: int) -> int:
        t = self._mct[ci]
        while len(t) <= k:
            t.append(marginal_cost(self.cells[ci], len(t)))
        return t[k]

    # --- state changes ----------------------------------------------------------------------

    def _bump(self, u: int) -> None:
        for b in self.blocks_of_unit.get(u, ()):
            self.bver[b] += 1

    def _enter(self, pi: int, ci: int, bump: bool = True) -> None:
        self.loc[pi] = ci
        self.occ[ci] += 1
        units = self.unit_of[ci]
        is_arrival = pi >= self.n_res
        hunit = self.hunit
        for j, lv, v in self.hlist[pi]:
            u = units[lv]
            d = hunit[j].get(u)
            if d is None:
                d = hunit[j][u] = {}
            if v in d:
                d[v] += 1
            else:
                d[v] = 1
                if bump and lv:
                    self._bump(u)
        for s, lv, v in self.slist[pi]:
            u = units[lv]
            d = self.sunit[s].get(u)
            if d is None:
                d = self.sunit[s][u] = {}
            e = d.get(v)
            if e is None:
                e = d[v] = [0, 0]
            e[0] += 1
            e[1] += is_arrival
            if bump and lv:
                self._bump(u)
        if self.single[pi]:
            self.closed[ci] = True

    def _leave(self, pi: int) -> int:
        ci = self.loc[pi]
        self.loc[pi] = -1
        self.occ[ci] -= 1
        units = self.unit_of[ci]
        is_arrival = pi >= self.n_res
        for j, lv, v in self.hlist[pi]:
            u = units[lv]
            d = self.hunit[j][u]
            d[v] -= 1
            if not d[v]:
                del d[v]
                if not d:
                    del self.hunit[j][u]
                if lv:
                    self._bump(u)
        for s, lv, v in self.slist[pi]:
            u = units[lv]
            d = self.sunit[s][u]
            e = d[v]
            e[0] -= 1
            e[1] -= is_arrival
            if not e[0]:
                del d[v]
                if not d:
                    del self.sunit[s][u]
            if lv:
                self._bump(u)
        if self.single[pi]:
            self.closed[ci] = False
        return ci

    def place(self, pi: int, ci: int) -> None:
        was_open = not self.closed[ci]
        self._enter(pi, ci)
        self.free_total -= 1
        if was_open and self.closed[ci]:
            self.free_total -= self.cap[ci] - self.occ[ci]
        self._refresh(ci)
        units = self.unit_of[ci]
        for q, lv in self.partners[pi]:
            self._forbid_add(q, units[lv], pi)

    def unplace(self, pi: int) -> int:
        was_closed = self.closed[self.loc[pi]]
        ci = self._leave(pi)
        self.free_total += 1
        if was_closed and not self.closed[ci]:
            self.free_total += self.cap[ci] - self.occ[ci]
        self._refresh(ci)
        units = self.unit_of[ci]
        for q, lv in self.partners[pi]:
            self._forbid_remove(q, units[lv], pi)
        return ci

    def _refresh(self, ci: int) -> None:
        b = self.block_of[ci]
        if b < 0:
            return
        h = self.heaps[b]
        if self.occ[ci] < self.cap[ci] and not self.closed[ci]:
            heapq.heappush(h, (self.mc(ci, self.occ[ci] + 1), ci))
        self._clean(h)

    def _valid(self, cost: int, ci: int) -> bool:
        o = self.occ[ci]
        return o < self.cap[ci] and not self.closed[ci] and cost == self.mc(ci, o + 1)

    def _clean(self, h: list) -> None:
        while h and not self._valid(*h[0]):
            heapq.heappop(h)

    def _forbid_add(self, pi: int, u: int, partner: int) -> None:
        f = self.forbid[pi]
        if f is None:
            f = self.forbid[pi] = {}
        f.setdefault(u, []).append(partner)

    def _forbid_remove(self, pi: int, u: int, partner: int) -> None:
        f = self.forbid[pi]
        lst = f[u]
        lst.remove(partner)
        if not lst:
            del f[u]

    # --- costs and feasibility ----------------------------------------------------------------

    def _soft_cost(self, s: int, v, u: int) -> int:
        """The affiliation cost of adding a person with value v to unit u for soft rule s."""
        if v is None:
            return 0
        d = self.sunit[s].get(u)
        if not d:
            return 0
        pay = 1 if _conflict(v, d) else 0
        if len(d) == 1:
            ((w, (cnt, arr)),) = d.items()
            if w is _MULTI:
                if cnt == 1 and arr == 1:
                    pay += 1
            elif v is _MULTI or v != w:
                pay += arr
        return pay * AFFILIATION_COST

    def _info(self, pi: int, b: int):
        """(extra cost, claim status) of a block for a person, or None when it may not enter.

        Claim status: 0 no claim, 1 claims units planned for its kind, 2 claims unplanned units,
        3 claims units planned for another kind.
        """
        units = self.block_units[b]
        hv = self.hv[pi]
        status = 0
        for j in self.hard_block:
            v = hv[j]
            if v is None:
                continue
            u = units[self.hard[j][0] - 1]
            d = self.hunit[j].get(u)
            if d:
                if _conflict(v, d):
                    return None
            else:
                want = self.planned.get((j, u), None)
                if want is None:
                    status = max(status, 2)
                elif want == v:
                    status = max(status, 1)
                else:
                    status = 3
        extra = 0
        pref = self.persons[pi].preferred_pavilion
        if pref is not None and self.block_pav[b] != pref:
            extra += PREFERENCE_COST
        sv = self.sv[pi]
        for s in self.soft_block:
            v = sv[s]
            if v is None:
                continue
            u = units[self.soft[s][0] - 1]
            if self.sunit[s].get(u):
                extra += self._soft_cost(s, v, u)
            else:
                want = self.planned.get((-1 - s, u), None)
                if want is not None:
                    status = max(status, 1) if want == v else 3
        return extra, status

    def _cell_ok(self, pi: int, ci: int) -> bool:
        f = self.forbid[pi]
        if f and self.unit_of[ci][0] in f:
            return False
        u = self.unit_of[ci][0]
        hv = self.hv[pi]
        for j in self.hard_cell:
            v = hv[j]
            if v is not None:
                d = self.hunit[j].get(u)
                if d and _conflict(v, d):
                    return False
        return True

    def _cell_soft(self, pi: int, ci: int) -> int:
        sv = self.sv[pi]
        u = self.unit_of[ci][0]
        return sum(self._soft_cost(s, sv[s], u) for s in self.soft_cell)

    def _candidates(self, pi: int) -> list[tuple[int, int, int, int]]:
        """(lower bound of cost, claim status, block, extra) for each block the person may enter."""
        key = self.pkey[pi]
        entry = self._pcache.get(key)
        if entry is None:
            rk = self.rkey[pi]
            blocks = [b for b in range(len(self.block_cells)) if self.admits(self.csig[self.block_cells[b][0]], rk)]
            entry = self._pcache[key] = [blocks, [-1] * len(blocks), [None] * len(blocks)]
        blocks, vers, infos = entry
        f = self.forbid[pi]
        bver = self.bver
        heaps = self.heaps
        out = []
        for i, b in enumerate(blocks):
            h = heaps[b]
            if not h:
                continue
            if vers[i] != bver[b]:
                infos[i] = self._info(pi, b)
                vers[i] = bver[b]
            info = infos[i]
            if info is None:
                continue
            if f:
                u1, u2, u3 = self.block_units[b]
                if u1 in f or u2 in f or u3 in f:
                    continue
            out.append((h[0][0] + info[0], info[1], b, info[0]))
        return out

    def _claims(self, pi: int, ci: int) -> bool:
        """Would the person be the first with a value of some rule in one of the cell's units?"""
        units = self.unit_of[ci]
        for j, lv, _ in self.hlist[pi]:
            if not self.hunit[j].get(units[lv]):
                return True
        for s, lv, _ in self.slist[pi]:
            if not self.sunit[s].get(units[lv]):
                return True
        return False

    def _best_in(self, pi: int, cands, best=None, avoid_claims: bool = False):
        """The cheapest cell (cost, cell) among the candidate blocks, or ``best`` if none is cheaper.
        With ``avoid_claims``, only cells where the person claims nothing."""
        cands = sorted(cands)
        need_check = bool(self.hard_cell or self.forbid[pi] or avoid_claims)
        soft_cell = bool(self.soft_cell)
        heappop, heappush = heapq.heappop, heapq.heappush
        for lb, _, b, extra in cands:
            if best is not None and lb >= best[0]:
                break
            h = self.heaps[b]
            if not need_check and not soft_cell:
                best = (lb, h[0][1])
                continue
            popped = []
            while h:
                cost, ci = h[0]
                if not self._valid(cost, ci):
                    heappop(h)
                    continue
                total = cost + extra
                if best is not None and total >= best[0]:
                    break
                if self._cell_ok(pi, ci) and not (avoid_claims and self._claims(pi, ci)):
                    if soft_cell:
                        total += self._cell_soft(pi, ci)
                    if best is None or total < best[0]:
                        best = (total, ci)
                    if not soft_cell:
                        break
                popped.append(heappop(h))
            for e in popped:
                heappush(h, e)
        return best

    def _select(self, pi: int, free: bool):
        """The cell for a person: cheapest, within the claim plan unless ``free``."""
        cands = self._candidates(pi)
        if not cands:
            return None
        if free:
            return self._best_in(pi, cands)
        best = self._best_in(pi, [c for c in cands if c[1] <= 1])
        others = [c for c in cands if c[1] == 2]
        if others and (best is None or best[0] > self.theta * self.factor):
            alt = self._best_in(pi, others, best)
            if alt is not None:
                best = alt
        return best

    def _select_single(self, pi: int, free: bool, remaining: int = 0):
        """An empty cell for a person who must be alone: the smallest that will do."""
        cands = self._candidates(pi)
        groups = [cands] if free else [[c for c in cands if c[1] <= 1], [c for c in cands if c[1] == 2]]
        for group in groups:
            best = None
            for _, _, b, extra in group:
                for ci in self.block_cells[b]:
                    if self.occ[ci] or self.closed[ci] or not self._cell_ok(pi, ci):
                        continue
                    if not free and self.free_total - self.cap[ci] < remaining:
                        continue  # the beds are needed for the others
                    key = (self.cap[ci], self.mc(ci, 1) + extra + self._cell_soft(pi, ci), ci)
                    if best is None or key < best:
                        best = key
            if best is not None:
                return best[1], best[2]
        return None

    def _cost_here(self, pi: int, ci: int) -> int:
        info = self._info(pi, self.block_of[ci])
        extra = info[0] if info else 0
        return self.mc(ci, self.occ[ci] + 1) + extra + self._cell_soft(pi, ci)

    # --- planning and ordering ----------------------------------------------------------------

    def _tier(self, pi: int) -> int:
        return sum(1 for v in self.hv[pi] if v is None)

    def order(self) -> list[int]:
        singles = sorted((pi for pi in self.arrivals if self.single[pi]), key=lambda pi: (self._tier(pi), -self.n_na[pi], pi))
        with_na = sorted((pi for pi in self.arrivals if not self.single[pi] and self.n_na[pi]),
                         key=lambda pi: (self._tier(pi), -self.n_na[pi], pi))
        rest = [pi for pi in self.arrivals if not self.single[pi] and not self.n_na[pi]]
        size = Counter(self.pkey[pi] for pi in rest)
        seen: Counter = Counter()
        keyed = []
        for pi in rest:
            k = self.pkey[pi]
            keyed.append(((self._tier(pi), (seen[k] + 0.5) / size[k], pi), pi))
            seen[k] += 1
        keyed.sort()
        return singles + with_na + [pi for _, pi in keyed]

    def plan_claims(self, people: list[int], designate: bool = True) -> None:
        """Set the claim threshold and, with ``designate``, plan which kind claims which empty unit.

        The threshold (theta) is the cost of the last bed taken if everybody could go anywhere.
        The plan is estimated kind by kind (kinds with a value for every rule first): each takes
        the cheapest beds left in the blocks it may enter without claiming anything. A candidate
        claim (a block, and the values a kind would give its empty units) is judged by the
        estimate redone with it: first by the people it houses, then by the claims it makes
        (fewer is better: whole empty units are left to those who need them), then by the cost
        it saves. The best is kept, and so on while some claim helps.
        """
        nb = len(self.block_cells)
        need_beds = sum(1 for pi in people if not self.single[pi])
        usable = {self.rkey[pi] for pi in people}
        hist: list[Counter] = []
        for b in range(nb):
            h: Counter = Counter()
            for ci in self.block_cells[b]:
                if not self.closed[ci]:
                    t_occ = self.occ[ci]
                    self.mc(ci, self.cap[ci])
                    table = self._mct[ci]
                    for k in range(t_occ + 1, self.cap[ci] + 1):
                        h[table[k]] += 1
            hist.append(h)
        # The claim threshold: the cost of the last bed if everybody could go anywhere.
        everywhere: Counter = Counter()
        for b in range(nb):
            if any(self.admits(self.csig[self.block_cells[b][0]], rk) for rk in usable):
                everywhere.update(hist[b])
        if need_beds and need_beds <= sum(everywhere.values()):
            d = need_beds
            for m in sorted(everywhere):
                d -= everywhere[m]
                if d <= 0:
                    self.theta = m
                    break
        if not designate:
            return
        # The rules that make claims on landings, pavilions or the site: hard ones, then soft ones.
        # Planned values are keyed (j, unit) for hard rule j and (-1 - s, unit) for soft rule s.
        rules = [(j, self.hard[j][0], self.hunit[j]) for j in self.hard_block]
        rules += [(-1 - s, self.soft[s][0], self.sunit[s]) for s in self.soft_block]
        if not rules or not people:
            return
        n_hard = len(self.hard_block)
        demand: Counter = Counter()
        for pi in people:
            values = tuple(self.hv[pi][j] for j in self.hard_block) + tuple(self.sv[pi][s] for s in self.soft_block)
            demand[(self.rkey[pi], values)] += 1
        kinds = sorted(demand, key=lambda k: (-demand[k], repr(k)))
        planned: dict[tuple[int, int], object] = {}

        def status(kind, b, extra=None):
            """None when the kind may not enter block b, else (its claims, the soft rules it breaks there)."""
            units = self.block_units[b]
            claims = []
            rivals = 0
            for i, ((key, lv, counts), v) in enumerate(zip(rules, kind[1])):
                if v is None:
                    continue
                u = units[lv - 1]
                d = counts.get(u)
                p = planned.get((key, u))
                x = extra.get((key, u)) if extra else None
                if not d and p is None and x is None:
                    claims.append((key, u))
                    continue
                clash = v is _MULTI or (d and (len(d) > 1 or v not in d)) \
                    or (p is not None and p != v) or (x is not None and x != v)
                if clash:
                    if i < n_hard:
                        return None
                    rivals += 1
            return claims, rivals

        admitted = {kind: [b for b in range(nb) if self.admits(self.csig[self.block_cells[b][0]], kind[0])] for kind in kinds}
        # Kinds with a value for every rule first (they have the fewest places), then the largest.
        order = sorted(kinds, key=lambda k: (sum(v is None for v in k[1]), -demand[k], repr(k)))
        sorted_hist = [sorted(h.items()) for h in hist]

        streams0 = [[(m, b, m) for m, _ in sorted_hist[b]] for b in range(nb)]
        base_status: dict = {}

        def estimate(extra: dict | None):
            """(people without a bed, cost of the beds taken, claims each kind could make), if every
            kind in turn took the cheapest beds left in the blocks it may use without claiming."""
            left = [dict(h) for h in hist]
            short_total = cost_total = 0
            claims_by_kind = {}
            touched = {u for _, u in extra} if extra else set()
            for kind in order:
                streams = []
                claims_of = {}
                for b in admitted[kind]:
                    if extra is None:
                        st = base_status[(kind, b)] = status(kind, b)
                    elif touched.isdisjoint(self.block_units[b]):
                        st = base_status[(kind, b)]
                    else:
                        st = status(kind, b, extra)
                    if st is None:
                        continue
                    if st[0]:
                        claims_of[b] = st[0]
                    elif st[1]:
                        add = st[1] * AFFILIATION_COST
                        streams.append([(m + add, b, m) for m, _ in sorted_hist[b]])
                    else:
                        streams.append(streams0[b])
                claims_by_kind[kind] = claims_of
                d = demand[kind]
                for cost_m, b, m in heapq.merge(*streams):
                    n = min(left[b][m], d)
                    if n > 0:
                        left[b][m] -= n
                        cost_total += cost_m * n
                        d -= n
                        if d == 0:
                            break
                short_total += d
            return short_total, cost_total, claims_by_kind

        def wider_state(key, counts, u):
            return frozenset(counts.get(u) or ()), planned.get((key, u))

        keys = [r[0] for r in rules]
        for _ in range(nb * len(rules)):
            short, cost, claims_by_kind = estimate(None)
            best = None
            seen = set()
            for kind in order:
                values = dict(zip(keys, kind[1]))
                for b, claims in claims_by_kind[kind].items():
                    designation = {(key, u): values[key] for key, u in claims}
                    # Blocks alike (same beds, same claims, pavilions in the same state) are tried once.
                    sig = (kind, tuple(sorted_hist[b]), tuple(sorted((key, self.unit_keys[u][0]) for key, u in claims)),
                           tuple(wider_state(key, counts, u) for key, _, counts in rules for u in self.block_units[b][1:]))
                    if sig in seen:
                        continue
                    seen.add(sig)
                    short_after, cost_after, _ = estimate(designation)
                    housed = short - short_after
                    gain = cost - cost_after
                    if housed < 0 or (housed == 0 and gain <= 0):
                        continue
                    # People housed first; then, among ways of housing as many, the one that
                    # claims least (leaving empty units to those who need them whole); then cost.
                    rank = (housed, -len(claims) if housed else 0, gain, -b)
                    if best is None or rank > best[0]:
                        best = (rank, designation)
            if best is None:
                break
            planned.update(best[1])
        self.planned = planned

    # --- the run ------------------------------------------------------------------------------

    def run(self, claims: bool, factor: float, improve: bool) -> None:
        order = self.order()
        self.factor = factor
        self.plan_claims(order, designate=claims)
        remaining = len(order)
        for pi in order:
            remaining -= 1
            if self.single[pi]:
                best = self._select_single(pi, False, remaining)
            else:
                best = self._select(pi, False)
            if best is not None:
                self.place(pi, best[1])
        self.place_unplaced()
        if improve:
            self.improve()
            self.place_unplaced()

    def rebuild(self, rounds: int = 3, budget: int = 20_000, iterations: int = 100, seed: int = 0) -> bool:
        """Ruin and recreate (small problems): take the arrivals out of some blocks, or all the
        arrivals of a kind, and house them again with the unplaced in several orders; keep the
        result when it is cheaper. This revisits which kind holds which landing or cell.

        First every block, pair and (when few) triple of blocks in turn, each kind first in turn;
        then random ruins (a seeded generator: the result is reproducible)."""
        penalty = unplaced_penalty(self.problem)
        self._budget = budget
        improved = False
        for _ in range(rounds):
            used = sorted({self.block_of[self.loc[pi]] for pi in self.arrivals if self.loc[pi] >= 0})
            sets = [set(c) for k in (1, 2, 3) if k == 1 or len(used) <= (12 if k == 2 else 7) for c in combinations(used, k)]
            changed = False
            for blocks in sets:
                if self._budget <= 0:
                    return improved or changed
                removed = [pi for pi in self.arrivals if self.loc[pi] >= 0 and self.block_of[self.loc[pi]] in blocks]
                changed |= self._recreate(removed, penalty, blocks)
            improved |= changed
            if not changed:
                break
        rng = random.Random(seed)
        kinds = sorted({self.hv[pi] + self.sv[pi] for pi in self.arrivals}, key=repr)
        for _ in range(iterations):
            if self._budget <= 0:
                break
            placed = [pi for pi in self.arrivals if self.loc[pi] >= 0]
            if not placed:
                break
            r = rng.random()
            if r < 0.4:
                used = sorted({self.block_of[self.loc[pi]] for pi in placed})
                blocks = set(rng.sample(used, min(len(used), rng.randint(1, 3))))
                removed = [pi for pi in placed if self.block_of[self.loc[pi]] in blocks]
            elif r < 0.7:
                k = rng.choice(kinds)
                removed = [pi for pi in placed if self.hv[pi] + self.sv[pi] == k]
            else:
                cells = sorted({self.loc[pi] for pi in placed})
                chosen = set(rng.sample(cells, min(len(cells), rng.randint(2, 4))))
                removed = [pi for pi in placed if self.loc[pi] in chosen]
            improved |= self._recreate(removed, penalty, set(), rng)
        return improved

    def _recreate(self, removed: list[int], penalty: int, blocks: set[int], rng: random.Random | None = None) -> bool:
        if not removed:
            return False
        original = [(pi, self.loc[pi]) for pi in removed]
        delta0 = 0
        for pi in reversed(removed):
            ci = self.unplace(pi)
            delta0 += penalty - self._cost_here(pi, ci)
        pool = set(removed) | {pi for pi in self.arrivals if self.loc[pi] < 0}
        if self._order is None:
            self._order = self.order()
        base = [pi for pi in self._order if pi in pool]

        def kind(pi):
            return self.hv[pi] + self.sv[pi]

        kinds = [k for k in dict.fromkeys(kind(pi) for pi in base) if any(v is not None for v in k)]
        # Orders: (people, block where the first goes, whether to fill cells already holding one's
        # kind before claiming new ones).
        if rng is None:
            # As planned; and each kind first, its first member in each ruined block in turn.
            orders = [(base, None, False)]
            for k in kinds:
                first = [pi for pi in base if kind(pi) == k] + [pi for pi in base if kind(pi) != k]
                orders += [(first, b, averse) for b in sorted(blocks) for averse in (False, True)]
        else:
            shuffled = kinds[:]
            rng.shuffle(shuffled)
            rank = {k: i for i, k in enumerate(shuffled)}
            orders = [(sorted(base, key=lambda pi: rank.get(kind(pi), len(rank))), None, rng.random() < 0.5)]
        best_delta, best = 0, None
        for order, forced, averse in orders:
            delta = delta0
            inserted = []
            for i, pi in enumerate(order):
                if i == 0 and forced is not None and not self.single[pi]:
                    sel = self._best_in(pi, [c for c in self._candidates(pi) if c[2] == forced])
                elif self.single[pi]:
                    sel = self._select_single(pi, True)
                else:
                    sel = None
                    if averse:
                        cands = self._candidates(pi)
                        sel = self._best_in(pi, cands, avoid_claims=True) if cands else None
                    if sel is None:
                        sel = self._select(pi, True)
                self._budget -= 1
                if sel is not None:
                    self.place(pi, sel[1])
                    delta += sel[0] - penalty
                    inserted.append(pi)
            self.gained = 0
            self._moves(inserted)
            delta -= self.gained
            self._budget -= len(inserted)
            if delta < best_delta:
                best_delta, best = delta, [(pi, self.loc[pi]) for pi in inserted]
            for pi in reversed(inserted):
                self.unplace(pi)
        for pi, ci in best if best is not None else original:
            self.place(pi, ci)
        return best is not None

    def place_unplaced(self) -> None:
        for pi in self.arrivals:
            if self.loc[pi] >= 0:
                continue
            best = self._select_single(pi, True) if self.single[pi] else self._select(pi, True)
            if best is not None:
                self.place(pi, best[1])

    def improve(self, passes: int = 4, swaps: bool = True) -> None:
        """Move people to cheaper cells, swap pairs of people, and exchange placed and unplaced
        people, while that lowers the cost."""
        for _ in range(passes):
            moved = self._moves()
            if swaps:
                moved += self._swaps()
                if len(self.arrivals) <= _SMALL:
                    moved += self._exchanges()
            if not moved:
                break

    def _exchanges(self, budget: int = 20_000) -> int:
        """An unplaced person takes the place of a placed one when that is cheaper, the placed one
        going elsewhere if it can (one more person housed) or out of the plan (as many housed)."""
        penalty = unplaced_penalty(self.problem)
        done = 0
        tried_kinds = set()
        for u in self.arrivals:
            if self.loc[u] >= 0 or self.pkey[u] in tried_kinds and not (self.n_na[u] or self.forbid[u]):
                continue
            tried_kinds.add(self.pkey[u])
            seen = set()
            for a in self.arrivals:
                ca = self.loc[a]
                if ca < 0 or self.single[a] or budget <= 0:
                    continue
                key = (ca, self.pkey[a])
                if key in seen and not (self.n_na[a] or self.forbid[a]):
                    continue
                seen.add(key)
                budget -= 1
                self.unplace(a)
                stay = self._cost_here(a, ca)
                sel = self._select_single(u, True) if self.single[u] else self._select(u, True)
                if sel is None:
                    self.place(a, ca)
                    continue
                self.place(u, sel[1])
                again = self._select(a, True)
                if again is not None:
                    delta = sel[0] + again[0] - penalty - stay
                else:
                    delta = sel[0] - stay
                if delta < 0:
                    if again is not None:
                        self.place(a, again[1])
                    done += 1
                    break
                self.unplace(u)
                self.place(a, ca)
        return done

    def _moves(self, people=None) -> int:
        """Move each person (of ``people``, or every arrival) to a cheaper cell if there is one.
        Returns the number of moves; ``self.gained`` adds up what they saved."""
        moved = 0
        tried: set = set()
        for pi in self.arrivals if people is None else people:
            ci = self.loc[pi]
            if ci < 0 or self.single[pi]:
                continue
            key = None if (self.n_na[pi] or self.forbid[pi]) else (ci, self.pkey[pi])
            if key is not None and key in tried:
                continue
            self.unplace(pi)
            stay = self._cost_here(pi, ci)
            best = self._select(pi, True)
            if best is not None and best[0] < stay and best[1] != ci:
                self.place(pi, best[1])
                self.gained += stay - best[0]
                moved += 1
            else:
                self.place(pi, ci)
                if key is not None:
                    tried.add(key)
        return moved

    def _feasible(self, pi: int, ci: int) -> bool:
        """May the person enter the cell now (every hard constraint)?"""
        if self.occ[ci] >= self.cap[ci] or self.closed[ci] or (self.single[pi] and self.occ[ci]):
            return False
        b = self.block_of[ci]
        if b < 0 or not self.admits(self.csig[ci], self.rkey[pi]) or self._info(pi, b) is None:
            return False
        f = self.forbid[pi]
        if f and any(u in f for u in self.unit_of[ci]):
            return False
        return self._cell_ok(pi, ci)

    def _extras(self, pi: int) -> int:
        """What a placed person pays beyond the space cost (preference, affiliation)."""
        ci = self.loc[pi]
        self.unplace(pi)
        extra = self._cost_here(pi, ci) - self.mc(ci, self.occ[ci] + 1)
        self.place(pi, ci)
        return extra

    def _swaps(self) -> int:
        """Swap two people in different cells when the swap lowers the cost (occupancy unchanged).

        Only people who pay for a preference or an affiliation start a swap; on large problems only
        with people in their preferred pavilion.
        """
        small = len(self.arrivals) <= _SMALL
        swapped = 0
        placed = [pi for pi in self.arrivals if self.loc[pi] >= 0 and not self.single[pi]]
        by_pavilion: dict = defaultdict(list)
        if not small:
            for b in placed:
                if not self.n_na[b]:
                    by_pavilion[(self.cells[self.loc[b]].pavilion, self.hv[b] + self.sv[b])].append(b)
        for a in placed:
            if self.loc[a] < 0:
                continue
            pref = self.persons[a].preferred_pavilion
            if small:
                if not self._extras(a):
                    continue
                partners = placed
            elif pref is not None and self.cells[self.loc[a]].pavilion != pref:
                # Someone of the same kind, without a preference for where they are, one per cell.
                here = self.cells[self.loc[a]].pavilion
                kind = self.hv[a] + self.sv[a]
                cells_seen = set()
                partners = []
                for b in by_pavilion.get((pref, kind), ()):
                    if self.loc[b] >= 0 and self.loc[b] not in cells_seen and self.persons[b].preferred_pavilion in (None, here):
                        cells_seen.add(self.loc[b])
                        partners.append(b)
                        if len(partners) >= 8:
                            break
            else:
                continue
            for b in partners:
                if b != a and self.loc[a] != self.loc[b] and self._try_swap(a, b):
                    swapped += 1
                    break
        return swapped

    def _try_swap(self, a: int, b: int) -> bool:
        ca, cb = self.loc[a], self.loc[b]
        self.unplace(a)
        self.unplace(b)
        before = self._cost_here(a, ca)
        self.place(a, ca)
        before += self._cost_here(b, cb)
        self.unplace(a)
        after = None
        if self._feasible(a, cb):
            cost = self._cost_here(a, cb)
            self.place(a, cb)
            if self._feasible(b, ca):
                after = cost + self._cost_here(b, ca)
            self.unplace(a)
        if after is not None and after < before:
            self.place(a, cb)
            self.place(b, ca)
            return True
        self.place(a, ca)
        self.place(b, cb)
        return False

    # --- reasons ------------------------------------------------------------------------------

    def _class(self, pi: int) -> tuple:
        return (self.rkey[pi], self.hv[pi])

    def _free_before(self, pi: int) -> int:
        """Free beds, before the plan, in the cells this kind of arrival could enter."""
        k = self._class(pi)
        if k not in self._initial_free:
            occ, closed, colours = self._before
            total = 0
            for ci in range(len(self.cells)):
                if not self.normal[ci] or closed[ci] or occ[ci] >= self.cap[ci] or not self.admits(self.csig[ci], self.rkey[pi]):
                    continue
                units = self.unit_of[ci]
                if any(colours[j].get(units[lv]) and _conflict(v, colours[j][units[lv]]) for j, lv, v in self.hlist[pi]):
                    continue
                total += self.cap[ci] - occ[ci]
            self._initial_free[k] = total
        return self._initial_free[k]

    def _hard_conflict(self, pi: int, ci: int):
        """The first hard rule (index, unit) that keeps the person out of the cell, or None."""
        hv = self.hv[pi]
        for j, (lv, _, _) in enumerate(self.hard):
            v = hv[j]
            if v is None:
                continue
            u = self.unit_of[ci][lv]
            d = self.hunit[j].get(u)
            if d and _conflict(v, d):
                return j, u
        return None

    def _describe(self, pi: int) -> str:
        words = describe(self.attrs[pi])
        groups = sorted({g for (_, kind, rule) in self.hard if kind == "aff" for g in rule.members(self.persons[pi].groups)})
        return f"{words} ({', '.join(groups)})" if groups else words

    def reason(self, pi: int) -> str:
        p = self.persons[pi]
        f = self.forbid[pi] or {}
        if f.get(self.site_unit):
            q = f[self.site_unit][0]
            where = "held at this site" if q < self.n_res else "housed by this plan"
            return f"site-level non-association with {self.persons[q].number}, {where}"
        desc = self._describe(pi)
        if self._class_size is None:
            self._class_size = Counter(self._class(q) for q in self.arrivals)
        needed = self._class_size[self._class(pi)]
        free = self._free_before(pi)
        normal = [ci for ci in range(len(self.cells)) if self.normal[ci]]
        if not normal:
            return "no normal cell with capacity at this site"
        admitted = [ci for ci in normal if self.admits(self.csig[ci], self.rkey[pi])]
        if not admitted:
            failing: Counter = Counter()
            for ci in normal:
                for name, s, v in zip(self.rnames, self.csig[ci], self.rkey[pi]):
                    if s is not None and v not in s:
                        failing[(name, v)] += 1
                        break
            why = ", ".join(f"{name.replace('_', ' ')} {v or 'not recorded'}" for (name, v), _ in failing.most_common())
            return f"no normal cell takes {desc} ({why})"
        room = [ci for ci in admitted if self.occ[ci] < self.cap[ci] and not self.closed[ci]]
        if not room:
            return f"no bed for {desc}: {needed} needed, {free} free"
        blocked: Counter = Counter()
        blocked_values: dict[int, set] = defaultdict(set)
        fitting = []
        for ci in room:
            c = self._hard_conflict(pi, ci)
            if c is None:
                fitting.append(ci)
            else:
                j, u = c
                blocked[j] += 1
                blocked_values[j].update(v for v in self.hunit[j][u] if v != self.hv[pi][j] or v is _MULTI)
        if not fitting:
            j = blocked.most_common(1)[0][0]
            lv, kind, rule = self.hard[j]
            if kind == "dim":
                held = " or ".join(_VALUE_WORDS.get(v, str(v)) for v in sorted(blocked_values[j]))
            else:
                groups = sorted(v for v in blocked_values[j] if v is not _MULTI)
                held = "members of " + (" or ".join(groups) if groups else "several groups") + f" ({rule.name})"
            return f"no bed for {desc}: {needed} needed, {free} free; every cell with room is {_PLACE[lv]} {held}"
        if p.single_cell:
            fitting = [ci for ci in fitting if self.occ[ci] == 0]
            if not fitting:
                return "single cell needed: no empty normal cell left"
        by_level: dict[int, set] = defaultdict(set)
        left = []
        for ci in fitting:
            hit = [(lv, q) for lv in range(3) for q in f.get(self.unit_of[ci][lv], ())]
            if hit:
                lv, q = max(hit)
                by_level[lv].add(self.persons[q].number)
            else:
                left.append(ci)
        if not left and by_level:
            parts = []
            for lv in sorted(by_level):
                nums = sorted(by_level[lv])
                shown = " or ".join(nums[:5]) + (f" (and {len(nums) - 5} more)" if len(nums) > 5 else "")
                parts.append((lv, f"{_PLACE[lv]} {shown}", len(nums)))
            if len(parts) == 1:
                lv, text, n = parts[0]
                tail = f"a {LEVELS[lv]}-level non-association is open" if n == 1 else f"{LEVELS[lv]}-level non-associations are open"
                return f"every cell with room is {text}, with whom {tail}"
            return "every cell with room is " + " or ".join(f"{text} ({LEVELS[lv]}-level non-association)" for lv, text, _ in parts)
        return f"no bed left for {desc}"

    # --- result -------------------------------------------------------------------------------

    def assignments(self) -> dict:
        return {self.persons[pi].id: self.cells[self.loc[pi]].id for pi in self.arrivals if self.loc[pi] >= 0}

    def unplaced(self) -> dict:
        return {self.persons[pi].id: self.reason(pi) for pi in self.arrivals if self.loc[pi] < 0}


# Variants of the claim planning: (plan claims, factor on the claim threshold).
_VARIANTS = ((True, 1.0), (False, 1.0), (True, 0.0), (False, 0.0), (True, _INF), (False, _INF), (True, 0.5), (True, 2.0))


def solve(problem: Problem, *, improve: bool = True, variants: int | None = None) -> Plan:
    """House the arrivals of a problem. Never raises for an infeasible problem: the people who
    cannot be placed are listed with the reason. Raises ValueError for a malformed problem."""
    started = time.perf_counter()
    if variants is None:
        # Every variant on small sites; two when the arrivals are few but the site is large.
        small = len(problem.arrivals) <= _SMALL
        variants = (len(_VARIANTS) if len(problem.cells) <= _SMALL else 2) if small else 1
    variants = max(1, min(variants, len(_VARIANTS)))
    best = None
    for claims, factor in _VARIANTS[:variants]:
        engine = _Engine(problem)
        engine.run(claims, factor, improve)
        assignments = engine.assignments()
        if variants > 1:
            cost = objective_parts(problem, Plan(assignments, {}))["total"]
        else:
            cost = 0
        if best is None or cost < best[0]:
            best = (cost, engine, assignments, (claims, factor))
    _, engine, assignments, variant = best
    if improve and len(problem.arrivals) <= _SMALL:
        if engine.rebuild():
            engine.improve()
        assignments = engine.assignments()
    unplaced = engine.unplaced()
    return Plan.build(problem, assignments, unplaced, seconds=time.perf_counter() - started, variants=variants,
                      variant={"plan_claims": variant[0], "claim_factor": variant[1]})
