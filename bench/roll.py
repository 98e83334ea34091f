"""roll: the full roll of a 40,000 population, and reconciling a full count of every cell of
that site (DESIGN.md section 6).

The database is the demo itself (``build_demo``) with 40,000 prisoners housed in the
reference complex. ``roll.ms`` is the median of several full rolls (every location down to each
cell), each in its own transaction. ``count.reconcile_ms`` is one count of the whole site
through the service: every location's observed number submitted, the differences reconciled
and the count cleared, commit included; opening the count is reported apart."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import ACTOR, Database, Reporter, metric, note, stage, workdir
from habeas.counts import service as counts
from habeas.db import transaction
from habeas.demo.service import build_demo
from habeas.roll.service import roll

SITE = "RC"


def run(*, population: int = 40_000, repeats: int = 7, seed: int = 1, reporter: Reporter | None = None,
        directory: str | Path | None = None) -> list[dict[str, Any]]:
    with workdir(directory) as tmp:
        db = Database.create(tmp, "roll.db")
        started = time.perf_counter()
        with transaction(db.sessions) as session:
            build_demo(session, ACTOR, prisoners=population, seed=seed, password="bench-password", progress=stage(reporter, "demo"))
        note(reporter, f"roll: demo of {population:,} built in {time.perf_counter() - started:.1f} s")

        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            with transaction(db.sessions) as session:
                r = roll(session, SITE, depth=None)
            timings.append((time.perf_counter() - started) * 1000)
        if r.population != population:
            raise RuntimeError(f"roll counted {r.population:,}, expected {population:,}")

        started = time.perf_counter()
        with transaction(db.sessions) as session:
            count_id = counts.open_count(session, ACTOR, SITE, kind="scheduled").id
            lines = [(ln["location"], ln["expected"]) for ln in counts.view(session, count_id)["lines"]]
        open_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        with transaction(db.sessions) as session:
            status = counts.submit(session, ACTOR, count_id, lines)
            counts.reconcile(session, ACTOR, count_id)
            counts.clear(session, ACTOR, count_id)
        reconcile_ms = (time.perf_counter() - started) * 1000
        if any(v != "matched" for v in status.values()):
            raise RuntimeError("a full count of an untouched ledger did not match")
        db.close()
    return [
        metric("roll.ms", statistics.median(timings), "ms", "≤ 200", population=population, locations=len(r.lines),
               max_ms=round(max(timings), 2), runs=repeats),
        metric("count.reconcile_ms", reconcile_ms, "ms", "≤ 500", locations=len(lines), expected=sum(n for _, n in lines)),
        metric("count.open_ms", open_ms, "ms", "report", locations=len(lines)),
    ]
