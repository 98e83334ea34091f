"""habeas demo (placeholder until the generator lands)."""

import typer


def demo(prisoners: int = typer.Option(15000), seed: int = typer.Option(1), if_empty: bool = typer.Option(False, "--if-empty")) -> None:
    """Build the reference complex and a synthetic population."""
    raise typer.Exit(code=0)
