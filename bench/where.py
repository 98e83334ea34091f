"""where: point-in-time queries over a long movement history, and batched movement ingest
(DESIGN.md section 6).

The database: the reference complex with the demo population (40,000 by default) booked and
housed, then a history of daily exercise (cell -> exercise hallway -> cell, one movement each
way per person per day) written straight into the ledger tables, oldest first, until the
ledger holds ``movements`` rows (10 million by default). The history is bulk-loaded, not
measured; it is the same rows the ledger writes (movements and their stays).

Measured, in-process, on SQLite and (when the server binaries are installed) on a throw-away
PostgreSQL cluster:
- ``where.<engine>.p99_ms``: the worse of the two p99s below;
- where-was: a random person at a random minute of the history (``movements.service.where_was``);
- who-was: a random cell at a random minute, with the occupants' names (``occupants_at``);
  landings and pavilions are reported as well;
- ``movements.ingest_per_s``: batches of movements through ``move_many`` (validation, ledger,
  stays, current state, audit, commit), a group of each pavilion to its exercise hallway and back;
  on SQLite with the server's background checkpointer, the final copy of the log included. 20
  batches are timed after a first pair (reported as ``first_pair_per_s``)."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench.common import ACTOR, Database, Reporter, metric, note, percentile, stage, workdir
from habeas.db import Checkpointer, make_engine, make_sessionmaker, transaction
from habeas.demo.service import build_demo
from habeas.kit import clock
from habeas.migrate import upgrade
from habeas.models import Location, Movement, Prisoner
from habeas.movements.ledger import span_level
from habeas.movements.service import MoveRequest, move_many, occupants_at, where_was
from habeas.sites import repository as sites_repo

SITE = "RC"
CHUNK = 200_000
MOVEMENT_COLUMNS = ("id", "prisoner_id", "episode_id", "site_id", "from_location_id", "to_location_id", "kind", "reason", "escort",
                    "destination", "corrects_id", "correction", "moved_at", "recorded_at", "recorded_by")
STAY_COLUMNS = ("movement_id", "prisoner_id", "site_id", "location_id", "start_at", "end_at", "span_level")


def run(*, population: int = 40_000, movements: int = 10_000_000, queries: int = 2_000, ingest_batches: int = 20,
        seed: int = 1, reporter: Reporter | None = None, directory: str | Path | None = None,
        postgres: bool = True) -> list[dict[str, Any]]:
    days = max(1, -(-movements // (2 * population)) + 1)  # enough days to pass the requested count
    results: list[dict[str, Any]] = []
    with workdir(directory) as tmp:
        db = Database.create(tmp, "where.db")
        results += _engine_run("sqlite", db.sessions, population, days, queries, ingest_batches, seed, reporter)
        db.close()
    if postgres:
        results += _postgres(population, days, queries, ingest_batches, seed, reporter)
    return results


def _postgres(population, days, queries, ingest_batches, seed, reporter) -> list[dict[str, Any]]:
    try:
        from tests.pgcluster import Cluster, find_bin_dir
    except ImportError:
        return []
    bin_dir = find_bin_dir()
    if bin_dir is None:
        note(reporter, "where: PostgreSQL server binaries not found; SQLite only")
        return []
    cluster = Cluster(bin_dir)
    try:
        url = cluster.start()
        engine = make_engine(url)
        upgrade(engine)
        out = _engine_run("postgres", make_sessionmaker(engine), population, days, queries, ingest_batches, seed, reporter)
        engine.dispose()
        return out
    finally:
        cluster.stop()


def _engine_run(engine_name, sessions, population, days, queries, ingest_batches, seed, reporter) -> list[dict[str, Any]]:
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days + 1)
    clock.freeze(start)
    try:
        t0 = time.perf_counter()
        with transaction(sessions) as session:
            build_demo(session, ACTOR, prisoners=population, seed=seed, password="bench-password", leave_in_reception=0,
                       progress=stage(reporter, f"{engine_name}: demo"))
        note(reporter, f"where/{engine_name}: {population:,} people booked and housed in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        total = _history(sessions, start, days, reporter, engine_name)
        note(reporter, f"where/{engine_name}: {total:,} movements in the ledger, history loaded in {time.perf_counter() - t0:.1f} s")
    finally:
        clock.freeze(None)
    clock.freeze(end)
    try:
        where_ms, who = _queries(sessions, start + timedelta(days=1), end - timedelta(hours=1), queries, seed)
        ingest = _ingest(sessions, ingest_batches, end)
    finally:
        clock.freeze(None)
    p99_where, p99_cell = percentile(where_ms, 99), percentile(who["cell"], 99)
    return [
        metric(f"where.{engine_name}.p99_ms", max(p99_where, p99_cell), "ms", "≤ 10", movements=total, queries=2 * queries),
        metric(f"where.{engine_name}.where_was.p99_ms", p99_where, "ms", "≤ 10", p50_ms=round(percentile(where_ms, 50), 3)),
        metric(f"where.{engine_name}.who_was_cell.p99_ms", p99_cell, "ms", "≤ 10", p50_ms=round(percentile(who["cell"], 50), 3)),
        metric(f"where.{engine_name}.who_was_landing.p99_ms", percentile(who["landing"], 99), "ms", "report",
               p50_ms=round(percentile(who["landing"], 50), 3)),
        metric(f"where.{engine_name}.who_was_pavilion.p99_ms", percentile(who["pavilion"], 99), "ms", "report",
               p50_ms=round(percentile(who["pavilion"], 50), 3)),
        metric("movements.ingest_per_s" if engine_name == "sqlite" else f"movements.{engine_name}.ingest_per_s", ingest["per_s"],
               "movements/s", "≥ 20000", movements=ingest["movements"], batch=ingest["batch"],
               first_pair_per_s=round(ingest["cold_per_s"])),
    ]


def _history(sessions, start: datetime, days: int, reporter, engine_name: str) -> int:
    """Daily exercise for everyone housed, from ``start`` on, written into movements and stays."""
    with transaction(sessions) as session:
        site = sites_repo.site_by_code(session, SITE)
        ex = {loc.parent_id: loc.id for loc in sites_repo.locations(session, site.id) if loc.code.endswith("-EX")}
        pav_of = _pavilion_of(session, site.id)
        people = session.execute(select(Prisoner.id, Prisoner.current_episode_id, Prisoner.current_location_id,
                                        Prisoner.last_movement_id, Prisoner.last_moved_at)
                                 .where(Prisoner.in_custody.is_(True), Prisoner.cell_id.is_not(None))).all()
        next_id = (session.execute(select(func.max(Movement.id))).scalar() or 0) + 1
        site_id = site.id
    # Each person goes out at 08:00 + (their slot) and is back 30 minutes later.
    day0 = datetime(start.year, start.month, start.day) + timedelta(days=1, hours=8)
    slots = {p.id: timedelta(minutes=(i * 7) % 480) for i, p in enumerate(people)}
    progress = stage(reporter, f"{engine_name}: history days")
    total_rows = 0
    moves: list[tuple] = []
    # the housing stays open since the demo end at each person's first exercise
    stays: list[tuple] = [(p.last_movement_id, p.id, site_id, p.current_location_id, p.last_moved_at, day0 + slots[p.id],
                           span_level(p.last_moved_at, day0 + slots[p.id])) for p in people]
    last: dict[int, tuple[int, datetime]] = {}
    for d in range(days):
        base = day0 + timedelta(days=d)
        for p in people:
            out = base + slots[p.id]
            back = out + timedelta(minutes=30)
            nxt = out + timedelta(days=1) if d + 1 < days else None
            ex_id = ex[pav_of[p.current_location_id]]
            moves.append((next_id, p.id, p.current_episode_id, site_id, p.current_location_id, ex_id, "internal", "exercise", None,
                          None, None, False, out, out, "bench"))
            stays.append((next_id, p.id, site_id, ex_id, out, back, span_level(out, back)))
            moves.append((next_id + 1, p.id, p.current_episode_id, site_id, ex_id, p.current_location_id, "internal", "back from exercise",
                          None, None, None, False, back, back, "bench"))
            if nxt:  # the last one is still open: the person's current location
                stays.append((next_id + 1, p.id, site_id, p.current_location_id, back, nxt, span_level(back, nxt)))
            last[p.id] = (next_id + 1, back)
            next_id += 2
        if len(moves) >= CHUNK or d + 1 == days:
            total_rows += len(moves)
            _load(sessions, moves, stays)
            moves, stays = [], []
        if progress:
            progress("days", 1, days)
    with transaction(sessions) as session:
        session.connection().execute(text("UPDATE positions SET last_movement_id = :m, last_moved_at = :t WHERE prisoner_id = :p"),
                                     [{"m": m, "t": t, "p": pid} for pid, (m, t) in last.items()])
        postgres = session.connection().dialect.name == "postgresql"
        if postgres:
            session.connection().execute(text("SELECT setval(pg_get_serial_sequence('movements', 'id'), :v)"), {"v": next_id})
        else:
            session.connection().execute(text("ANALYZE"))
        total = session.execute(select(func.count()).select_from(Movement)).scalar_one()
    # What an operator does after a bulk load, and what autovacuum and the server's own
    # checkpoint would otherwise do in the middle of the measured queries.
    engine = sessions.kw["bind"]
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
            conn.exec_driver_sql("CHECKPOINT")
    elif Checkpointer.wanted(engine):
        Checkpointer(engine).checkpoint(mode="TRUNCATE")
    return total


def _load(sessions, moves: list[tuple], stays: list[tuple]) -> None:
    with transaction(sessions) as session:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY movements ({', '.join(MOVEMENT_COLUMNS)}) FROM STDIN") as cp:
                    for row in moves:
                        cp.write_row(row)
                with cur.copy(f"COPY location_stays ({', '.join(STAY_COLUMNS)}) FROM STDIN") as cp:
                    for row in stays:
                        cp.write_row(row)
            return
        def iso(v):
            return v.isoformat(" ", "microseconds") if isinstance(v, datetime) else v
        conn.exec_driver_sql(f"INSERT INTO movements ({', '.join(MOVEMENT_COLUMNS)}) VALUES ({', '.join('?' * len(MOVEMENT_COLUMNS))})",
                             [tuple(iso(v) for v in r) for r in moves])
        conn.exec_driver_sql(f"INSERT INTO location_stays ({', '.join(STAY_COLUMNS)}) VALUES ({', '.join('?' * len(STAY_COLUMNS))})",
                             [tuple(iso(v) for v in r) for r in stays])


def _pavilion_of(session, site_id: int) -> dict[int, int]:
    """cell id -> its pavilion's id (the exercise hallway hangs from the pavilion)."""
    locs = {loc.id: loc for loc in sites_repo.locations(session, site_id)}
    out = {}
    for loc in locs.values():
        top = loc
        while top.parent_id is not None:
            top = locs[top.parent_id]
        out[loc.id] = top.id
    return out


def _queries(sessions, lo: datetime, hi: datetime, n: int, seed: int) -> tuple[list[float], dict[str, list[float]]]:
    rng = random.Random(seed)
    span = (hi - lo).total_seconds()
    with sessions() as session:
        site = sites_repo.site_by_code(session, SITE)
        people = list(session.execute(select(Prisoner).where(Prisoner.in_custody.is_(True))).scalars())
        locs = sites_repo.locations(session, site.id)
        cells = [loc for loc in locs if loc.type == "cell" and loc.use == "normal"]
        landings = [loc for loc in locs if loc.type == "landing"]
        pavilions = [loc for loc in locs if loc.type == "pavilion"]
        for p in people[:50]:  # warm-up
            where_was(session, p, lo)
        where_ms = []
        for _ in range(n):
            p, t = rng.choice(people), lo + timedelta(seconds=rng.random() * span)
            t0 = time.perf_counter()
            w = where_was(session, p, t)
            where_ms.append((time.perf_counter() - t0) * 1000)
            assert w.in_custody
        who: dict[str, list[float]] = {"cell": [], "landing": [], "pavilion": []}
        for kind, pool, k in (("cell", cells, n), ("landing", landings, max(20, n // 20)), ("pavilion", pavilions, max(10, n // 50))):
            for _ in range(k):
                loc, t = rng.choice(pool), lo + timedelta(seconds=rng.random() * span)
                t0 = time.perf_counter()
                occupants_at(session, site.id, loc, t)
                who[kind].append((time.perf_counter() - t0) * 1000)
        session.rollback()
    return where_ms, who


def _ingest(sessions, batches: int, now: datetime) -> dict[str, float]:
    """Groups of up to 280 from every pavilion to its exercise hallway and back, a batch each way.

    A first pair of batches warms the process and the caches up, as in a server that has been
    running; its rate is reported (``cold_per_s``) but not counted. Each pair moves other people."""
    with sessions() as session:
        site = sites_repo.site_by_code(session, SITE)
        pav_of = _pavilion_of(session, site.id)
        ex = {loc.parent_id: loc.id for loc in sites_repo.locations(session, site.id) if loc.code.endswith("-EX")}
        people = session.execute(select(Prisoner.id, Prisoner.current_location_id).where(Prisoner.in_custody.is_(True),
                                                                                          Prisoner.cell_id == Prisoner.current_location_id)).all()
        caps = {i: session.get(Location, i).max_capacity for i in ex.values()}
    by_pav: dict[int, list] = {}
    for pid, loc in people:
        by_pav.setdefault(pav_of[loc], []).append((pid, loc))
    done, seconds, batch_size, cold = 0, 0.0, 0, 0.0
    t = now
    # As in the server: the log is copied back into a SQLite file beside the writes, and what is
    # left to copy at the end is counted in the time.
    engine = sessions.kw["bind"]
    checkpointer = Checkpointer(engine).start() if Checkpointer.wanted(engine) else None
    pairs = batches // 2 + 1
    size = {pav: min(280, caps[ex[pav]], max(1, len(rows) // pairs)) for pav, rows in by_pav.items()}
    for b in range(pairs):
        group = [x for pav, rows in by_pav.items() for x in rows[b * size[pav]:(b + 1) * size[pav]]]
        out = [MoveRequest(pid, ex[pav_of[loc]], "exercise", moved_at=t) for pid, loc in group]
        back = [MoveRequest(pid, loc, "back from exercise", moved_at=t + timedelta(minutes=30)) for pid, loc in group]
        pair_started = time.perf_counter()
        for moves, when in ((out, t), (back, t + timedelta(minutes=30))):
            clock.freeze(when)
            started = time.perf_counter()
            with transaction(sessions) as session:
                written = len(move_many(session, ACTOR, site.id, moves))
            if b > 0:
                done += written
                seconds += time.perf_counter() - started
            batch_size = max(batch_size, len(moves))
        if b == 0 and group:
            cold = 2 * len(group) / (time.perf_counter() - pair_started)
        t += timedelta(hours=1)
    if checkpointer is not None:
        started = time.perf_counter()
        checkpointer.stop()
        seconds += time.perf_counter() - started
    return {"per_s": done / seconds if seconds else 0.0, "movements": done, "batch": batch_size, "cold_per_s": cold}
