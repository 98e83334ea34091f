"""release: recalculate the release dates of 100,000 prisoners with one to five sentences each,
and read the legal due lists over them (DESIGN.md section 6).

The register is written straight into the tables (this is set-up, not measured): the reference
complex, 100,000 people held there, each with a custody episode, a legal basis (most a sentence;
some remand orders with reviews due or overdue, some detention orders lapsed) and one to five
sentences (a third consecutive to an earlier one, a few of 200, 700 or 1,500 years), remand
periods for half of them and adjustments for some.

- ``release.seconds``: ``legal.sentences.recalculate_site`` for the whole site in one
  transaction, commit included: load every sentence, calculate, store every calculation.
- ``release.pure_seconds``: the calculation alone over the same cases (for comparison).
- ``legal.due_ms``: ``legal.service.due_lists`` (held without a current basis, due soon,
  reviews overdue), median of several reads."""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.common import ACTOR, Database, Reporter, metric, note, stage, workdir
from habeas.db import transaction
from habeas.demo.service import load_layout
from habeas.kit import clock
from habeas.legal import release as calc
from habeas.legal import sentences
from habeas.legal import service as legal
from habeas.models import CustodyEpisode, LegalBasis, Prisoner, RemandPeriod, Sentence, SentenceAdjustment
from habeas.prisoners.numbers import format_number
from habeas.sites import repository as sites_repo

SITE = "RC"
CHUNK = 10_000


def run(*, prisoners: int = 100_000, repeats: int = 5, seed: int = 1, reporter: Reporter | None = None,
        directory: str | Path | None = None) -> list[dict[str, Any]]:
    with workdir(directory) as tmp:
        db = Database.create(tmp, "release.db")
        started = time.perf_counter()
        n_sentences = _populate(db, prisoners, seed, reporter)
        note(reporter, f"release: {prisoners:,} prisoners with {n_sentences:,} sentences written in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        with transaction(db.sessions) as session:
            out = sentences.recalculate_site(session, ACTOR, SITE, trigger="benchmark", progress=stage(reporter, "recalculate"))
        seconds = time.perf_counter() - started
        if out["calculated"] != prisoners:
            raise RuntimeError(f"calculated {out['calculated']:,} of {prisoners:,}")

        with db.sessions() as session:
            cases = _cases(session)
        started = time.perf_counter()
        rules = legal.jurisdiction().sentences
        calc.calculate_many(cases, rules)
        pure = time.perf_counter() - started

        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            with db.sessions() as session:
                lists = legal.due_lists(session, SITE, within_days=14)
            timings.append((time.perf_counter() - started) * 1000)
        db.close()
    return [
        metric("release.seconds", seconds, "s", "≤ 5", prisoners=prisoners, sentences=n_sentences),
        metric("release.pure_seconds", pure, "s", "report", prisoners=prisoners),
        metric("legal.due_ms", statistics.median(timings), "ms", "≤ 200", prisoners=prisoners, runs=repeats,
               held_without_basis=len(lists["held_without_basis"]), due=len(lists["due"]), reviews_overdue=len(lists["reviews_overdue"])),
    ]


def _cases(session) -> list[calc.ReleaseCase]:
    from habeas.models import ReleaseCalculation

    return [sentences.case_from_inputs(inputs) for (inputs,) in session.query(ReleaseCalculation.inputs)]


def _populate(db: Database, prisoners: int, seed: int, reporter) -> int:
    rng = random.Random(seed)
    now = clock.now()
    now_db = clock.db_time(now)
    today = now.date()
    with transaction(db.sessions) as session:
        load_layout(session, ACTOR, "layouts/reference-complex.yaml")
        site = sites_repo.site_by_code(session, SITE)
        cells = [loc.id for loc in sites_repo.locations(session, site.id) if loc.type == "cell" and loc.use == "normal"]
    progress = stage(reporter, "release: register")
    total_sentences = 0
    for start in range(0, prisoners, CHUNK):
        people, episodes, bases, sents, remands, adjs = [], [], [], [], [], []
        for i in range(start, min(start + CHUNK, prisoners)):
            pid = i + 1
            admitted = now - timedelta(days=rng.randint(30, 4000), minutes=rng.randint(0, 1439))
            adm_day = admitted.date()
            kind = rng.random()
            if kind < 0.8:
                basis = ("sentence", None, None)
            elif kind < 0.93:  # remand order, reviewed within 6 months; some overdue
                review = today + timedelta(days=rng.randint(-20, 170))
                basis = ("remand_order", review, None)
            else:  # detention order, 30 days; some lapsed
                expiry = today + timedelta(days=rng.randint(-40, 30))
                basis = ("detention_order", None, expiry)
            until = basis[2] or date(9999, 12, 31)
            people.append({"id": pid, "prisoner_number": format_number(pid), "surname": "Bench", "given_names": f"Person {pid}",
                           "surname_norm": "bench", "given_names_norm": f"person {pid}", "date_of_birth": date(1990, 1, 1),
                           "sex": "M", "security_level": "high", "legal_status": "convicted", "flags": [], "in_custody": True,
                           "current_site_id": site.id, "current_location_id": cells[i % len(cells)], "cell_id": cells[i % len(cells)],
                           "current_episode_id": pid, "basis_until": until, "created_at": now_db, "updated_at": now_db})
            episodes.append({"id": pid, "prisoner_id": pid, "site_id": site.id, "status": "open", "legal_status": "convicted",
                             "admitted_at": clock.db_time(admitted), "commitment_reason": "benchmark", "commitment_authority": "Tribunal",
                             "created_at": now_db})
            issue = basis[1] - timedelta(days=170) if basis[1] else (basis[2] - timedelta(days=30) if basis[2] else adm_day)
            bases.append({"episode_id": pid, "prisoner_id": pid, "type": basis[0], "reference": f"B-{pid}", "issuing_authority": "Tribunal",
                          "issue_date": min(issue, today), "review_due": basis[1], "expiry_date": basis[2], "status": "active", "created_at": now_db})
            keys: dict[str, date] = {}
            for k in range(rng.randint(1, 5)):
                key = f"S{k + 1}"
                years = rng.choice((200, 700, 1500)) if rng.random() < 0.01 else rng.randint(0, 30)
                after = rng.choice(list(keys)) if keys and rng.random() < 0.33 else None
                # a consecutive sentence is passed with (or after) the one it follows, never after it ends
                sdate = keys[after] if after else adm_day + timedelta(days=rng.randint(0, 20))
                sents.append({"prisoner_id": pid, "episode_id": pid, "key": key, "sentence_date": sdate,
                              "years": years, "months": rng.randint(0, 11), "days": rng.randint(0 if years else 1, 30), "life": False,
                              "consecutive_to": after, "status": "active", "created_at": now_db, "created_by": "bench"})
                keys[key] = sdate
            total_sentences += len(keys)
            if rng.random() < 0.5:
                r0 = adm_day - timedelta(days=rng.randint(10, 400))
                remands.append({"prisoner_id": pid, "episode_id": pid, "start": r0, "end": adm_day - timedelta(days=1), "active": True,
                                "created_at": now_db, "created_by": "bench"})
            if rng.random() < 0.2:
                adjs.append({"prisoner_id": pid, "episode_id": pid, "kind": rng.choice(("remission", "added_days", "credits")),
                             "days": rng.randint(1, 60), "reason": "benchmark", "active": True, "created_at": now_db, "created_by": "bench"})
        with transaction(db.sessions) as session:
            for model, rows in ((Prisoner, people), (CustodyEpisode, episodes), (LegalBasis, bases), (Sentence, sents),
                                (RemandPeriod, remands), (SentenceAdjustment, adjs)):
                if rows:
                    session.execute(insert(model), rows)
        if progress:
            progress("people", len(people), prisoners)
    with transaction(db.sessions) as session:
        session.connection().exec_driver_sql("ANALYZE")
    return total_sentences



