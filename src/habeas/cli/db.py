"""habeas db: the schema, through migrations only."""

from __future__ import annotations

import typer

from habeas.cli.common import console
from habeas.db import default_engine
from habeas.migrate import current_revision, upgrade as do_upgrade

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the migrations (creates the SQLite file under ./var/ when needed)."""
    engine = default_engine()
    before = current_revision(engine)
    do_upgrade(engine, revision)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"Database {url} is at revision {after}: nothing to do.")
    else:
        console.print(f"Database {url} upgraded from {before or 'empty'} to {after}.")


@app.command()
def current() -> None:
    """Print the schema revision of the database."""
    console.print(current_revision(default_engine()) or "empty (run `habeas db upgrade`)")
