"""Translations. Every text on a page goes through gettext; the catalogs are the .po files under
``habeas/locale/<lang>/LC_MESSAGES/`` (one file per domain, merged on load, so each domain keeps
its own strings). English is the source language; its catalog is the msgids themselves."""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"

_current: ContextVar[str] = ContextVar("habeas_language", default=DEFAULT_LANGUAGE)


def catalog_files(lang: str) -> list[Path]:
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    """The merged catalog of one language (NullTranslations for the source language)."""
    files = catalog_files(lang)
    if not files:
        return _gettext.NullTranslations()
    merged = None
    for path in files:
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang, domain=path.stem)
        if merged is None:
            merged = cat
            continue
        for message in cat:
            if message.id and message.id not in merged:
                merged[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, merged, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def set_language(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The user's choice (cookie) first, then the browser's preference, then English."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def N_(message: str) -> str:
    """Marks a word for the catalogs without translating it here (it is translated where shown)."""
    return message


# Words the pages show from data (roles, kinds, statuses): listed so the catalogs carry them.
VOCABULARY = [
    N_("admin"), N_("records"), N_("housing"), N_("operations"), N_("legal"), N_("health"), N_("discipline"), N_("inspector"),
    N_("viewer"), N_("scheduled"), N_("emergency"), N_("open"), N_("cleared"), N_("cancelled"),
]

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract_messages() -> dict[str, list[str]]:
    """Every message the code and templates ask to translate: msgid -> where it appears."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[1]
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(root), method_map, options_map=options, keywords=KEYWORDS):
        ids = message if isinstance(message, tuple) else (message,)
        for mid in ids:
            if mid:
                found.setdefault(mid, []).append(f"{filename}:{lineno}")
    return found


def missing(lang: str) -> dict[str, list[str]]:
    """Messages with no translation in ``lang``'s catalogs (empty for the source language)."""
    if lang == DEFAULT_LANGUAGE:
        return {}
    have: set[str] = set()
    for path in catalog_files(lang):
        with path.open("rb") as fh:
            for m in read_po(fh, locale=lang):
                if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else (m.string,)):
                    have.update(m.id if isinstance(m.id, tuple) else (m.id,))
    return {mid: where for mid, where in extract_messages().items() if mid not in have}
