"""habeas intake: book a manifest, all or nothing."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from habeas.cli.common import console, print_json, run
from habeas.cli.site import read_file
from habeas.intake import service

app = typer.Typer(help="Intake: book people into custody.", no_args_is_help=True)


@app.command("import")
def import_manifest(
    manifest: Path = typer.Argument(..., help="CSV manifest (docs/intake-manifest.md)."),
    site: str = typer.Option(..., "--site", help="Code of the receiving site."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Book every person of a manifest in one transaction; any bad row, nothing written."""
    data = read_file(manifest, as_json)
    started = time.perf_counter()
    if as_json:
        booked = run(lambda s, a: service.import_manifest(s, a, site, data, str(manifest)), as_json=True)
    else:
        with console.status(f"Validating and booking {manifest} ..."):
            booked = run(lambda s, a: service.import_manifest(s, a, site, data, str(manifest)))
    elapsed = time.perf_counter() - started
    if as_json:
        print_json({"booked": len(booked), "prisoners": [{"external_ref": b.external_ref, "prisoner_number": b.prisoner_number} for b in booked]})
        return
    console.print(f"[green]Booked {len(booked):,} people into {site} reception[/] in {elapsed:.2f} s.")
    for b in booked[:10]:
        console.print(f"  {b.external_ref or '-'} -> {b.prisoner_number}")
    if len(booked) > 10:
        console.print(f"  ... and {len(booked) - 10:,} more (use --json for the full list)")
