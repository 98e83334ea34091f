"""Prisoner numbers: "H" + 7 digits + a check letter (the mod-23 letter of Spanish identity
numbers), so a mistyped digit is caught at the keyboard, not after the wrong person is moved."""

from __future__ import annotations

import re

LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
PATTERN = re.compile(r"^H(\d{7})([A-Z])$")


def format_number(n: int) -> str:
    if not 0 < n < 10_000_000:
        raise ValueError(f"prisoner sequence {n} out of range")
    return f"H{n:07d}{LETTERS[n % 23]}"


def is_valid(number: str) -> bool:
    m = PATTERN.match(number or "")
    return bool(m) and LETTERS[int(m.group(1)) % 23] == m.group(2)


def normalise(number: str) -> str:
    return (number or "").strip().upper().replace(" ", "").replace("-", "")
