"""habeas bench NAME: the performance benchmarks (code in bench/ at the top of the checkout)."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType

import typer
from rich.table import Table

from habeas.cli.common import console, err_console
from habeas.config import project_root

NAMES = ("intake", "search", "allocate", "roll", "where", "release", "web")


def _module(name: str) -> ModuleType:
    """bench.<name>, from the checkout (the project root is not on sys.path under the installed script)."""
    try:
        return importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("bench", f"bench.{name}"):
            raise
    root = str(project_root())
    if (project_root() / "bench" / "__init__.py").exists() and root not in sys.path:
        sys.path.insert(0, root)
        sys.modules.pop("bench", None)
    return importlib.import_module(f"bench.{name}")


def bench(
    name: str = typer.Argument(..., help="intake, search, allocate, roll, where, release, web or all."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of {name, value, unit, target} on stdout (progress goes to stderr)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the synthetic population."),
) -> None:
    """Run a benchmark on a temporary SQLite database (DESIGN.md section 6)."""
    if name not in (*NAMES, "all"):
        err_console.print(f"[bold red]error:[/] unknown benchmark {name!r}: one of {', '.join(NAMES)}, all")
        raise typer.Exit(code=2)
    modules = [_module(n) for n in (NAMES if name == "all" else (name,))]
    from bench.common import Reporter

    results = []
    with Reporter() as reporter:
        for mod in modules:
            results.extend(mod.run(seed=seed, reporter=reporter))
    if as_json:
        sys.stdout.write(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table("benchmark", "value", "unit", "target", header_style="bold")
    for r in results:
        table.add_row(r["name"], f"{r['value']:,.2f}", r["unit"], r["target"])
    console.print(table)
