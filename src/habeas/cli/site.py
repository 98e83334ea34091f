"""habeas site: load a facility layout, list sites, show capacity and occupancy."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from habeas.cli.common import console, fail, print_json, run
from habeas.kit.errors import ValidationFailed
from habeas.sites import repository, service
from habeas.sites.layout import parse_layout

app = typer.Typer(help="Sites and their layout.", no_args_is_help=True)


def read_file(path: Path, as_json: bool) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(ValidationFailed(f"{path}: cannot read: {exc.strerror}", code="unreadable_file", details=[{"file": str(path), "row": None, "field": None, "message": exc.strerror}]), as_json)
        raise


@app.command("load")
def load(file: Path = typer.Argument(..., help="Layout YAML (docs/facility-layout.md)."), as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or update a site from a layout file. Loading the same file again changes nothing."""
    data = read_file(file, as_json)

    def go(session, actor):
        spec = parse_layout(data, str(file))
        return service.load_site(session, actor, spec, filename=str(file))

    report = run(go, as_json=as_json)
    if as_json:
        print_json(report.as_dict())
        return
    if not report.changed:
        console.print(f"Site {report.site}: no change ({report.unchanged} locations as before).")
        return
    verb = "created" if report.created_site else "updated"
    console.print(
        f"Site {report.site} {verb}: {len(report.created)} locations created, {len(report.updated)} updated, "
        f"{len(report.deactivated)} deactivated, {len(report.reactivated)} reactivated, {report.unchanged} unchanged."
    )


@app.command("list")
def list_sites(as_json: bool = typer.Option(False, "--json")) -> None:
    """The sites of this deployment."""
    sites = run(lambda s, a: [(x.code, x.name, x.operational_capacity) for x in repository.list_sites(s)], as_json=as_json)
    if as_json:
        print_json([{"code": c, "name": n, "operational_capacity": o} for c, n, o in sites])
        return
    table = Table("code", "name", "operational capacity")
    for c, n, o in sites:
        table.add_row(c, n, f"{o:,}")
    console.print(table)


@app.command("show")
def show(code: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Capacity and occupancy of a site, per top-level location."""

    def go(session, actor):
        site = service.get_site(session, code)
        return site.name, service.location_tree(session, site)

    name, roots = run(go, as_json=as_json)
    rows = [
        {"code": n.location.code, "name": n.location.name, "type": n.location.type, "occupants": n.occupants,
         "cna": n.cna, "working": n.working, "max": n.max, "floor_area_m2": round(n.floor_area_m2, 1),
         "m2_per_person": round(n.occupied_area_m2 / n.occupants, 2) if n.occupants and n.occupied_area_m2 else None}
        for n in roots
    ]
    if as_json:
        print_json({"site": code, "locations": rows})
        return
    table = Table("location", "type", "occupants", "cna", "working", "max", "m² per person (occupied cells)", title=f"{code}: {name}")
    for r in rows:
        per = f"{r['m2_per_person']:.1f}" if r["m2_per_person"] else "-"
        table.add_row(f"{r['code']} {r['name']}", r["type"], f"{r['occupants']:,}", f"{r['cna']:,}", f"{r['working']:,}", f"{r['max']:,}", per)
    console.print(table)
