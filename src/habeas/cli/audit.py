"""habeas audit: verify the chain, read the log."""

from __future__ import annotations

import typer
from rich.table import Table

from habeas.audit import repository, service
from habeas.cli.common import console, err_console, print_json, run
from habeas.kit import clock

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify(
    expect: str = typer.Option(None, "--expect", metavar="SEQ:HASH", help="A head recorded earlier outside the database; fails if the chain was rewritten since."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Walk the hash chain; exit 1 and name the first event altered, removed or inserted."""
    pair = None
    if expect:
        seq, _, digest = expect.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            err_console.print("[bold red]error:[/] --expect takes SEQ:HASH, e.g. 1234:9f86d0...(64 hex digits)")
            raise typer.Exit(code=2)
        pair = (int(seq), digest.lower())
    result = run(lambda s, a: service.verify(s, expect=pair), as_json=as_json)
    if as_json:
        print_json(result.as_dict())
    elif result.ok:
        console.print(f"[green]Audit chain intact[/]: {result.checked:,} events. Record the head outside the database:")
        console.print(f"{result.head_seq}:{result.head_hash}", soft_wrap=True, highlight=False)
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
        print_json([{"seq": e.seq, "at": clock.from_db(e.at), "actor": e.actor, "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id, "before": e.before, "after": e.after, "request_id": e.request_id, "prev_hash": e.prev_hash, "hash": e.hash} for e in items])
        return
    table = Table("seq", "at (UTC)", "actor", "action", "entity", title=f"{len(items)} of {total:,} events")
    for e in items:
        table.add_row(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, f"{e.entity_type} {e.entity_id or ''}")
    console.print(table)
