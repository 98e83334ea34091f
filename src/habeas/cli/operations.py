"""Operations commands: movements, where/occupants, the roll, counts, incidents, welfare checks."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import typer
from rich.table import Table

from habeas.cli.common import console, print_json, run
from habeas.kit.errors import ValidationFailed

movement_app = typer.Typer(help="The movement ledger: record movements, read a person's timeline.", no_args_is_help=True)
count_app = typer.Typer(help="Headcounts: open, submit, recount, reconcile, clear.", no_args_is_help=True)
welfare_app = typer.Typer(help="Welfare checks: required intervals, observation rounds, the late/missed report.", no_args_is_help=True)
incident_app = typer.Typer(help="Incidents that change custody: escape, recapture, death.", no_args_is_help=True)
location_app = typer.Typer(help="Locations: take out of service, put back.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _when(value: str | None, name: str = "at") -> datetime | None:
    """ISO 8601 date-time; without an offset it is UTC."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"--{name} {value!r} is not a date and time (YYYY-MM-DDTHH:MM, optionally with an offset)",
                               details=[{"row": None, "field": name, "message": "not a date and time"}]) from None


def _site_of(session, number: str) -> str:
    from habeas.prisoners.service import get
    from habeas.sites import repository

    p = get(session, number)
    if not p.in_custody or p.current_site_id is None:
        raise ValidationFailed(f"{p.prisoner_number} is not in custody", code="not_in_custody",
                               details=[{"row": None, "field": "prisoner", "message": "not in custody"}])
    return repository.site_by_id(session, p.current_site_id).code


# --- movements ------------------------------------------------------------------------------

@movement_app.command("record")
def record(
    prisoner: str = typer.Argument(..., help="Prisoner number."),
    to: str = typer.Argument(None, help="Destination location code (inside the site)."),
    reason: str = typer.Option(..., "--reason"),
    kind: str = typer.Option("internal", "--kind", help="internal, return, court, hospital, other_out."),
    at: str = typer.Option(None, "--at", help="When it happened (default now); ISO 8601, UTC unless an offset is given."),
    escort: str = typer.Option(None, "--escort"),
    destination: str = typer.Option(None, "--destination", help="Court or hospital, for movements out of the site."),
    correction: bool = typer.Option(False, "--correction", help="A late or compensating entry (may be dated before the last movement)."),
    corrects: int = typer.Option(None, "--corrects", help="Id of the movement this one compensates."),
    as_json: bool = JSON,
) -> None:
    """Record one movement of one person."""
    from habeas.movements import service
    from habeas.movements.schemas import MovementIn

    def go(s, a):
        item = MovementIn(prisoner=prisoner, kind=kind, to_location=to, reason=reason, moved_at=_when(at), escort=escort,
                          destination=destination, correction=correction, corrects=corrects)
        return service.record_movements(s, a, _site_of(s, prisoner), [item])

    ids = run(go, as_json=as_json)
    print_json({"recorded": len(ids), "ids": ids}) if as_json else console.print(f"Recorded movement {ids[0]}.")


@movement_app.command("batch")
def batch(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: prisoner,kind,to_location,reason,moved_at,escort,destination"),
    site: str = typer.Option(..., "--site"),
    as_json: bool = JSON,
) -> None:
    """Record a batch of movements from a CSV file in one transaction: all or nothing."""
    from pydantic import ValidationError

    from habeas.movements import service
    from habeas.movements.schemas import MovementIn

    def go(s, a):
        text = file.read_bytes().decode("utf-8-sig")
        items, problems = [], []
        for row, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            data = {k: v for k, v in rec.items() if k and v not in (None, "")}
            try:
                items.append(MovementIn.model_validate(data))
            except ValidationError as exc:
                for e in exc.errors():
                    problems.append({"file": file.name, "row": row, "field": ".".join(map(str, e["loc"])), "message": e["msg"]})
        if problems:
            raise ValidationFailed(f"{file.name}: {len(problems)} problem(s); nothing was recorded", details=problems)
        return service.record_movements(s, a, site, items)

    ids = run(go, as_json=as_json)
    print_json({"recorded": len(ids), "ids": ids}) if as_json else console.print(f"Recorded {len(ids):,} movement{'s' if len(ids) != 1 else ''}.")


@movement_app.command("history")
def history(prisoner: str, limit: int = typer.Option(100, min=1, max=5000), as_json: bool = JSON) -> None:
    """A person's movements in time order."""
    from habeas.movements import service

    rows = run(lambda s, a: service.movements_of(s, prisoner, limit=limit), as_json=as_json)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "moved at (UTC)", "kind", "from", "to", "reason", "by", header_style="bold")
    for r in rows:
        table.add_row(str(r["id"]), f"{r['moved_at']:%Y-%m-%d %H:%M}", r["kind"] + (" (correction)" if r["correction"] else ""),
                      r["from"] or "-", r["to"] or r["destination"] or "-", r["reason"], r["recorded_by"])
    console.print(table)


def where(prisoner: str = typer.Argument(..., help="Prisoner number."),
          at: str = typer.Option(None, "--at", help="ISO 8601 time (default now); UTC unless an offset is given."),
          as_json: bool = JSON) -> None:
    """Where a person was at a time, from the movement ledger."""
    from habeas.movements import service

    w = run(lambda s, a: service.where(s, prisoner, _when(at)), as_json=as_json)
    if as_json:
        print_json(w)
        return
    if not w["in_custody"]:
        console.print(f"{w['prisoner_number']} was not in custody at {w['at']:%Y-%m-%d %H:%M} UTC.")
    elif w["location"]:
        console.print(f"{w['prisoner_number']} was in {w['site']} {w['location']} at {w['at']:%Y-%m-%d %H:%M} UTC (since {w['since']:%Y-%m-%d %H:%M}).")
    else:
        console.print(f"{w['prisoner_number']} was out of {w['site']} ({w['away']}: {w['destination'] or '-'}) at {w['at']:%Y-%m-%d %H:%M} UTC.")


def occupants(location: str = typer.Argument(..., help="Location code (a cell, a landing, a pavilion)."),
              site: str = typer.Option(..., "--site"),
              at: str = typer.Option(None, "--at", help="ISO 8601 time (default now); UTC unless an offset is given."),
              as_json: bool = JSON) -> None:
    """Who was in a location, and everywhere below it, at a time."""
    from habeas.movements import service

    out = run(lambda s, a: service.occupants(s, site, location, _when(at)), as_json=as_json)
    if as_json:
        print_json(out)
        return
    table = Table("location", "prisoner", "name", "since (UTC)", title=f"{out['location']} at {out['at']:%Y-%m-%d %H:%M} UTC: {out['total']}",
                  header_style="bold")
    for o in out["occupants"]:
        table.add_row(o["location"], o["prisoner_number"], f"{o['surname'].upper()}, {o['given_names']}", f"{o['since']:%Y-%m-%d %H:%M}")
    console.print(table)


# --- the roll -----------------------------------------------------------------------------------

def roll(site: str = typer.Option(..., "--site"), cells: bool = typer.Option(False, "--cells", help="A line for every cell."),
         as_json: bool = JSON) -> None:
    """The live roll of a site."""
    from habeas.roll import service

    r = run(lambda s, a: service.as_dict(service.roll(s, site, depth=None if cells else 1)), as_json=as_json)
    if as_json:
        print_json(r)
        return
    console.print(f"[bold]Roll of {r['site']}[/] on {r['day']} at {r['at']:%H:%M} UTC")
    console.print(f"Population {r['population']:,}  ·  inside {r['current_roll']:,}  ·  in cell {r['in_cell']:,}  ·  out of cell "
                  f"{r['out_of_cell']:,}  ·  reception {r['in_reception']:,}")
    away = ", ".join(f"{k} {v}" for k, v in r["out_of_site"].items()) or "none"
    console.print(f"Out of the site: {away}  ·  arrived today {r['arrived_today']}  ·  out today {r['out_today']} "
                  f"(back {r['out_and_back']})  ·  unlock roll {r['unlock_roll']:,}")
    console.print(f"Working capacity {r['working_capacity']:,}  ·  net vacancies {r['net_vacancies']:,}  ·  above cna "
                  f"{r['above_cna']:,}  ·  m² per person {r['m2_per_person'] or '-'}")
    if r["out_of_cell_where"]:
        console.print("Out of cell: " + ", ".join(f"{k} {v}" for k, v in r["out_of_cell_where"].items()))
    table = Table("location", "housed", "present", "in cell", "out of cell", "cna", "working", "vacancies", "above cna", "m²/person",
                  header_style="bold")
    for ln in r["lines"]:
        if ln["type"] in ("pavilion", "landing", "unit", "cell"):
            table.add_row("  " * ln["depth"] + ln["code"], str(ln["housed"]), str(ln["present"]), str(ln["in_cell"]), str(ln["out_of_cell"]),
                          str(ln["cna"]), str(ln["working"]), str(ln["net_vacancies"]), str(ln["above_cna"]), str(ln["m2_per_person"] or "-"))
    console.print(table)


# --- counts -------------------------------------------------------------------------------------

def _show_count(view: dict) -> None:
    console.print(f"[bold]Count {view['id']}[/] at {view['site']} ({view['kind']}, scope {view['scope'] or 'whole site'}): {view['status']}; "
                  f"expected {view['expected']:,}, observed {view['observed']:,}; " + ", ".join(f"{k} {v}" for k, v in sorted(view["summary"].items())))
    bad = [ln for ln in view["lines"] if ln["status"] in ("mismatch", "recount")]
    for ln in bad:
        people = ", ".join(p["prisoner_number"] for p in ln["expected_people"] or [])
        console.print(f"  [red]{ln['location']}[/]: expected {ln['expected']}, observed {ln['observed']} ({ln['status']}); expected here: {people or 'nobody'}")
    for m in view["movements_during_count"]:
        console.print(f"  [yellow]movement during the count[/]: {m['prisoner_number']} {m['from'] or '-'} -> {m['to'] or '-'} "
                      f"at {m['moved_at']:%H:%M}{' (correction)' if m['correction'] else ''}")


@count_app.command("open")
def count_open(site: str = typer.Option(..., "--site"), kind: str = typer.Option("scheduled", "--kind", help="scheduled or emergency"),
               scope: str = typer.Option(None, "--scope", help="A location code; default the whole site."),
               note: str = typer.Option(None, "--note"), as_json: bool = JSON) -> None:
    """Open a count: expected numbers are fixed from the ledger now."""
    from habeas.counts import service

    view = run(lambda s, a: service.view(s, service.open_count(s, a, site, kind=kind, scope=scope, note=note).id), as_json=as_json)
    print_json(view) if as_json else _show_count(view)


@count_app.command("show")
def count_show(count_id: int, as_json: bool = JSON) -> None:
    """A count with its differences and the movements recorded during it."""
    from habeas.counts import service

    view = run(lambda s, a: service.view(s, count_id), as_json=as_json)
    print_json(view) if as_json else _show_count(view)


@count_app.command("submit")
def count_submit(count_id: int, entries: list[str] = typer.Argument(None, help="LOCATION=NUMBER ..."),
                 file: Path = typer.Option(None, "--file", exists=True, dir_okay=False, help="CSV with columns location,observed"),
                 as_json: bool = JSON) -> None:
    """Submit observed numbers (all or nothing)."""
    from habeas.counts import service

    def go(s, a):
        pairs, problems = [], []
        rows = [(None, e) for e in entries or []]
        if file:
            rows += [(i, f"{r.get('location', '')}={r.get('observed', '')}")
                     for i, r in enumerate(csv.DictReader(io.StringIO(file.read_text(encoding="utf-8-sig"))), start=2)]
        for row, e in rows:
            code, _, number = e.partition("=")
            try:
                pairs.append((code.strip(), int(number)))
            except ValueError:
                problems.append({"row": row, "field": "observed", "message": f"{e!r}: give LOCATION=NUMBER with a whole number"})
        if problems or not pairs:
            raise ValidationFailed("nothing submitted: " + ("bad entries" if problems else "give LOCATION=NUMBER or --file"), details=problems or None)
        return service.submit(s, a, count_id, pairs)

    out = run(go, as_json=as_json)
    if as_json:
        print_json(out)
        return
    for code, status in out.items():
        console.print(f"{code}: " + ("[green]matched[/]" if status == "matched" else "[red]MISMATCH[/]"))


@count_app.command("recount")
def count_recount(count_id: int, locations: list[str], reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Order a recount of locations."""
    from habeas.counts import service

    run(lambda s, a: service.order_recount(s, a, count_id, locations, reason), as_json=as_json)
    print_json({"recount": locations}) if as_json else console.print(f"Recount ordered: {', '.join(locations)}")


@count_app.command("reconcile")
def count_reconcile(count_id: int, as_json: bool = JSON) -> None:
    """Re-check differences against the ledger as corrected since the count opened."""
    from habeas.counts import service

    out = run(lambda s, a: service.reconcile(s, a, count_id), as_json=as_json)
    if as_json:
        print_json(out)
        return
    for code, status in out.items():
        console.print(f"{code}: {status}")
    if not out:
        console.print("No differences to reconcile.")


@count_app.command("clear")
def count_clear(count_id: int, as_json: bool = JSON) -> None:
    """Clear the count; refused while any location is not reconciled."""
    from habeas.counts import service

    view = run(lambda s, a: (service.clear(s, a, count_id), service.view(s, count_id))[1], as_json=as_json)
    print_json(view) if as_json else console.print(f"Count {count_id} cleared.")


@count_app.command("cancel")
def count_cancel(count_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Cancel an open count."""
    from habeas.counts import service

    run(lambda s, a: service.cancel(s, a, count_id, reason), as_json=as_json)
    print_json({"cancelled": count_id}) if as_json else console.print(f"Count {count_id} cancelled.")


# --- incidents, welfare, locations -------------------------------------------------------------------

@incident_app.command("record")
def incident_record(site: str = typer.Option(..., "--site"), kind: str = typer.Option(..., "--kind", help="escape, recapture, death, other"),
                    description: str = typer.Option(..., "--description"), prisoner: str = typer.Option(None, "--prisoner"),
                    at: str = typer.Option(None, "--at"), location: str = typer.Option(None, "--location", help="For a recapture."),
                    as_json: bool = JSON) -> None:
    """Record an incident and the movement it implies."""
    from habeas.incidents import service

    inc = run(lambda s, a: service.record_incident(s, a, site, kind=kind, description=description, prisoner=prisoner,
                                                   occurred_at=_when(at), location=location), as_json=as_json)
    print_json({"id": inc.id, "movement": inc.movement_id}) if as_json else console.print(f"Incident {inc.id} recorded.")


@incident_app.command("list")
def incident_list(site: str = typer.Option(..., "--site"), as_json: bool = JSON) -> None:
    """Incidents of a site, newest first."""
    from habeas.incidents import service

    rows = run(lambda s, a: service.list_incidents(s, site), as_json=as_json)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['id']}  {r['occurred_at']:%Y-%m-%d %H:%M}  {r['kind']}  {r['prisoner_number'] or '-'}  {r['description']}")


@welfare_app.command("require")
def welfare_require(site: str = typer.Option(..., "--site"), every: int = typer.Option(..., "--every", help="Minutes: 15, 30, 60 or 120."),
                    reason: str = typer.Option(..., "--reason"), prisoner: str = typer.Option(None, "--prisoner"),
                    location: str = typer.Option(None, "--location"), as_json: bool = JSON) -> None:
    """Require observation of a person or a cell every N minutes."""
    from habeas.welfare import service

    req = run(lambda s, a: service.set_requirement(s, a, site, interval_minutes=every, reason=reason, prisoner=prisoner, location=location),
              as_json=as_json)
    print_json({"id": req.id}) if as_json else console.print(f"Requirement {req.id}: every {req.interval_minutes} minutes.")


@welfare_app.command("end")
def welfare_end(requirement_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """End a requirement."""
    from habeas.welfare import service

    run(lambda s, a: service.end_requirement(s, a, requirement_id, reason), as_json=as_json)
    print_json({"ended": requirement_id}) if as_json else console.print(f"Requirement {requirement_id} ended.")


@welfare_app.command("round")
def welfare_round(locations: list[str], site: str = typer.Option(..., "--site"), at: str = typer.Option(None, "--at"),
                  note: str = typer.Option(None, "--note"), late_reason: str = typer.Option(None, "--late-reason"),
                  as_json: bool = JSON) -> None:
    """Record an observation round of one or more cells."""
    from habeas.welfare import service

    ids = run(lambda s, a: service.record_rounds(s, a, site, [service.RoundIn(location=c, observed_at=_when(at), note=note,
                                                                               late_entry_reason=late_reason) for c in locations]),
              as_json=as_json)
    print_json({"recorded": len(ids)}) if as_json else console.print(f"Recorded {len(ids)} observation(s).")


@welfare_app.command("report")
def welfare_report(site: str = typer.Option(..., "--site"), day: str = typer.Option(None, "--date", help="YYYY-MM-DD, default today."),
                   shift: str = typer.Option(None, "--shift", help="e.g. 22:00-06:00"), as_json: bool = JSON) -> None:
    """Late and missed rounds per shift."""
    from habeas.welfare import service

    def go(s, a):
        try:
            d = date.fromisoformat(day) if day else None
        except ValueError:
            raise ValidationFailed(f"--date {day!r} is not a date", details=[{"row": None, "field": "date", "message": "YYYY-MM-DD"}]) from None
        return service.report(s, site, d, shift)

    rep = run(go, as_json=as_json)
    if as_json:
        print_json(rep)
        return
    for sh in rep["shifts"]:
        console.print(f"[bold]{rep['day']} {sh['shift']}[/]: {sh['late']} late, {sh['missed']} missed")
        for req in sh["requirements"]:
            console.print(f"  {req['subject']} every {req['interval_minutes']} min: {req['rounds']} rounds, "
                          f"{len(req['late'])} late, {len(req['missed'])} missed")


@location_app.command("service")
def location_service(code: str, site: str = typer.Option(..., "--site"),
                     out: bool = typer.Option(False, "--out", help="Take it out of service."),
                     back: bool = typer.Option(False, "--in", help="Put it back in service."),
                     note: str = typer.Option(None, "--reason"), as_json: bool = JSON) -> None:
    """Take a location out of service (nobody may be moved in) or put it back."""
    from habeas.movements import service
    from habeas.sites.service import get_site

    if out == back:
        raise typer.BadParameter("give --out or --in")
    loc = run(lambda s, a: service.set_in_service(s, a, get_site(s, site).id, code, back, note), as_json=as_json)
    print_json({"location": loc.code, "in_service": loc.in_service}) if as_json else \
        console.print(f"{loc.code} is {'in service' if loc.in_service else 'out of service'}.")
