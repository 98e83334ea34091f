"""The `habeas` command."""

from __future__ import annotations

import typer

from habeas.cli import audit, bench, court, db, demo, housing, i18n, intake, legal, operations, prisoner, site, transfer, user

app = typer.Typer(
    name="habeas",
    help="Habeas: custody management for detention facilities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(site.app, name="site")
app.add_typer(intake.app, name="intake")
app.add_typer(audit.app, name="audit")
app.add_typer(user.app, name="user")
app.add_typer(prisoner.app, name="prisoner")
app.add_typer(housing.app, name="housing")
app.add_typer(housing.na_app, name="non-associations")
app.add_typer(transfer.app, name="transfer")
app.add_typer(legal.legal_app, name="legal")
app.add_typer(legal.sentence_app, name="sentence")
app.add_typer(legal.release_app, name="release")
app.add_typer(court.app, name="court")
app.add_typer(i18n.app, name="i18n")
app.add_typer(operations.movement_app, name="movement")
app.add_typer(operations.count_app, name="count")
app.add_typer(operations.welfare_app, name="welfare")
app.add_typer(operations.incident_app, name="incident")
app.add_typer(operations.location_app, name="location")
app.command("where")(operations.where)
app.command("occupants")(operations.occupants)
app.command("roll")(operations.roll)
app.command("demo")(demo.demo)
app.command("bench")(bench.bench)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (PostgreSQL deployments)."),
) -> None:
    """Run the web server (API under /api/v1, OpenAPI at /api/openapi.json)."""
    import uvicorn

    from habeas.cli.common import console

    console.print(f"Habeas serving on [bold]http://{host}:{port}[/]  (API docs: http://{host}:{port}/api/docs)")
    uvicorn.run("habeas.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    app()
