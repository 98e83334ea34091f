"""Name normalisation for search: accents folded, lower case, letters and digits only."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.lower().replace("ß", "ss")


def tokens(*texts: str | None) -> list[str]:
    """Distinct search tokens of the given names, in first-seen order."""
    seen: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for tok in _NON_WORD.split(fold(text)):
            if tok:
                seen.setdefault(tok[:64], None)
    return list(seen)


def normalise(text: str | None) -> str:
    return " ".join(tokens(text))


def sort_key(surname_norm: str, given_names_norm: str, prisoner_id: int) -> str:
    """A string that sorts as (surname, given names, id) byte-wise: the separator sorts below
    every character of a normalised name, and the id is zero-padded."""
    return f"{surname_norm}\x01{given_names_norm}\x01{prisoner_id:012d}"
