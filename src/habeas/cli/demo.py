"""habeas demo: the reference complex with a synthetic population and one user per role."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from habeas.cli.common import console, err_console, run
from habeas.config import get_settings
from habeas.db import default_engine
from habeas.demo import service
from habeas.migrate import current_revision


def demo(
    prisoners: int = typer.Option(15000, "--prisoners", min=0, help="How many people to book."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same people."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the database already has a site (used by `make run`)."),
    site_layout: Path = typer.Option(Path(service.DEFAULT_LAYOUT), "--site-layout", help="Layout file of the demo site."),
) -> None:
    """Build the reference complex, book and house a synthetic population, create demo users."""
    if current_revision(default_engine()) is None:
        err_console.print("[bold red]error:[/] the database has no schema yet: run `habeas db upgrade` first")
        raise typer.Exit(code=1)
    if if_empty and run(lambda s, a: service.has_any_site(s)):
        console.print("The database already has a site: demo data not loaded.")
        return
    password = get_settings().demo_admin_password

    def check(session, actor):  # refuse before drawing the progress bars
        service.demo_password(password)
        service.check_empty(session)

    run(check)
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, advance: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.advance(tasks[phase], advance)

        def go(session, actor):
            if if_empty and service.has_any_site(session):
                return None
            return service.build_demo(session, actor, prisoners=prisoners, seed=seed, layout=site_layout,
                                      password=password, progress=progress)

        report = run(go)
    if report is None:
        console.print("The database already has a site: demo data not loaded.")
        return
    elapsed = time.perf_counter() - started
    console.print(
        f"[green]Demo ready[/] in {elapsed:.1f} s: site {report.site}, {report.booked:,} people booked, "
        f"{report.housed:,} housed in cells, {report.in_reception:,} in reception awaiting housing."
    )
    console.print("Log in at http://127.0.0.1:8000 (`habeas serve`) as one of these users, all with the same password:")
    console.print("  " + ", ".join(f"{name} ({role})" if name != role else name for name, role in report.users))
    note = "generated, shown once; set HABEAS_DEMO_ADMIN_PASSWORD to choose it" if report.password_generated else "from HABEAS_DEMO_ADMIN_PASSWORD"
    console.print(f"Password: [bold]{report.password}[/]  ({note})", highlight=False)
    console.print("API token of admin (shown once, stored only hashed):")
    console.print(report.admin_token, soft_wrap=True, highlight=False)
    console.print(f'  e.g. curl -H "Authorization: Bearer {report.admin_token}" http://127.0.0.1:8000/api/v1/me', soft_wrap=True, highlight=False)
