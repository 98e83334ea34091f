"""habeas bench (placeholder)."""

import typer


def bench(name: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """Run a benchmark."""
    raise typer.Exit(code=0)
