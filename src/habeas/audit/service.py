"""The hash-chained audit log.

Every write appends an event in the same transaction. Events are collected on the session
and written in one batch just before commit, under a lock on the single chain head, so the
chain is linear in commit order on every engine and a bulk operation hashes in one pass.

hash(event) = sha256(canonical JSON of the event's content, including the previous hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from habeas.db import bulk_insert, time_param
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.jsonutil import canonical, plain
from habeas.models import AuditEvent, AuditHead

GENESIS = "0" * 64
_PENDING = "habeas_audit_pending"


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: Any = None,
    after: Any = None,
    native: bool = False,
) -> None:
    """Queue one event; it is chained and written when the transaction commits.

    ``native``: the caller vouches that ``before`` and ``after`` hold only what JSON gives back
    (str, int, float, bool, None, lists, dicts with text keys), so they are stored as they are
    instead of through a JSON round trip (the payload of a batch of thousands of movements)."""
    session.info.setdefault(_PENDING, []).append(
        {
            "at": clock.db_time(clock.now()),
            "actor": actor.username,
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "before": before if native else plain(before),
            "after": after if native else plain(after),
            "request_id": actor.request_id,
        }
    )


# The content's keys in canonical (sorted) order.
_CONTENT_KEYS = ("action", "actor", "after", "at", "before", "entity_id", "entity_type", "prev_hash", "request_id", "seq")


def content_of(row: dict[str, Any], *, texts: dict[str, str] | None = None) -> str:
    """The canonical JSON of the event's content: the same text as ``canonical()`` of the
    whole object, built key by key so that ``texts`` (``before`` and ``after`` already in
    canonical JSON, as they are stored) are not encoded a second time."""
    at = row["at"]
    fields = {
        "seq": row["seq"],
        "at": at.isoformat(timespec="microseconds") if hasattr(at, "isoformat") else at,
        "actor": row["actor"],
        "action": row["action"],
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "before": row["before"],
        "after": row["after"],
        "request_id": row["request_id"],
        "prev_hash": row["prev_hash"],
    }
    texts = texts or {}
    return "{" + ",".join(f'"{k}":{texts[k] if k in texts else canonical(fields[k])}' for k in _CONTENT_KEYS) + "}"


def hash_of(row: dict[str, Any], *, texts: dict[str, str] | None = None) -> str:
    return hashlib.sha256(content_of(row, texts=texts).encode("utf-8")).hexdigest()


_EVENT_COLUMNS = (("seq", "bigint"), ("at", "timestamp"), ("actor", "text"), ("action", "text"), ("entity_type", "text"),
                  ("entity_id", "text"), ("before", "json"), ("after", "json"), ("request_id", "text"), ("prev_hash", "text"),
                  ("hash", "text"))


def flush(session: Session) -> int:
    """Write the queued events now (normally called by the commit hook). Returns the count.

    ``before`` and ``after`` are encoded once, in canonical JSON: that text is both hashed and
    stored (a batch's event can list thousands of movements)."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq, prev = head.seq, head.hash
    t = time_param(session)
    rows = []
    for row in pending:
        seq += 1
        row["seq"] = seq
        row["prev_hash"] = prev
        texts = {"before": canonical(row["before"]), "after": canonical(row["after"])}
        prev = hash_of(row, texts=texts)
        rows.append((seq, t(row["at"]), row["actor"], row["action"], row["entity_type"], row["entity_id"], texts["before"],
                     texts["after"], row["request_id"], row["prev_hash"], prev))
    bulk_insert(session, "audit_events", _EVENT_COLUMNS, rows, copy=True)
    head.seq, head.hash = seq, prev
    session.flush()
    return len(pending)


def discard(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    flush(session)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    discard(session)


# --- verification -------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


_FIELDS = ("seq", "at", "actor", "action", "entity_type", "entity_id", "before", "after", "request_id", "prev_hash", "hash")


def _rows(session: Session, batch: int = 5000) -> Iterable[dict[str, Any]]:
    cols = [getattr(AuditEvent, f) for f in _FIELDS]
    last = 0
    while True:
        chunk = session.execute(select(*cols).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)).all()
        if not chunk:
            return
        for r in chunk:
            yield dict(zip(_FIELDS, r, strict=True))
        last = chunk[-1][0]


def verify(session: Session, progress=None, *, expect: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain from the genesis hash; name the first event altered, removed or inserted.

    ``expect`` is a (seq, hash) pair recorded outside the database earlier (the head printed by a
    previous verification): if the event with that number no longer has that hash, the chain was
    rewritten from there on, even if it is consistent in itself."""
    result = _walk(session, progress)
    if result.ok and expect is not None:
        seq, want = expect
        got = session.execute(select(AuditEvent.hash).where(AuditEvent.seq == seq)).scalar_one_or_none()
        if got is None:
            return VerifyResult(False, result.checked, result.head_seq, result.head_hash, seq, f"event {seq}, recorded outside the database, is no longer in the log")
        if got != want:
            return VerifyResult(False, result.checked, result.head_seq, result.head_hash, seq, f"event {seq} no longer has the hash recorded outside the database: the chain was rewritten")
    return result


def _walk(session: Session, progress=None) -> VerifyResult:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    expected_seq, prev, checked = 1, GENESIS, 0
    for row in _rows(session):
        seq = row["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                return VerifyResult(False, checked, head.seq, head.hash, expected_seq, f"event {expected_seq} is missing (the chain jumps from {expected_seq - 1} to {seq})")
            return VerifyResult(False, checked, head.seq, head.hash, seq, f"event {seq} is out of sequence")
        if row["prev_hash"] != prev:
            return VerifyResult(False, checked, head.seq, head.hash, seq, f"event {seq} does not link to event {seq - 1} (an event was removed, inserted or altered before it)")
        if hash_of(row) != row["hash"]:
            return VerifyResult(False, checked, head.seq, head.hash, seq, f"event {seq} was altered: its content does not match its hash")
        prev = row["hash"]
        expected_seq += 1
        checked += 1
        if progress and checked % 5000 == 0:
            progress(checked)
    last_seq = expected_seq - 1
    if last_seq != head.seq or prev != head.hash:
        if last_seq < head.seq:
            return VerifyResult(False, checked, head.seq, head.hash, last_seq + 1, f"event {last_seq + 1} is missing: the chain head records {head.seq} events, the log ends at {last_seq}")
        return VerifyResult(False, checked, head.seq, head.hash, head.seq + 1, f"event {head.seq + 1} was inserted after the chain head ({head.seq})")
    return VerifyResult(True, checked, head.seq, head.hash)
