"""web: server-side time of the main staff pages over the 15,000-prisoner demo, and of the full
site map of the 40,000-bed reference complex (DESIGN.md section 6).

Each page is requested in-process through the ASGI app by a browser session signed in as the
demo admin, or as the records officer for the booking form (cookies, CSRF and permission checks included, as in production). The time is the
server's own, from the ``Server-Timing`` header the app sets on every response (work from the
first byte of the request to the response, database included; no network). ``web.p95_ms`` is
the 95th percentile over every request to every main page; each page's own p95 is listed too.
``web.sitemap_ms`` is the median time of the site map with 40,000 people housed."""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench.common import ACTOR, Database, Reporter, metric, note, percentile, stage, workdir
from habeas.db import transaction
from habeas.demo.service import build_demo

SITE = "RC"
PASSWORD = "bench-password"
_TIMING = re.compile(r"app;dur=([0-9.]+)")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main_pages(number: str, surname: str, count_id: int | None) -> list[str]:
    pages = [f"/sites/{SITE}", f"/sites/{SITE}/map", f"/sites/{SITE}/roll", f"/sites/{SITE}/counts", "/prisoners",
             f"/prisoners?q={surname}", f"/prisoners/{number}", f"/sites/{SITE}/intake", f"/sites/{SITE}/transfers",
             f"/sites/{SITE}/court", f"/sites/{SITE}/legal", "/audit"]
    if count_id is not None:
        pages.append(f"/sites/{SITE}/counts/{count_id}")
    return pages


# Pages opened by a user of another role than the admin (whose role may not book people).
AS_ROLE = {f"/sites/{SITE}/intake": "records"}


def _signed_in(app, username: str = "admin") -> TestClient:
    client = TestClient(app, raise_server_exceptions=True)
    client.__enter__()
    page = client.get("/login")
    token = _CSRF.search(page.text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"}, follow_redirects=False)
    if r.status_code != 303:
        raise RuntimeError(f"sign-in failed: {r.status_code}")
    return client


def _server_ms(client: TestClient, url: str) -> float:
    r = client.get(url)
    if r.status_code != 200:
        raise RuntimeError(f"{url} answered {r.status_code}")
    return float(_TIMING.search(r.headers["server-timing"]).group(1))


def _build(tmp: Path, name: str, people: int, seed: int, reporter) -> Database:
    db = Database.create(tmp, name)
    started = time.perf_counter()
    with transaction(db.sessions) as session:
        build_demo(session, ACTOR, prisoners=people, seed=seed, password=PASSWORD, progress=stage(reporter, f"demo {people:,}"))
    note(reporter, f"web: demo of {people:,} built in {time.perf_counter() - started:.1f} s")
    return db


def run(*, population: int = 15_000, full: int = 40_000, rounds: int = 15, seed: int = 1, reporter: Reporter | None = None,
        directory: str | Path | None = None) -> list[dict[str, Any]]:
    from habeas.app import create_app
    from habeas.counts import service as counts
    from habeas.models import Prisoner
    from sqlalchemy import select

    with workdir(directory) as tmp:
        db = _build(tmp, "web.db", population, seed, reporter)
        with transaction(db.sessions) as session:
            # a person with a sentence and a history, and an open count of one landing
            number, surname = session.execute(select(Prisoner.prisoner_number, Prisoner.surname)
                                              .where(Prisoner.in_custody.is_(True), Prisoner.cell_id.is_not(None))
                                              .order_by(Prisoner.id).limit(1)).one()
            count_id = counts.open_count(session, ACTOR, SITE, kind="scheduled", scope="P1-1").id
        app = create_app(db.engine)
        clients = {"admin": _signed_in(app)}
        for role in set(AS_ROLE.values()):
            clients[role] = _signed_in(app, role)
        pages = main_pages(number, surname, count_id)
        per_page: dict[str, list[float]] = {p: [] for p in pages}
        for p in pages:  # warm the template cache and the database pages once
            _server_ms(clients[AS_ROLE.get(p, "admin")], p)
        for _ in range(rounds):
            for p in pages:
                per_page[p].append(_server_ms(clients[AS_ROLE.get(p, "admin")], p))
        for c in clients.values():
            c.__exit__(None, None, None)
        db.close()
        samples = [t for ts in per_page.values() for t in ts]

        big = _build(tmp, "web-full.db", full, seed, reporter)
        app = create_app(big.engine)
        client = _signed_in(app)
        _server_ms(client, f"/sites/{SITE}/map")
        sitemap = [_server_ms(client, f"/sites/{SITE}/map") for _ in range(max(5, rounds // 2))]
        client.__exit__(None, None, None)
        big.close()
    slowest = max(per_page, key=lambda p: percentile(per_page[p], 95))
    return [
        metric("web.p95_ms", percentile(samples, 95), "ms", "≤ 100", population=population, pages=len(pages), requests=len(samples),
               slowest_page=slowest, per_page_p95_ms={p: round(percentile(ts, 95), 1) for p, ts in per_page.items()}),
        metric("web.sitemap_ms", statistics.median(sitemap), "ms", "≤ 300", population=full, max_ms=round(max(sitemap), 1), runs=len(sitemap)),
    ]
