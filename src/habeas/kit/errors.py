"""Domain exceptions. Each carries its HTTP status and a machine code; one handler renders them."""

from __future__ import annotations

from typing import Any


def _describe(d: dict) -> str:
    """A problem's own facts in words (``person: H0000001R, reason: ...``), when it has any."""
    facts = [f"{k}: {v}" for k, v in d.items() if k not in ("row", "field", "message", "file") and v is not None]
    return ", ".join(facts)


class DomainError(Exception):
    status = 400
    code = "bad_request"
    # True when what the transaction wrote before the error must still be kept
    # (a failed login is counted and audited even though the request is refused).
    persist = False

    def __init__(self, message: str, *, code: str | None = None, details: Any = None, status: int | None = None,
                 persist: bool | None = None):
        super().__init__(message)
        self.message = message
        if persist is not None:
            self.persist = persist
        if code:
            self.code = code
        if status:
            self.status = status
        if isinstance(details, list):
            # one shape for every problem listed: row, field, message (the error's message when a
            # problem has none of its own)
            details = [{"row": None, "field": None, **d, "message": d.get("message") or _describe(d) or message}
                       if isinstance(d, dict) else d for d in details]
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(DomainError):
    """Bad input. ``details`` is a list of {"row", "field", "message"} (row may be None)."""

    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class LoginFailed(Unauthenticated):
    persist = True


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class Issue(dict):
    """One problem in an input: where it is (file, row, field) and what is wrong."""

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None, file: str | None = None):
        super().__init__(row=row, field=field, message=message)
        if file is not None:
            self["file"] = file


class IssueList(list):
    """Collects issues while validating a whole input, so every problem is reported at once."""

    def add(self, message: str, *, field: str | None = None, row: int | None = None, file: str | None = None) -> None:
        self.append(Issue(message, field=field, row=row, file=file))

    def raise_if_any(self, message: str) -> None:
        if self:
            raise ValidationFailed(f"{message}: {len(self)} problem(s)", details=list(self))
