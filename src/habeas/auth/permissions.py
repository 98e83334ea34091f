"""Roles (DESIGN.md section 4) and what each may do. One table, used by the API and the pages."""

from __future__ import annotations

ROLES = ("admin", "records", "housing", "operations", "legal", "health", "discipline", "inspector", "viewer")

# Read permissions: nobody but health staff and inspectors reads health data.
READ_COMMON = frozenset({"sites:read", "prisoners:read", "legal:read", "movements:read"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": READ_COMMON | {"sites:write", "users:manage", "audit:read"},
    "records": READ_COMMON | {"prisoners:write", "intake:write", "legal:write"},
    "housing": READ_COMMON | {"housing:write"},
    "operations": READ_COMMON | {"movements:write", "incidents:write"},
    "legal": READ_COMMON | {"legal:write"},
    "health": READ_COMMON | {"health:read", "health:write"},
    "discipline": READ_COMMON | {"discipline:write", "incidents:write"},
    # Inspectors read everything, including the audit log and health summaries, and write nothing
    # but inspection reports.
    "inspector": READ_COMMON | {"audit:read", "health:read", "inspections:write"},
    "viewer": READ_COMMON,
}

ALL_PERMISSIONS = frozenset().union(*PERMISSIONS.values())


def allows(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())
