"""habeas legal / sentence / release: legal bases over time, release dates and release."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from habeas.cli.common import console, print_json, run
from habeas.kit.errors import ValidationFailed

legal_app = typer.Typer(help="Legal bases: due lists, renewal, supersession, revocation.", no_args_is_help=True)
sentence_app = typer.Typer(help="Sentences, adjustments, remand periods and the release date.", no_args_is_help=True)
release_app = typer.Typer(help="Release: the due list, release, undoing a release made in error.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"--{name} {value!r} is not a date (YYYY-MM-DD)", details=[{"row": None, "field": name, "message": "not a date"}]) from None


def _term(text: str | None) -> tuple[int, int, int]:
    """'5y', '2y6m', '90d', '1y2m3d' -> (years, months, days)."""
    import re

    m = re.fullmatch(r"\s*(?:(\d+)\s*y)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*d)?\s*", (text or "").lower())
    if not text or not m or not any(m.groups()):
        raise ValidationFailed(f"term {text!r}: write it as years, months and days, e.g. 5y, 2y6m, 90d",
                               details=[{"row": None, "field": "term", "message": "e.g. 5y6m"}])
    return tuple(int(g or 0) for g in m.groups())  # type: ignore[return-value]


@legal_app.command("due")
def due(site: str = typer.Option(..., "--site"), days: int = typer.Option(14, "--days", min=0, help="Due within this many days."),
        on: str = typer.Option(None, "--on", help="As on this date (default today)."), as_json: bool = JSON) -> None:
    """Held without a current legal basis, due soon, reviews overdue and releases due — computed now."""
    from habeas.legal import sentences, service

    def go(s, a):
        out = service.due_lists(s, site, within_days=days, on=_date(on, "on"))
        out["releases_due"] = sentences.release_due(s, site, _date(on, "on"))
        return out

    out = run(go, as_json=as_json)
    if as_json:
        print_json(out)
        return
    console.print(f"[bold]Legal due lists for {out['site']} on {out['on']}[/]")
    sections = (("held_without_basis", "[bold red]Held without a current legal basis[/]"), ("reviews_overdue", "[red]Reviews overdue[/]"),
                ("due", f"Due within {days} days or in their warning window"))
    for key, title in sections:
        items = out[key]
        console.print(f"{title}: {len(items)}")
        for i in items[:50]:
            when = f"{i.due} ({i.days:+d} days)" if i.due and i.days is not None else "no basis"
            console.print(f"  {i.prisoner_number}  {i.surname.upper()}, {i.given_names}  {i.location or '-'}  {i.basis_type or ''} {i.reference or ''}  {when}")
        if len(items) > 50:
            console.print(f"  … and {len(items) - 50} more (use --json)")
    rel = out["releases_due"]
    console.print(f"Releases due: {len(rel)}")
    for r in rel[:50]:
        style = "bold red" if r["overdue"] else "green"
        console.print(f"  [{style}]{r['prisoner_number']}  {r['surname'].upper()}, {r['given_names']}  release {r['release_date']}"
                      f"{'  OVERDUE by ' + str(r['days_overdue']) + ' days' if r['overdue'] else ''}[/]")


@legal_app.command("recalculate")
def recalculate(site: str = typer.Option(..., "--site"), reason: str = typer.Option("recalculation of the site", "--reason"),
                as_json: bool = JSON) -> None:
    """Calculate again the release date of everyone held at the site with a sentence (after the rules file changed)."""
    from habeas.legal import sentences

    out = run(lambda s, a: sentences.recalculate_site(s, a, site, trigger=reason), as_json=as_json)
    print_json(out) if as_json else console.print(f"{out['calculated']:,} release dates calculated at {out['site']} (rules {out['rules'][:12]}).")


@legal_app.command("bases")
def bases(number: str, as_json: bool = JSON) -> None:
    """A person's legal bases and their history."""
    from habeas.legal import service

    out = run(lambda s, a: {"bases": [{"id": b.id, "type": b.type, "reference": b.reference, "issuing_authority": b.issuing_authority,
                                        "issue_date": b.issue_date, "review_due": b.review_due, "expiry_date": b.expiry_date, "status": b.status}
                                       for b in service.list_bases(s, number)],
                            "history": [{"basis": e.basis_id, "action": e.action, "from": e.from_status, "to": e.to_status, "reason": e.reason,
                                         "at": e.at} for e in service.basis_history(s, number)]}, as_json=as_json)
    if as_json:
        print_json(out)
        return
    for b in out["bases"]:
        console.print(f"{b['id']}  {b['type']} {b['reference']} by {b['issuing_authority']}, issued {b['issue_date']}, "
                      f"review {b['review_due'] or '-'}, expires {b['expiry_date'] or '-'}  ({b['status']})")
    for e in out["history"]:
        console.print(f"  {e['at']:%Y-%m-%d %H:%M}  basis {e['basis']}: {e['action']} ({e['from'] or '-'} -> {e['to']}) {e['reason']}")


@legal_app.command("renew")
def renew(number: str, basis_id: int, issued: str = typer.Option(..., "--issued", help="Issue date of the renewal."),
          reason: str = typer.Option(..., "--reason"), reference: str = typer.Option(None, "--reference"),
          review_due: str = typer.Option(None, "--review-due"), expiry: str = typer.Option(None, "--expiry"), as_json: bool = JSON) -> None:
    """Renew a basis (dates default to the latest the rules allow)."""
    from habeas.legal import service

    b = run(lambda s, a: service.renew(s, a, number, basis_id, issue_date=_date(issued, "issued"), reference=reference,
                                       review_due=_date(review_due, "review-due"), expiry_date=_date(expiry, "expiry"), reason=reason), as_json=as_json)
    print_json({"id": b.id, "review_due": b.review_due, "expiry_date": b.expiry_date}) if as_json else \
        console.print(f"Renewed as basis {b.id}: review {b.review_due or '-'}, expires {b.expiry_date or '-'}.")


@legal_app.command("revoke")
def revoke(number: str, basis_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Revoke a basis."""
    from habeas.legal import service

    run(lambda s, a: service.revoke(s, a, number, basis_id, reason=reason), as_json=as_json)
    print_json({"revoked": basis_id}) if as_json else console.print(f"Basis {basis_id} revoked.")


def _show_calc(calc: dict | None) -> None:
    if not calc or not calc.get("lines"):
        console.print("No sentence: no release date.")
        return
    for line in calc["lines"]:
        console.print(line)


@sentence_app.command("add")
def sentence_add(number: str, key: str = typer.Option(..., "--key"), date_: str = typer.Option(..., "--date", help="Sentence date."),
                 term: str = typer.Option(None, "--term", help="e.g. 5y, 2y6m, 90d"), life: bool = typer.Option(False, "--life"),
                 minimum: str = typer.Option(None, "--minimum", help="Life: minimum term, e.g. 25y"),
                 consecutive_to: str = typer.Option(None, "--consecutive-to"), start: str = typer.Option(None, "--start"),
                 offence: str = typer.Option(None, "--offence"), court: str = typer.Option(None, "--court"), as_json: bool = JSON) -> None:
    """Add a sentence; prints the new release date and why."""
    from habeas.legal import sentences

    def go(s, a):
        y, m, d = (0, 0, 0) if life else _term(term)
        c = sentences.add_sentence(s, a, number, key=key, sentence_date=_date(date_, "date"), years=y, months=m, days=d, life=life,
                                   minimum=_term(minimum) if minimum else None, consecutive_to=consecutive_to, start_date=_date(start, "start"),
                                   offence=offence, court=court)
        return sentences.calculation_out(c)

    calc = run(go, as_json=as_json)
    print_json(calc) if as_json else _show_calc(calc)


@sentence_app.command("adjust")
def sentence_adjust(number: str, kind: str = typer.Option(..., "--kind"), days: int = typer.Option(..., "--days", min=0),
                    reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Record remission, added days or credits (kinds from the rules file)."""
    from habeas.legal import sentences

    calc = run(lambda s, a: sentences.calculation_out(sentences.add_adjustment(s, a, number, kind=kind, days=days, reason=reason)), as_json=as_json)
    print_json(calc) if as_json else _show_calc(calc)


@sentence_app.command("withdraw")
def sentence_withdraw(number: str, adjustment_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Withdraw an adjustment recorded in error (kept, marked); the release date is recalculated."""
    from habeas.legal import sentences

    calc = run(lambda s, a: sentences.calculation_out(sentences.withdraw_adjustment(s, a, number, adjustment_id, reason)), as_json=as_json)
    print_json(calc) if as_json else _show_calc(calc)


@sentence_app.command("remand")
def sentence_remand(number: str, start: str = typer.Option(..., "--from"), end: str = typer.Option(..., "--to"),
                    note: str = typer.Option(None, "--note"), as_json: bool = JSON) -> None:
    """Record a period on remand (both days counted)."""
    from habeas.legal import sentences

    calc = run(lambda s, a: sentences.calculation_out(sentences.add_remand_period(s, a, number, start=_date(start, "from"), end=_date(end, "to"), note=note)), as_json=as_json)
    print_json(calc) if as_json else _show_calc(calc)


@sentence_app.command("quash")
def sentence_quash(number: str, key: str, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Quash a sentence (kept, marked)."""
    from habeas.legal import sentences

    calc = run(lambda s, a: sentences.calculation_out(sentences.quash_sentence(s, a, number, key, reason)), as_json=as_json)
    print_json(calc) if as_json else _show_calc(calc)


@sentence_app.command("show")
def sentence_show(number: str, as_json: bool = JSON) -> None:
    """Sentences, the release date and why (line by line), and the earlier calculations."""
    from habeas.legal import sentences

    rec = run(lambda s, a: sentences.release_record(s, number), as_json=as_json)
    if as_json:
        print_json(rec)
        return
    table = Table("key", "date", "term", "consecutive to", "offence", "status", header_style="bold")
    for x in rec["sentences"]:
        term = "life" if x["life"] else "{}y {}m {}d".format(*x["term"])
        table.add_row(x["key"], str(x["sentence_date"]), term, x["consecutive_to"] or "-", x["offence"] or "-", x["status"])
    console.print(table)
    _show_calc(rec["calculation"])
    if rec["overdue"]:
        console.print(f"[bold red]Release overdue since {rec['release_date']}[/]")
    console.print(f"{len(rec['history'])} calculation(s) on file.")


@release_app.command("due")
def release_due(site: str = typer.Option(..., "--site"), on: str = typer.Option(None, "--on"), as_json: bool = JSON) -> None:
    """Releases due on a date (default today); overdue ones in red."""
    from habeas.legal import sentences

    rows = run(lambda s, a: sentences.release_due(s, site, _date(on, "on")), as_json=as_json)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        style = "bold red" if r["overdue"] else "green"
        console.print(f"[{style}]{r['prisoner_number']}  {r['surname'].upper()}, {r['given_names']}  {r['release_date']}"
                      f"{'  OVERDUE by ' + str(r['days_overdue']) + ' days' if r['overdue'] else ''}[/]")
    if not rows:
        console.print("No releases due.")


@release_app.command("person")
def release_person(number: str, reason: str = typer.Option(..., "--reason"),
                   end_basis: list[int] = typer.Option(None, "--end-basis", help="A basis a court order ends (repeatable)."),
                   as_json: bool = JSON) -> None:
    """Release a person (refused while another basis holds them)."""
    from habeas.legal import sentences

    out = run(lambda s, a: sentences.release(s, a, number, reason=reason, end_bases=list(end_basis or [])), as_json=as_json)
    print_json(out) if as_json else console.print(f"{out['prisoner_number']} released; bases ended: {out['bases_ended']}.")


@release_app.command("undo")
def release_undo(number: str, reason: str = typer.Option(..., "--reason"), location: str = typer.Option(None, "--location"),
                 as_json: bool = JSON) -> None:
    """Re-admit a person released in error (the release stays on record)."""
    from habeas.legal import sentences

    out = run(lambda s, a: sentences.readmit_after_error(s, a, number, reason=reason, location=location), as_json=as_json)
    print_json(out) if as_json else console.print(f"{out['prisoner_number']} re-admitted to {out['location']}; bases reinstated: {out['bases_reinstated']}.")
