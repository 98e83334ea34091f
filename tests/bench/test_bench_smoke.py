"""The benchmarks run end to end on a few hundred people and report well-formed results.
No timing is asserted: only the shape of the output."""

from __future__ import annotations

import functools
import json
import math

import pytest
from typer.testing import CliRunner

from bench import allocate, intake, release, roll, search, web, where
from habeas.cli.main import app


def _check(results, expected):
    assert isinstance(results, list) and results
    json.loads(json.dumps(results))  # plain JSON
    for r in results:
        assert {"name", "value", "unit", "target"} <= r.keys(), r
        assert isinstance(r["name"], str) and isinstance(r["unit"], str) and isinstance(r["target"], str)
        assert isinstance(r["value"], (int, float)) and not isinstance(r["value"], bool)
        assert math.isfinite(r["value"]) and r["value"] > 0, r
    names = [r["name"] for r in results]
    assert len(set(names)) == len(names)
    assert set(expected) <= set(names), names


def test_intake_bench_smoke(tmp_path):
    results = intake.run(residents=300, manifest_rows=40, directory=tmp_path)
    _check(results, ["intake.bookings_per_s", "intake.seconds", "intake.ratio_to_raw_insert", "demo.seconds"])


def test_search_bench_smoke(tmp_path):
    results = search.run(prisoners=300, per_kind=12, warmup=10, directory=tmp_path)
    _check(results, ["search.p95_ms", "search.p50_ms", "search.number.p95_ms", "search.name.p95_ms"])
    assert all(r["queries"] >= 12 for r in results if r["name"].endswith("_ms"))


def test_roll_bench_smoke(tmp_path):
    results = roll.run(population=300, repeats=2, directory=tmp_path)
    _check(results, ["roll.ms", "count.reconcile_ms", "count.open_ms"])


def test_where_bench_smoke(tmp_path):
    results = where.run(population=200, movements=2_000, queries=20, ingest_batches=2, directory=tmp_path, postgres=False)
    _check(results, ["where.sqlite.p99_ms", "where.sqlite.where_was.p99_ms", "where.sqlite.who_was_cell.p99_ms", "movements.ingest_per_s"])
    assert next(r for r in results if r["name"] == "where.sqlite.p99_ms")["movements"] >= 2_000


def test_allocate_bench_smoke(tmp_path):
    results = allocate.run(residents=300, arrivals=60, non_associations=40, full=400, cpsat_limit=2.0, gap_instances=1, directory=tmp_path)
    _check(results[:1], ["allocate.seconds"])
    names = {r["name"]: r for r in results}
    assert names["allocate.violations"]["value"] == 0 and names["allocate.full_40000_seconds"]["placed"] > 0


def test_release_bench_smoke(tmp_path):
    results = release.run(prisoners=300, repeats=2, directory=tmp_path)
    _check(results, ["release.seconds", "release.pure_seconds", "legal.due_ms"])


def test_web_bench_smoke(tmp_path):
    results = web.run(population=200, full=300, rounds=2, directory=tmp_path)
    _check(results, ["web.p95_ms", "web.sitemap_ms"])
    assert results[0]["pages"] >= 10 and results[0]["requests"] == 2 * results[0]["pages"]


def test_cli_prints_json_alone_on_stdout(monkeypatch):
    monkeypatch.setattr(search, "run", functools.partial(search.run, prisoners=200, per_kind=5, warmup=5))
    result = CliRunner().invoke(app, ["bench", "search", "--json"])
    assert result.exit_code == 0, result.output
    _check(json.loads(result.stdout), ["search.p95_ms"])


@pytest.mark.parametrize("args", [["bench", "nonsense"], ["bench", "nonsense", "--json"]])
def test_cli_refuses_an_unknown_benchmark(args):
    assert CliRunner().invoke(app, args).exit_code == 2
