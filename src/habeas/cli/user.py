"""habeas user: staff accounts."""

from __future__ import annotations

import typer
from rich.table import Table

from habeas.auth import repository, service
from habeas.auth.permissions import ROLES
from habeas.cli.common import console, print_json, run

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)


@app.command()
def add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    full_name: str = typer.Option(None, "--full-name"),
    password: bool = typer.Option(False, "--password", help="Also set a password (prompted)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a user and print an API token. The token is shown once and stored only hashed."""
    pw = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    user, token = run(lambda s, a: service.create_user(s, a, username=name, role=role, full_name=full_name, password=pw), as_json=as_json)
    if as_json:
        print_json({"username": name, "role": role, "token": token})
        return
    console.print(f"User [bold]{name}[/] ({role}) created. API token (shown once, keep it safe):")
    console.print(token, soft_wrap=True, highlight=False)


@app.command("password")
def password(name: str) -> None:
    """Set a user's password (prompted)."""
    pw = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    run(lambda s, a: service.set_password(s, a, name, pw))
    console.print(f"Password of {name} set.")


@app.command("token")
def token(name: str, label: str = typer.Option(None, "--label")) -> None:
    """Issue another API token for a user (shown once)."""
    from habeas.kit.errors import NotFound

    def go(s, a):
        user = repository.user_by_name(s, name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        return service.issue_token(s, a, user, label=label)

    console.print(run(go), soft_wrap=True, highlight=False)


@app.command("deactivate")
def deactivate(name: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Deactivate an account: its tokens and password stop working. Nothing is deleted."""
    run(lambda s, a: service.set_active(s, a, name, False, reason))
    console.print(f"User {name} deactivated.")


@app.command("activate")
def activate(name: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Reactivate an account."""
    run(lambda s, a: service.set_active(s, a, name, True, reason))
    console.print(f"User {name} reactivated.")


@app.command("revoke-token")
def revoke_token(prefix: str = typer.Argument(..., help="The token's first 12 characters (hbs_...)."), reason: str = typer.Option(..., "--reason")) -> None:
    """Revoke one API token."""
    tok = run(lambda s, a: service.revoke_token(s, a, prefix, reason))
    console.print(f"Token {tok.prefix}... revoked.")


@app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json")) -> None:
    """All users."""
    users = run(lambda s, a: [(u.username, u.role, u.full_name, u.active) for u in repository.list_users(s)])
    if as_json:
        print_json([{"username": u, "role": r, "full_name": f, "active": act} for u, r, f, act in users])
        return
    table = Table("user", "role", "name", "active")
    for u, r, f, act in users:
        table.add_row(u, r, f or "", "yes" if act else "no")
    console.print(table)
