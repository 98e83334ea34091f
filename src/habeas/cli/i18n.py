"""`habeas i18n`: keep the page translations complete."""

from __future__ import annotations

from pathlib import Path

import typer

from habeas.cli.common import console

app = typer.Typer(help="Translations of the staff pages (gettext catalogs under habeas/locale).", no_args_is_help=True)


@app.command("missing")
def missing(
    lang: str = typer.Option("es", help="Language code."),
    add_to: Path | None = typer.Option(None, "--add-to", help="Append the missing messages, untranslated, to this .po file."),
    only: list[str] = typer.Option([], "--only", help="Only messages used under these paths (e.g. templates/sites/ or sites/views.py)."),
) -> None:
    """List the messages with no translation; exit 1 when there are any."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from habeas.kit import i18n

    gaps = i18n.missing(lang)
    if only:
        gaps = {m: w for m, w in gaps.items() if any(loc.startswith(tuple(only)) for loc in w)}
    if add_to is not None and gaps:
        if add_to.exists():
            with add_to.open("rb") as fh:
                cat = read_po(fh, locale=lang)
        else:
            cat = Catalog(locale=lang, project="Habeas", domain=add_to.stem)
        plural_of = {m: p for m, p in _plurals(i18n)}
        done = set()
        for mid, where in gaps.items():
            if mid in done:
                continue
            if mid in plural_of:
                cat.add((mid, plural_of[mid]), ("", ""), locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where[:3]])
                done.update((mid, plural_of[mid]))
            else:
                cat.add(mid, "", locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where[:3]])
                done.add(mid)
        add_to.parent.mkdir(parents=True, exist_ok=True)
        with add_to.open("wb") as fh:
            write_po(fh, cat, width=120, sort_output=False)
        console.print(f"{len(done)} message(s) added to {add_to}; translate them (msgstr) and run this again")
    for mid, where in gaps.items():
        console.print(f"[yellow]{where[0]}[/]  {mid}", markup=True, highlight=False)
    if gaps:
        raise typer.Exit(1)
    console.print(f"every message has a {lang} translation")


def _plurals(i18n_mod):
    """(singular, plural) pairs of every ngettext call."""
    from babel.messages.extract import extract_from_dir

    root = Path(i18n_mod.__file__).resolve().parents[1]
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _f, _l, message, _c, _ctx in extract_from_dir(str(root), method_map, options_map=options, keywords=i18n_mod.KEYWORDS):
        if isinstance(message, tuple) and len(message) == 2 and all(message):
            yield message
