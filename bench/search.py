"""search: lookup by number and name search over 100,000 prisoners, in-process (DESIGN.md section 6).

The population comes from the demo generator and is booked through intake (``book_many``, in
chunks) into a benchmark site whose reception holds everyone: the reference complex has 40,960
beds, and search does not need people housed. Each query runs the service layer
(``habeas.prisoners.service.search``) in its own session, as a request would.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.common import ACTOR, Database, Reporter, metric, note, percentile, stage, workdir
from habeas.db import transaction
from habeas.demo.generator import SURNAMES, generate_bookings
from habeas.demo.service import populate
from habeas.kit import clock
from habeas.kit.text import fold
from habeas.models import Prisoner
from habeas.prisoners import service
from habeas.sites.layout import parse_layout
from habeas.sites.service import load_site

SITE = "SB"
SLICE = 10_000  # people generated and committed per transaction while building
KINDS = ("number", "prefix", "surname", "surname_given", "dob")
NAME_KINDS = ("prefix", "surname", "surname_given")


def layout(capacity: int) -> bytes:
    return f"""
version: 1
site: {{code: {SITE}, name: Search benchmark (everyone in reception), operational_capacity: 80}}
locations:
  - {{code: REC, name: Reception, type: reception, floor_area_m2: {capacity * 4}, capacity: {{working: {capacity}, max: {capacity}}}}}
  - {{code: C1, name: Cell 1, type: cell, floor_area_m2: 100, capacity: {{cna: 25, working: 80, max: 80}}}}
""".encode()


def build(db: Database, prisoners: int, seed: int, reporter: Reporter | None) -> None:
    with transaction(db.sessions) as session:
        load_site(session, ACTOR, parse_layout(layout(max(prisoners, 1)), "search-bench.yaml"), filename="search-bench.yaml")
    progress = stage(reporter, "build")
    now = clock.now()
    for start in range(0, prisoners, SLICE):
        n = min(SLICE, prisoners - start)
        bookings = generate_bookings(n, seed=seed, start=start, now=now, ref_prefix="SB")
        with transaction(db.sessions) as session:
            populate(session, ACTOR, SITE, bookings, house=False, chunk=5_000)
        if progress:
            progress("booking", n, prisoners)


def queries(db: Database, count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` queries of each kind, drawn from the people on file, shuffled together."""
    rng = random.Random(f"habeas-bench-search:{seed}")
    with db.sessions() as s:
        people = s.execute(select(Prisoner.prisoner_number, Prisoner.surname, Prisoner.given_names, Prisoner.date_of_birth)).all()
    sample = [rng.choice(people) for _ in range(count * 3)]
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(count):
        number, surname, given, dob = sample[i]
        out.append(("number", {"number": number}))
        out.append(("dob", {"dob": sample[count + i][3]}))
        word = rng.choice(SURNAMES)
        out.append(("prefix", {"q": fold(word)[: rng.randint(3, 5)]}))  # "hern", "mart", "rod"
        out.append(("surname", {"q": rng.choice((word, fold(word)))}))  # "Ramos", "hernandez"
        _, surname2, given2, _ = sample[2 * count + i]
        out.append(("surname_given", {"q": f"{surname2.split()[0]} {given2.split()[0]}"}))  # "Hernández José"
    rng.shuffle(out)
    return out


def _time(db: Database, kind: str, args: dict[str, Any]) -> tuple[float, int]:
    with db.sessions() as s:
        started = time.perf_counter()
        total = service.search(s, **args).total
        elapsed = time.perf_counter() - started
        s.rollback()
    if kind == "number" and total != 1:
        raise RuntimeError(f"number lookup {args['number']} found {total}")
    return elapsed, total


def run(*, prisoners: int = 100_000, per_kind: int = 500, warmup: int = 200, seed: int = 1, reporter: Reporter | None = None,
        directory: str | Path | None = None) -> list[dict[str, Any]]:
    with workdir(directory) as tmp:
        db = Database.create(tmp, "search.db")
        started = time.perf_counter()
        build(db, prisoners, seed, reporter)
        build_seconds = time.perf_counter() - started
        note(reporter, f"search: {prisoners:,} prisoners booked in {build_seconds:.1f} s")
        db.close()  # a fresh engine, as after a restart

        work = queries(db, per_kind, seed)
        for kind, args in queries(db, max(1, warmup // len(KINDS)), seed + 1):  # warm-up: other queries, not measured
            _time(db, kind, args)
        times: dict[str, list[float]] = {k: [] for k in KINDS}
        hits: dict[str, list[int]] = {k: [] for k in KINDS}
        progress = stage(reporter, "search")
        for i, (kind, args) in enumerate(work, start=1):
            elapsed, total = _time(db, kind, args)
            times[kind].append(elapsed * 1000)
            hits[kind].append(total if total is not None else 21)  # multi-word past one page: at least a page and one more
            if progress and i % 250 == 0:
                progress("queries", 250, len(work))
        db.close()

    every = [t for k in KINDS for t in times[k]]
    names = [t for k in NAME_KINDS for t in times[k]]
    extra = {"prisoners": prisoners}
    out = [
        metric("search.p95_ms", percentile(every, 95), "ms", "≤ 5", queries=len(every), **extra),
        metric("search.p50_ms", percentile(every, 50), "ms", "report", queries=len(every), **extra),
        metric("search.number.p95_ms", percentile(times["number"], 95), "ms", "≤ 5", queries=len(times["number"]), **extra),
        metric("search.name.p95_ms", percentile(names, 95), "ms", "≤ 5", queries=len(names), **extra),
    ]
    for kind in ("prefix", "surname", "surname_given", "dob"):
        group = "name." if kind in NAME_KINDS else ""
        out.append(metric(f"search.{group}{kind}.p95_ms", percentile(times[kind], 95), "ms", "≤ 5", queries=len(times[kind]),
                          mean_hits=round(sum(hits[kind]) / len(hits[kind]), 1), **extra))
    out.append(metric("search.build.seconds", build_seconds, "s", "report", **extra))
    return out
