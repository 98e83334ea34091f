"""habeas court: cases, hearings, video-link rooms, the day's list and outcomes."""

from __future__ import annotations

from datetime import date, datetime

import typer

from habeas.cli.common import console, print_json, run
from habeas.kit.errors import ValidationFailed

app = typer.Typer(help="Court cases, hearings and video-link rooms.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _dt(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"--{name} {value!r} is not a date and time", details=[{"row": None, "field": name, "message": "ISO 8601"}]) from None


def _d(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"--{name} {value!r} is not a date", details=[{"row": None, "field": name, "message": "YYYY-MM-DD"}]) from None


@app.command("case")
def case(number: str, reference: str = typer.Option(..., "--reference"), court: str = typer.Option(..., "--court"),
         charge: list[str] = typer.Option(None, "--charge", help="An offence (repeatable)."), as_json: bool = JSON) -> None:
    """Open a court case for a person."""
    from habeas.court import service

    c = run(lambda s, a: service.open_case(s, a, number, reference=reference, court=court, charges=[(x, None) for x in charge or []]),
            as_json=as_json)
    print_json({"id": c.id}) if as_json else console.print(f"Case {c.id} opened.")


@app.command("hearing")
def hearing(case_id: int, start: str = typer.Option(..., "--start"), end: str = typer.Option(..., "--end"),
            mode: str = typer.Option("video_link", "--mode", help="video_link or in_person"), room: str = typer.Option(None, "--room"),
            pre: str = typer.Option(None, "--pre", help="START/END of a consultation slot before the hearing"),
            post: str = typer.Option(None, "--post", help="START/END of a slot after the hearing"),
            side_room: str = typer.Option(None, "--side-room", help="Room of the pre/post slots (default the hearing's room)."),
            as_json: bool = JSON) -> None:
    """Schedule a hearing; a video-link hearing books the room (and its pre/post slots)."""
    from habeas.court import service

    def go(s, a):
        slots = None
        if mode == "video_link":
            slots = [service.SlotIn("main", _dt(start, "start"), _dt(end, "end"), room)]
            for name, value in (("pre", pre), ("post", post)):
                if value:
                    a0, _, a1 = value.partition("/")
                    slots.append(service.SlotIn(name, _dt(a0, name), _dt(a1, name), side_room or room))
        return service.schedule(s, a, case_id, starts_at=_dt(start, "start"), ends_at=_dt(end, "end"), mode=mode, slots=slots, room=room)

    h = run(go, as_json=as_json)
    print_json({"id": h.id}) if as_json else console.print(f"Hearing {h.id} scheduled.")


@app.command("day")
def day(site: str = typer.Option(..., "--site"), on: str = typer.Option(None, "--date"), as_json: bool = JSON) -> None:
    """The day's hearings and video-link room bookings."""
    from habeas.court import service

    rows = run(lambda s, a: service.day(s, site, _d(on, "date")), as_json=as_json)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        slots = ", ".join(f"{x['slot']} {x['room']} {x['from']:%H:%M}-{x['to']:%H:%M}" for x in r["slots"]) or "in person"
        console.print(f"{r['starts_at']:%H:%M}-{r['ends_at']:%H:%M} UTC  hearing {r['hearing']}  {r['prisoner_number']} "
                      f"{r['surname'].upper()}, {r['given_names']}  {r['court']}  ({slots})  {r['status']}")
    if not rows:
        console.print("No hearings.")


@app.command("move")
def move(hearing_id: int, direction: str = typer.Argument(..., help="out or back"), as_json: bool = JSON) -> None:
    """Record the movement to the hearing (video-link room or court) or back to the cell."""
    from habeas.court import service

    ids = run(lambda s, a: service.move(s, a, hearing_id, direction), as_json=as_json)
    print_json({"ids": ids}) if as_json else console.print(f"Movement {ids[0]} recorded.")


@app.command("outcome")
def outcome(hearing_id: int, result: str = typer.Argument(..., help="remanded, convicted, released or adjourned"),
            until: str = typer.Option(None, "--until", help="Remanded until (date)."), note: str = typer.Option(None, "--note"),
            sentence_reference: str = typer.Option(None, "--sentence-reference"), as_json: bool = JSON) -> None:
    """Record a hearing's outcome; the legal basis follows."""
    from habeas.court import service

    out = run(lambda s, a: service.record_outcome(s, a, hearing_id, outcome=result, note=note, remanded_until=_d(until, "until"),
                                                  sentence_reference=sentence_reference), as_json=as_json)
    if as_json:
        print_json(out)
        return
    said = {"remanded": "remanded; new legal basis", "convicted": "convicted; the sentence is the legal basis", "released": "released",
            "adjourned": "adjourned"}[out["outcome"]]
    console.print(f"Outcome recorded: {said}" + (f" {out['basis']}" if out.get("basis") else "") + ".")


@app.command("unblock")
def unblock(block_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Lift a room block before its end (the block is kept, with the reason)."""
    from habeas.court import service

    run(lambda s, a: service.lift_block(s, a, block_id, reason), as_json=as_json)
    print_json({"lifted": block_id}) if as_json else console.print(f"Block {block_id} lifted.")


@app.command("cancel")
def cancel(hearing_id: int, reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Cancel a hearing and free its rooms."""
    from habeas.court import service

    run(lambda s, a: service.cancel(s, a, hearing_id, reason), as_json=as_json)
    print_json({"cancelled": hearing_id}) if as_json else console.print(f"Hearing {hearing_id} cancelled.")


@app.command("block")
def block(room: str, site: str = typer.Option(..., "--site"), start: str = typer.Option(..., "--start"), end: str = typer.Option(..., "--end"),
          reason: str = typer.Option(..., "--reason"), as_json: bool = JSON) -> None:
    """Block a video-link room for a period."""
    from habeas.court import service

    b = run(lambda s, a: service.block_room(s, a, site, room, starts_at=_dt(start, "start"), ends_at=_dt(end, "end"), reason=reason),
            as_json=as_json)
    print_json({"id": b.id}) if as_json else console.print(f"Block {b.id} recorded.")
