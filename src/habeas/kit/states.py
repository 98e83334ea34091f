"""Explicit state machines: the allowed transitions in one table per record type, and one way to
refuse the others (DESIGN.md section 3, habit 9)."""

from __future__ import annotations

from collections.abc import Mapping

from habeas.kit.errors import Conflict


def advance(record, to: str, transitions: Mapping[str, set[str]], *, name: str) -> str:
    """Move ``record.status`` to ``to`` if the table allows it; return the status it had.
    ``name`` says what the record is in the error ("count 12", "transfer 4", ...)."""
    current = record.status
    if to not in transitions.get(current, set()):
        raise Conflict(f"{name} is {current}: it cannot become {to}", code="bad_transition",
                       details={"record": name, "status": current, "to": to})
    record.status = to
    return current
