"""habeas transfer: plan, depart, arrive, account, close, cancel, show."""

from __future__ import annotations

from pathlib import Path

import typer

from habeas.cli.common import console, print_json, run

app = typer.Typer(help="Transfers between sites or in from an outside agency.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Machine-readable output.")


def show(rec: dict) -> None:
    console.print(f"[bold]Transfer {rec['id']}[/] {rec['origin']} -> {rec['destination']}: {rec['status']}; {rec['people']:,} on the manifest; "
                  + ", ".join(f"{k} {v}" for k, v in sorted(rec["counts"].items())))
    for m in rec["missing"]:
        console.print(f"  [red]not arrived[/]: {m['prisoner_number'] or m['external_ref']} {m['name'] or ''}")
    for a in rec["alerts"]:
        console.print(f"  [yellow]alert ({a['kind']})[/]: {a['detail']}")


@app.command("plan")
def plan(to: str = typer.Option(..., "--to", help="Destination site."), reason: str = typer.Option(..., "--reason"),
         origin: str = typer.Option(None, "--from", help="Origin site (between sites)."),
         prisoner: list[str] = typer.Option(None, "--prisoner", help="A person to transfer (repeatable)."),
         agency: str = typer.Option(None, "--agency", help="Outside agency (with --manifest)."),
         manifest: Path = typer.Option(None, "--manifest", exists=True, dir_okay=False, help="Intake manifest of people from outside."),
         as_json: bool = JSON) -> None:
    """Plan a transfer; the destination must have room for everyone (beds are reserved)."""
    from habeas.transfers import service

    def go(s, a):
        t = service.plan_transfer(s, a, to, reason=reason, origin_code=origin, numbers=list(prisoner or []) or None, agency=agency,
                                  manifest=manifest.read_bytes() if manifest else None, filename=manifest.name if manifest else "manifest.csv")
        return service.reconciliation(s, t.id)

    rec = run(go, as_json=as_json)
    print_json(rec) if as_json else show(rec)


@app.command("depart")
def depart(transfer_id: int, as_json: bool = JSON) -> None:
    """Check everyone out of the origin."""
    from habeas.transfers import service

    rec = run(lambda s, a: (service.depart(s, a, transfer_id), service.reconciliation(s, transfer_id))[1], as_json=as_json)
    print_json(rec) if as_json else show(rec)


@app.command("arrive")
def arrive(transfer_id: int, people: list[str] = typer.Argument(..., help="Prisoner numbers (external_ref from outside)."),
           as_json: bool = JSON) -> None:
    """Check people in at the destination."""
    from habeas.transfers import service

    rec = run(lambda s, a: service.arrive(s, a, transfer_id, list(people)), as_json=as_json)
    print_json(rec) if as_json else show(rec)


@app.command("account")
def account(transfer_id: int, person: str, outcome: str = typer.Option(..., "--outcome", help="returned or incident"),
            reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Account for someone who did not arrive."""
    from habeas.transfers import service

    rec = run(lambda s, a: service.account(s, a, transfer_id, person, outcome=outcome, reason=reason), as_json=as_json)
    print_json(rec) if as_json else show(rec)


@app.command("close")
def close(transfer_id: int, as_json: bool = JSON) -> None:
    """Close the transfer (refused while anyone is unaccounted for)."""
    from habeas.transfers import service

    rec = run(lambda s, a: (service.close(s, a, transfer_id), service.reconciliation(s, transfer_id))[1], as_json=as_json)
    print_json(rec) if as_json else show(rec)


@app.command("cancel")
def cancel(transfer_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Cancel a planned transfer."""
    from habeas.transfers import service

    rec = run(lambda s, a: (service.cancel(s, a, transfer_id, reason), service.reconciliation(s, transfer_id))[1], as_json=as_json)
    print_json(rec) if as_json else show(rec)


@app.command("show")
def show_cmd(transfer_id: int, as_json: bool = JSON) -> None:
    """The reconciliation of a transfer."""
    from habeas.transfers import service

    rec = run(lambda s, a: service.reconciliation(s, transfer_id), as_json=as_json)
    print_json(rec) if as_json else show(rec)
