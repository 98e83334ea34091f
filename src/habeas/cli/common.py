"""What every command shares: the console, the acting user, one transaction, one error path."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from rich.console import Console
from rich.table import Table

from habeas.db import transaction
from habeas.kit.context import Actor, new_request_id
from habeas.kit.errors import DomainError
from habeas.kit.jsonutil import canonical

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


def cli_actor() -> Actor:
    """Commands run with shell access to the server: they act as an administrator, named after the OS user."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return Actor(username=f"cli:{user}", role="admin", request_id=new_request_id())


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(json.loads(canonical(value)), indent=2, ensure_ascii=False) + "\n")


def fail(exc: DomainError, as_json: bool) -> None:
    details = exc.details if isinstance(exc.details, list) else None
    if as_json:
        rows = details or [{"row": None, "field": None, "message": exc.message}]
        print_json({
            "code": exc.code,
            "message": exc.message,
            "errors": [{"row": d.get("row"), "field": d.get("field"), "message": d.get("message") or exc.message,
                        **{k: v for k, v in d.items() if k not in ("row", "field", "message")}} if isinstance(d, dict) else {"row": None, "field": None, "message": str(d)}
                       for d in rows],
            "details": None if details else exc.details,
        })
    else:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        if details:
            table = Table("file", "row", "field", "problem", show_lines=False, header_style="bold")
            for d in details[:200]:
                if not isinstance(d, dict):
                    d = {"message": d}
                message = str(d.get("message") or exc.message)
                extra = ", ".join(f"{k}={v}" for k, v in d.items()
                                  if k not in ("file", "row", "field", "message") and v is not None and str(v) not in message)
                message += f" ({extra})" if extra else ""
                table.add_row(str(d.get("file") or ""), "" if d.get("row") is None else str(d.get("row")), str(d.get("field") or ""), message)
            err_console.print(table)
            if len(details) > 200:
                err_console.print(f"... and {len(details) - 200} more")
        elif exc.details:
            err_console.print(exc.details)
    raise typer.Exit(code=1)


def run(fn: Callable[..., T], *, as_json: bool = False) -> T:
    """Run ``fn(session, actor)`` in one transaction; domain errors print clearly and exit 1."""
    actor = cli_actor()
    try:
        with transaction() as session:
            return fn(session, actor)
    except DomainError as exc:
        fail(exc, as_json)
        raise  # unreachable
    except (OperationalError, ProgrammingError) as exc:
        fail(DomainError(f"the database is not reachable or not migrated ({type(exc.orig).__name__}: {str(exc.orig).splitlines()[0]}); check HABEAS_DATABASE_URL and run `habeas db upgrade`", code="database_unavailable"), as_json)
        raise
