"""Test fixtures: every database test runs on SQLite and on PostgreSQL, each test in a fresh
database cloned from one built by the real migrations."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from habeas.config import get_settings
from habeas.db import make_engine, make_sessionmaker, reset_default_engine
from habeas.kit import clock
from habeas.migrate import upgrade

from tests import pgcluster

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_LAYOUT = ROOT / "layouts" / "reference-complex.yaml"

_pg_state: dict = {"url": os.environ.get("HABEAS_TEST_PG_URL"), "cluster": None, "note": None, "error": None}
if not _pg_state["url"]:
    _bin = pgcluster.find_bin_dir()
    if _bin is None:
        _pg_state["note"] = "PostgreSQL server binaries not found: the suite runs on SQLite only (install postgresql to run both)"
    else:
        _pg_state["note"] = f"PostgreSQL: throw-away cluster from {_bin}"
        _pg_state["bin"] = _bin
else:
    _pg_state["note"] = "PostgreSQL: HABEAS_TEST_PG_URL"

BACKENDS = ["sqlite"] + (["postgresql"] if (_pg_state["url"] or _pg_state.get("bin")) else [])


def pytest_report_header(config):
    return _pg_state["note"]


def pytest_sessionstart(session):
    # One clear line even under -q, where the report header is hidden.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.config.get_verbosity() < 0:
        reporter.write_line(_pg_state["note"])


def pytest_configure(config):
    # Password hashing stays argon2id, with the lightest parameters: hundreds of tests create
    # users and sign in, and the production cost (~0.1 s a hash) would dominate the suite.
    # tests/auth checks the production parameters themselves.
    from argon2 import PasswordHasher

    from habeas.auth import passwords

    passwords.PRODUCTION_HASHER = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if _pg_state.get("bin") and not _pg_state["url"]:
        try:
            cluster = pgcluster.Cluster(_pg_state["bin"])
            _pg_state["url"] = cluster.start()
            _pg_state["cluster"] = cluster
        except Exception as exc:  # reported by every PostgreSQL test
            _pg_state["error"] = str(exc)


def pytest_unconfigure(config):
    if _pg_state["cluster"] is not None:
        _pg_state["cluster"].stop()


def pg_admin_url() -> str:
    if _pg_state["error"]:
        pytest.fail(f"PostgreSQL could not start: {_pg_state['error']}")
    return _pg_state["url"]


def _with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


_counter = itertools.count()


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """Migrated template databases, built once per session per engine."""
    built: dict[str, str] = {}

    def get(backend: str) -> str:
        if backend in built:
            return built[backend]
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("template") / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)
            engine.dispose()
            built[backend] = str(path)
        else:
            admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text("DROP DATABASE IF EXISTS habeas_template"))
                c.execute(text("CREATE DATABASE habeas_template"))
            admin.dispose()
            engine = make_engine(_with_db(pg_admin_url(), "habeas_template"))
            upgrade(engine)
            engine.dispose()
            built[backend] = "habeas_template"
        return built[backend]

    return get


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, templates, tmp_path) -> str:
    """A fresh, migrated database for this test."""
    template = templates(backend)
    if backend == "sqlite":
        path = tmp_path / "habeas.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {template}'))
    admin.dispose()
    return _with_db(pg_admin_url(), name)


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


@pytest.fixture(autouse=True)
def _isolate_settings(monkeypatch):
    """No test leaks clock, settings or engine into the next."""
    yield
    clock.freeze(None)
    get_settings.cache_clear()
    reset_default_engine()


@pytest.fixture
def use_db(db_url, monkeypatch):
    """Point the process-wide settings (CLI, default engine) at this test's database."""
    monkeypatch.setenv("HABEAS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    reset_default_engine()
    return db_url
