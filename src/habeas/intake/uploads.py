"""Manifest files kept between "check" and "book" on the intake pages.

A file that passed every check is kept on the server under a random token, with its SHA-256
digest, who uploaded it and for which site. The browser only carries the token back, so the
booked file is byte for byte the checked one: nothing the browser sends can change it. Booking
claims the file first (an atomic rename), so a double click or a second tab cannot book it
twice. Files are private to the server's user and forgotten after ``MAX_AGE``.

No database is involved: an unfinished upload leaves nothing in the records."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_AGE = 24 * 3600  # seconds a checked file waits to be booked
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def directory() -> Path:
    """Where checked files wait: private to the server's own user. A folder of that name made by
    someone else (or open to others) is refused rather than trusted."""
    path = Path(tempfile.gettempdir()) / f"habeas-manifests-{os.getuid()}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise PermissionError(f"{path} is not a private folder of this user: remove it and try again")
    return path


@dataclass(frozen=True)
class Stored:
    token: str
    site: str
    username: str
    filename: str
    sha256: str
    size: int
    created: float
    summary: dict[str, Any]


def _paths(token: str) -> tuple[Path, Path, Path]:
    d = directory()
    return d / f"{token}.json", d / f"{token}.csv", d / f"{token}.booking"


def sweep(now: float | None = None) -> None:
    """Forget files older than MAX_AGE (called on each upload)."""
    limit = (now or time.time()) - MAX_AGE
    for path in directory().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def keep(data: bytes, *, site: str, username: str, filename: str, summary: dict[str, Any]) -> Stored:
    sweep()
    token = secrets.token_urlsafe(24)
    meta_path, data_path, _ = _paths(token)
    stored = Stored(token=token, site=site, username=username, filename=filename, sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data), created=time.time(), summary=summary)
    fd = os.open(data_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    fd = os.open(meta_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(stored.__dict__, fh, default=str)
    return stored


def find(token: str, *, site: str, username: str) -> Stored | None:
    """The stored file's record, only for the user and site that uploaded it; None otherwise."""
    if not TOKEN.match(token or ""):
        return None
    meta_path, data_path, _ = _paths(token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stored = Stored(**meta)
    if stored.site != site or stored.username != username or time.time() - stored.created > MAX_AGE:
        return None
    return stored


def claim(stored: Stored) -> bytes | None:
    """Take the file for booking: its bytes if nobody else took it and it is unchanged; else None."""
    _, data_path, claimed = _paths(stored.token)
    try:
        os.rename(data_path, claimed)
    except OSError:
        return None
    data = claimed.read_bytes()
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        return None
    return data


def release(stored: Stored) -> None:
    """Give a claimed file back (the booking was refused): it can be booked again."""
    _, data_path, claimed = _paths(stored.token)
    try:
        os.rename(claimed, data_path)
    except OSError:
        pass


def forget(token: str) -> None:
    for path in _paths(token):
        try:
            path.unlink()
        except OSError:
            pass
