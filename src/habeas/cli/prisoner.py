"""habeas prisoner: look up and search."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from habeas.cli.common import console, print_json, run
from habeas.prisoners import service

app = typer.Typer(help="Prisoner records.", no_args_is_help=True)


@app.command()
def show(number: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The full record of a person (the read is audited)."""
    rec = run(lambda s, a: service.full_record(s, a, number), as_json=as_json)
    if as_json:
        print_json(rec)
        return
    console.print(f"[bold]{rec['prisoner_number']}[/]  {rec['surname'].upper()}, {rec['given_names']}  born {rec['date_of_birth']}  sex {rec['sex']}")
    console.print(f"Status: {rec['legal_status']}, security {rec['security_level']}, {'in custody' if rec['in_custody'] else 'not in custody'} at {rec['site'] or '-'} / {rec['location'] or '-'}")
    if rec["aliases"]:
        console.print("Aliases: " + ", ".join(a["name"] for a in rec["aliases"] if a["active"]))
    for m in rec["marks"]:
        if m["active"]:
            console.print(f"Mark: {m['kind']} on {m['body_location']}: {m['description']}")
    for a in rec["affiliations"]:
        if a["active"]:
            console.print(f"Affiliation: {a['group']} (source: {a['source']})")
    for e in rec["episodes"]:
        console.print(f"Episode {e['id']} at {e['site']}: {e['status']}, admitted {e['admitted_at']:%Y-%m-%d %H:%M}")
        if e["rule7_missing"]:
            console.print(f"  [yellow]Rule 7 record incomplete:[/] {', '.join(e['rule7_missing'])}")
        for b in e["legal_bases"]:
            console.print(f"  {b['type']} {b['reference']} by {b['issuing_authority']}, issued {b['issue_date']}, review {b['review_due'] or '-'}, expires {b['expiry_date'] or '-'} [{b['status']}]")


@app.command()
def search(
    q: str = typer.Argument(None, help="Name words (each matches the start of a name or alias)."),
    number: str = typer.Option(None, "--number"),
    dob: str = typer.Option(None, "--dob", help="Date of birth, YYYY-MM-DD."),
    limit: int = typer.Option(20, min=1, max=200),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Find people by name, number or date of birth."""
    from habeas.kit.errors import ValidationFailed

    def go(s, a):
        try:
            born = date.fromisoformat(dob) if dob else None
        except ValueError:
            raise ValidationFailed(f"--dob {dob!r} is not a date (YYYY-MM-DD)", details=[{"row": None, "field": "dob", "message": "not a date"}]) from None
        return service.search(s, q=q, number=number, dob=born, limit=limit)

    found = run(go, as_json=as_json)
    items, total = found.items, found.total if found.total is not None else f"{len(found.items)}+"
    if as_json:
        print_json({"total": found.total, "total_capped": found.total_capped, "more": found.more, "items": items})
        return
    table = Table("number", "surname", "given names", "born", "status", "location", title=f"{len(items)} of {total:,}{'+' if found.total_capped else ''}" if isinstance(total, int) else f"{len(items)} of {total}")
    for p in items:
        table.add_row(p["prisoner_number"], p["surname"], p["given_names"], str(p["date_of_birth"]), p["legal_status"], f"{p['site'] or ''}/{p['location'] or ''}")
    console.print(table)
