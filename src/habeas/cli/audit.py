"""habeas audit: verify the chain, read the log."""

from __future__ import annotations

import typer
from rich.table import Table

from habeas.audit import repository, service
from habeas.cli.common import console, err_console, print_json, run
from habeas.kit import clock

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify(as_json: bool = typer.Option(False, "--json")) -> None:
    """Walk the hash chain; exit 1 and name the first event altered, removed or inserted."""
    result = run(lambda s, a: service.verify(s), as_json=as_json)
    if as_json:
        print_json(result.as_dict())
    elif result.ok:
        console.print(f"[green]Audit chain intact[/]: {result.checked:,} events, head {result.head_seq} {result.head_hash[:16]}...")
    else:
        err_console.print(f"[bold red]Audit chain broken[/] at event {result.first_bad_seq}: {result.problem}")
    if not result.ok:
        raise typer.Exit(code=1)


@app.command()
def log(
    entity_type: str = typer.Option(None, "--entity-type"),
    entity_id: str = typer.Option(None, "--entity"),
    actor: str = typer.Option(None, "--actor"),
    action: str = typer.Option(None, "--action"),
    limit: int = typer.Option(50, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit events, filtered."""
    items, total = run(lambda s, a: repository.events(s, entity_type=entity_type, entity_id=entity_id, actor=actor, action=action, since=None, until=None, offset=0, limit=limit))
    if as_json:
        print_json([{"seq": e.seq, "at": clock.from_db(e.at), "actor": e.actor, "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id, "before": e.before, "after": e.after, "hash": e.hash} for e in items])
        return
    table = Table("seq", "at (UTC)", "actor", "action", "entity", title=f"{len(items)} of {total:,} events")
    for e in items:
        table.add_row(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, f"{e.entity_type} {e.entity_id or ''}")
    console.print(table)
