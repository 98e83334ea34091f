"""The server copies SQLite's write-ahead log back into the database file from a thread of its
own: no commit waits for a checkpoint, and the log is copied in the background."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from habeas.app import create_app
from habeas.db import AUTOCHECKPOINT_BEHIND, AUTOCHECKPOINT_PAGES, Checkpointer, make_engine
from habeas.migrate import upgrade


@pytest.fixture
def db(tmp_path):
    """(engine, path) of a SQLite file."""
    path = tmp_path / "c.db"
    engine = make_engine(f"sqlite:///{path}")
    yield engine, path
    engine.dispose()


def _autocheckpoint(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()


def _write_pages(engine, n: int) -> None:
    """About ``n`` pages of log in one transaction."""
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, blob BLOB)")
        conn.execute(text("INSERT INTO filler (blob) VALUES (randomblob(3000))"), [{}] * n)


def _copied_back(path, rows: int) -> bool:
    return path.stat().st_size >= rows * 3000


def test_commits_leave_the_log_to_the_checkpointer(db):
    engine, path = db
    assert Checkpointer.wanted(engine)
    assert _autocheckpoint(engine) == AUTOCHECKPOINT_PAGES
    idle = Checkpointer(engine, every=3600).start()
    # pooled connections take the checkpointer's setting at their next checkout
    assert _autocheckpoint(engine) == AUTOCHECKPOINT_BEHIND
    _write_pages(engine, 3000)  # well past SQLite's 1,000-page automatic checkpoint
    assert not _copied_back(path, 3000)  # the commit left the log alone
    idle.stop()  # what is left is copied on stopping
    assert _copied_back(path, 3000)
    assert _autocheckpoint(engine) == AUTOCHECKPOINT_PAGES

    busy = Checkpointer(engine, every=0.05).start()
    _write_pages(engine, 3000)
    deadline = time.monotonic() + 10
    while not _copied_back(path, 6000) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _copied_back(path, 6000)  # copied by the thread, while the checkpointer runs
    busy.stop()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM filler").scalar_one() == 6000


def test_without_a_checkpointer_a_commit_copies_the_log_itself(db):
    engine, path = db
    _write_pages(engine, 3000)
    assert _copied_back(path, 3000)  # copied back inside the commit


def test_not_for_an_in_memory_database_or_postgres():
    assert not Checkpointer.wanted(make_engine("sqlite://"))
    assert not Checkpointer.wanted(make_engine("postgresql+psycopg://u:p@127.0.0.1:1/x"))


def test_the_server_runs_one_while_it_serves(db):
    engine, _ = db
    upgrade(engine)
    with TestClient(create_app(engine)) as client:
        assert client.get("/healthz").status_code == 200
        assert _autocheckpoint(engine) == AUTOCHECKPOINT_BEHIND
    assert _autocheckpoint(engine) == AUTOCHECKPOINT_PAGES


def test_a_truncating_checkpoint_empties_the_log(db):
    engine, path = db
    checkpointer = Checkpointer(engine, every=3600).start()
    _write_pages(engine, 500)
    wal = path.with_name("c.db-wal")
    assert wal.stat().st_size > 0
    busy, log, copied = checkpointer.checkpoint(mode="TRUNCATE")
    assert busy == 0 and log == copied and wal.stat().st_size == 0
    with pytest.raises(ValueError, match="no checkpoint mode"):
        checkpointer.checkpoint(mode="VACUUM; DROP TABLE filler")
    checkpointer.stop()
