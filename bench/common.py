"""What every benchmark shares: metrics, temporary databases, timing, progress on stderr."""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from habeas.db import make_engine, make_sessionmaker
from habeas.kit.context import Actor
from habeas.migrate import upgrade

ACTOR = Actor(username="bench", role="admin")
# progress(phase, advance, total), as in habeas.demo.service
ProgressFn = Callable[[str, int, int], None]


def metric(name: str, value: float, unit: str, target: str, **extra: Any) -> dict[str, Any]:
    """One result line: ``target`` is text such as "≥ 2000", "≤ 5" or "report" (no fixed target)."""
    return {"name": name, "value": round(float(value), 4), "unit": unit, "target": target, **extra}


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank: the value that p % of the samples do not exceed)."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class Stopwatch:
    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def __call__(self) -> Iterator[Stopwatch]:
        start = time.perf_counter()
        try:
            yield self
        finally:
            self.seconds += time.perf_counter() - start


class Database:
    """A migrated SQLite file under a temporary directory, with its engine and sessions."""

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"
        self.engine: Engine = make_engine(self.url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)

    @classmethod
    def create(cls, directory: Path, name: str) -> Database:
        db = cls(directory / name)
        upgrade(db.engine)
        return db

    def close(self) -> None:
        """Dispose of the engine: the last connection checkpoints the WAL into the main file."""
        self.engine.dispose()

    def copy(self, name: str) -> Database:
        """An identical copy (close this one first, so the file holds everything)."""
        target = self.path.parent / name
        shutil.copyfile(self.path, target)
        for suffix in ("-wal", "-shm"):
            side = Path(f"{self.path}{suffix}")
            if side.exists():
                shutil.copyfile(side, Path(f"{target}{suffix}"))
        return Database(target)


@contextmanager
def workdir(path: str | Path | None = None) -> Iterator[Path]:
    """A temporary directory for the benchmark databases, removed afterwards (kept when given)."""
    if path is not None:
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        yield p
        return
    with tempfile.TemporaryDirectory(prefix="habeas-bench-") as tmp:
        yield Path(tmp)


class Reporter:
    """Progress bars and notes on stderr (stdout stays clean for --json)."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=self.console, transient=False)
        self.tasks: dict[str, Any] = {}
        self.prefix = ""

    def __enter__(self) -> Reporter:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def stage(self, prefix: str) -> ProgressFn:
        """A progress callback whose phases are shown under ``prefix``."""
        def update(phase: str, advance: int, total: int) -> None:
            key = f"{prefix}: {phase}"
            if key not in self.tasks:
                self.tasks[key] = self.bar.add_task(key, total=total)
            self.bar.advance(self.tasks[key], advance)
        return update

    def note(self, text: str) -> None:
        self.bar.console.print(text, highlight=False)


def stage(reporter: Reporter | None, prefix: str) -> ProgressFn | None:
    return reporter.stage(prefix) if reporter else None


def note(reporter: Reporter | None, text: str) -> None:
    if reporter:
        reporter.note(text)
