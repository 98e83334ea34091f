"""habeas housing / non-associations: allocation, single moves, keep-apart records."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from habeas.cli.common import console, print_json, run

app = typer.Typer(help="Housing: allocate arrivals to cells, move one person with the same checks.", no_args_is_help=True)
na_app = typer.Typer(help="Non-associations (keep-apart pairs).", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Machine-readable output.")


def show_plan(plan: dict) -> None:
    state = "committed" if plan["committed"] else "dry run: nothing written"
    console.print(f"[bold]Allocation at {plan['site']}[/] ({state}): {plan['placed']:,} of {plan['arrivals']:,} placed, "
                  f"{plan['unplaced']:,} left in reception")
    table = Table("pavilion", "before", "after", header_style="bold")
    for o in plan["occupancy"]:
        table.add_row(o["pavilion"], f"{o['before']:,}", f"{o['after']:,}")
    console.print(table)
    reasons: dict[str, int] = {}
    for x in plan["left_in_reception"]:
        reasons[x["reason"]] = reasons.get(x["reason"], 0) + 1
    for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        console.print(f"  [yellow]{n:,} left in reception[/]: {why}")
    s = plan["seconds"]
    console.print(f"load {s['load']:.2f} s, solve {s['solve']:.2f} s, check {s['check']:.2f} s, write {s['write']:.2f} s; "
                  f"violations: {len(plan['violations'] or [])}")


@app.command("allocate")
def allocate(site: str = typer.Option(..., "--site"), dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; write nothing."),
             arrival: list[str] = typer.Option(None, "--prisoner", help="House only these people (repeatable); default everyone in reception."),
             prefer: str = typer.Option(None, "--prefer-pavilion"), use_max: bool = typer.Option(False, "--use-max", help="Supervised: up to max capacity."),
             as_json: bool = JSON) -> None:
    """House everyone waiting in reception (or the named people), never breaking a hard rule."""
    from habeas.housing import service

    plan = run(lambda s, a: service.allocate(s, a, site, dry_run=dry_run, arrivals=list(arrival) if arrival else None,
                                             use_max=use_max, prefer_pavilion=prefer), as_json=as_json)
    print_json(plan) if as_json else show_plan(plan)


@app.command("move")
def move(prisoner: str, cell: str, reason: str = typer.Option(..., "--reason"),
         override: str = typer.Option(None, "--override", help="A supervisor's reason to set a separation rule or non-association aside."),
         as_json: bool = JSON) -> None:
    """Move one person to a named cell with the allocation's checks."""
    from habeas.housing import service

    out = run(lambda s, a: service.move_to_cell(s, a, prisoner, cell, reason=reason, override_reason=override), as_json=as_json)
    if as_json:
        print_json(out)
        return
    console.print(f"{out['prisoner_number']} moved to {out['cell']} (movement {out['movement']}).")
    for rule in out["overridden"]:
        console.print(f"  [yellow]overridden[/]: {rule}")


@na_app.command("add")
def na_add(prisoner_a: str, prisoner_b: str, reason: str = typer.Option(..., "--reason"), level: str = typer.Option("cell", "--level"),
           role_a: str = typer.Option("unknown", "--role-a"), role_b: str = typer.Option("unknown", "--role-b"),
           comment: str = typer.Option(None, "--comment"), as_json: bool = JSON) -> None:
    """Record a keep-apart pair."""
    from habeas.housing import non_associations as na

    r = run(lambda s, a: na.add(s, a, na.PairIn(prisoner_a, prisoner_b, reason, role_a, role_b, level, comment)), as_json=as_json)
    print_json({"id": r.id}) if as_json else console.print(f"Non-association {r.id} recorded.")


@na_app.command("import")
def na_import(file: Path = typer.Argument(..., exists=True, dir_okay=False), as_json: bool = JSON) -> None:
    """Import keep-apart pairs from a CSV file: every row valid, all recorded; else nothing."""
    from habeas.housing import non_associations as na

    n = run(lambda s, a: na.import_csv(s, a, file.read_bytes(), file.name), as_json=as_json)
    print_json({"recorded": n}) if as_json else console.print(f"{n:,} non-associations recorded.")


@na_app.command("close")
def na_close(na_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Close a keep-apart record (kept, with the reason)."""
    from habeas.housing import non_associations as na

    run(lambda s, a: na.close(s, a, na_id, reason), as_json=as_json)
    print_json({"closed": na_id}) if as_json else console.print(f"Non-association {na_id} closed.")


@na_app.command("list")
def na_list(prisoner: str, as_json: bool = JSON) -> None:
    """A person's keep-apart records."""
    from habeas.housing import non_associations as na

    rows = run(lambda s, a: na.of_person(s, prisoner), as_json=as_json)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['id']}  {r['status']}  {r['other']} {r['other_name']}  {r['reason']} at {r['level']} level  "
                      f"(my role {r['my_role']}, theirs {r['their_role']})  {r['comment'] or ''}")
