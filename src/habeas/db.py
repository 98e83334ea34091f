"""Engine and sessions. One transaction per request or command; services never commit."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from habeas.config import get_settings


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str | None = None, *, echo: bool | None = None) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    echo = settings.sql_echo if echo is None else echo
    if is_sqlite(url):
        return _sqlite_engine(url, echo)
    return create_engine(url, echo=echo, pool_pre_ping=True, future=True)


def _sqlite_engine(url: str, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        # Let SQLAlchemy, not the driver, open transactions (so BEGIN IMMEDIATE below is the only one).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        # Reads through the OS page cache (shared by every connection) and a larger private cache:
        # the 2 MB default makes every query over a large register a series of system calls.
        cur.execute("PRAGMA mmap_size=2147483648")
        cur.execute("PRAGMA cache_size=-32768")
        cur.close()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):  # pragma: no cover
        # Each connection checkpoints the log itself unless a Checkpointer does it for the engine.
        want = AUTOCHECKPOINT_BEHIND if engine in _checkpointed else AUTOCHECKPOINT_PAGES
        if record.info.get("autocheckpoint") != want:
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={want}")
            record.info["autocheckpoint"] = want

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        # Every transaction takes the write lock up front: two writers never read the same
        # audit-chain head, and a stale snapshot can never fail a commit half-way.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# SQLite's default: a connection whose commit takes the log past this many pages copies the log
# back into the database file (a checkpoint) before its commit returns.
AUTOCHECKPOINT_PAGES = 1000
# With a Checkpointer at work, the connections checkpoint only past this (about 1 GB of log): a
# limit on the log's growth should the checkpointer fall behind, not the usual path. The log
# starts again from its beginning when a write begins with all of it copied back, which needs a
# pause between writes: under back-to-back batches it grows, and a commit that checkpointed at
# each 80 MB instead waited 100 ms or more for the copy and the file's sync every few batches.
AUTOCHECKPOINT_BEHIND = 250_000
_checkpointed: weakref.WeakSet[Engine] = weakref.WeakSet()


class Checkpointer:
    """Copies a SQLite database's write-ahead log back into the database file from a thread of
    its own, so that no commit waits for it.

    By default SQLite checkpoints inside the connection whose commit crossed 1,000 pages of log:
    that request then waits while thousands of pages are copied and the file synced (at a batch
    of 2,000 movements, a third of the batch's time). A PASSIVE checkpoint blocks neither readers
    nor the writer, so here it runs beside them. The server runs one for its file database;
    short commands keep SQLite's default. ``stop()`` copies what is left."""

    def __init__(self, engine: Engine, *, every: float = 0.2):
        self.path = make_url(str(engine.url)).database
        self.engine = engine
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def wanted(engine: Engine) -> bool:
        """Worth it for a SQLite database in a file (the log of an in-memory database is not a file)."""
        database = make_url(str(engine.url)).database
        return engine.dialect.name == "sqlite" and bool(database) and database != ":memory:" and not database.startswith("file::memory:")

    def start(self) -> Checkpointer:
        _checkpointed.add(self.engine)
        self._thread = threading.Thread(target=self._run, name="habeas-checkpointer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        _checkpointed.discard(self.engine)
        self.checkpoint()

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """One checkpoint: (busy, frames in the log, frames copied back). PASSIVE copies what it
        can without waiting; TRUNCATE waits for the writer and readers, copies everything and
        empties the log (after a bulk load)."""
        if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
            raise ValueError(f"no checkpoint mode {mode!r}")
        conn = self._connect()
        try:
            return conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)

    def _run(self) -> None:
        conn = self._connect()
        try:
            while not self._stop.wait(self.every):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:  # pragma: no cover - the connections' own checkpoint takes over
            _checkpointed.discard(self.engine)
        finally:
            conn.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


_default_engine: Engine | None = None
_default_factory: sessionmaker[Session] | None = None


def default_engine() -> Engine:
    global _default_engine, _default_factory
    if _default_engine is None:
        _default_engine = make_engine()
        _default_factory = make_sessionmaker(_default_engine)
    return _default_engine


def reset_default_engine() -> None:
    global _default_engine, _default_factory
    if _default_engine is not None:
        _default_engine.dispose()
    _default_engine = None
    _default_factory = None


@contextmanager
def transaction(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """The unit of work of a command: commit once at the end, roll back on any error."""
    if factory is None:
        default_engine()
        factory = _default_factory
    assert factory is not None
    from habeas.kit.errors import DomainError

    session = factory()
    try:
        yield session
        session.commit()
    except DomainError as exc:
        # Some refusals keep what was written before them (a failed login is counted).
        session.commit() if exc.persist else session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def insert_with_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """Insert rows into ``table`` (a table, or a model of one) with ids reserved up front, so one
    executemany does it on every engine."""
    if not rows:
        return []
    table = getattr(table, "__table__", table)
    ids = reserve_ids(session, table, len(rows))
    for row, id_ in zip(rows, ids, strict=True):
        row["id"] = id_
    session.connection().execute(table.insert(), rows)
    return ids


def reserve_ids(session: Session, table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``.

    PostgreSQL: drawn from the column's sequence. SQLite: every transaction holds the write
    lock from its first statement (BEGIN IMMEDIATE), so max(id) cannot move under us."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar_one()
        return list(conn.execute(text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)"), {"s": seq, "n": count}).scalars())
    start = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(start, start + count))



def bulk_insert(session: Session, table: str, columns: Sequence[tuple[str, str]], rows: list[tuple], *, copy: bool = False) -> None:
    """Insert many rows in one go, straight through the driver: SQLite gets one executemany;
    PostgreSQL gets one set-based statement over arrays (``INSERT ... SELECT FROM unnest``), so
    thousands of rows are one round trip and one plan. ``columns`` are (name, PostgreSQL type);
    pass datetimes through :func:`time_param`.

    ``copy``: on PostgreSQL, stream the rows with ``COPY ... FROM STDIN`` instead, each value read
    by its column's type as in the arrays. Same rows written; worth it for long text such as JSON,
    which the driver escapes element by element, in Python, into an array literal."""
    if not rows:
        return
    conn = session.connection()
    names = ", ".join(c for c, _ in columns)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
        return
    if copy:
        cur = conn.connection.dbapi_connection.cursor()
        try:
            if hasattr(cur, "copy"):  # psycopg 3
                with cur.copy(f"COPY {table} ({names}) FROM STDIN") as out:
                    write = out.write_row
                    for row in rows:
                        write(row)
                return
        finally:
            cur.close()
    arrays = ", ".join(f"%s::{t}[]" for _, t in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})", tuple(list(col) for col in zip(*rows, strict=True)))


def bulk_update(session: Session, table: str, key: tuple[str, str], columns: Sequence[tuple[str, str]], rows: list[tuple],
                where: str = "") -> None:
    """Update many rows by key in one go (rows are the ``columns`` values, then the key), the
    same way as :func:`bulk_insert`. ``where`` adds a condition on the target row (SQL text)."""
    if not rows:
        return
    conn = session.connection()
    extra = f" AND {where}" if where else ""
    if conn.dialect.name == "sqlite":
        sets = ", ".join(f"{c} = ?" for c, _ in columns)
        conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE {key[0]} = ?{extra}", rows)
        return
    every = [*columns, key]
    sets = ", ".join(f"{c} = v.{c}" for c, _ in columns)
    arrays = ", ".join(f"%s::{t}[]" for _, t in every)
    names = ", ".join(c for c, _ in every)
    conn.exec_driver_sql(f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({names}) WHERE {table}.{key[0]} = v.{key[0]}{extra}",
                         tuple(list(col) for col in zip(*rows, strict=True)))


def fetch_all(session: Session, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a read straight through the driver (``?`` placeholders), for reads of a whole
    population where per-row processing would dominate. Dates and times come back as the driver
    gives them: text on SQLite (see :func:`as_date`), date objects on PostgreSQL."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.execute(sql, params)
        return cur.fetchall()
    finally:
        cur.close()


def in_chunks(values: Iterable, size: int = 900) -> Iterator[tuple]:
    """``values`` as tuples of at most ``size``: parameters of ``IN (...)`` lists that stay
    within every engine's limit on bound parameters."""
    values = tuple(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def as_time(value) -> datetime | None:
    """A naive UTC datetime from :func:`fetch_all` on any engine (a datetime, or SQLite's text)."""
    if value is None or type(value) is datetime:
        return value
    return datetime.fromisoformat(value)


def as_date(value) -> date | None:
    """A date from :func:`fetch_all` on any engine (a date, a datetime, or ISO text)."""
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(value[:10])


def date_param(session: Session):
    """A converter for dates into :func:`fetch_all` parameters: ISO text on SQLite (how the column
    stores them), the date itself elsewhere."""
    if session.connection().dialect.name == "sqlite":
        return date.isoformat
    return lambda d: d


def time_param(session: Session):
    """A converter for naive UTC datetimes into what :func:`bulk_insert` hands the driver:
    SQLite stores the ORM's text form (always with microseconds, so text order is time order)."""
    if session.connection().dialect.name != "sqlite":
        return lambda v: v
    cache: dict[datetime, str] = {}

    def conv(v: datetime | None) -> str | None:
        if v is None:
            return None
        out = cache.get(v)
        if out is None:
            out = cache[v] = v.isoformat(" ", "microseconds")
        return out

    return conv
