"""Who is acting and under which request id: passed to every service as ``actor``."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

_request_id: ContextVar[str | None] = ContextVar("habeas_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


def current_request_id() -> str | None:
    return _request_id.get()


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    user_id: int | None = None
    request_id: str = field(default_factory=new_request_id)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(username=name, role="admin")
