"""The audit chain: every write is chained; any alteration, removal or insertion is named."""

from __future__ import annotations

from sqlalchemy import select, text, update

from habeas.audit import service as audit
from habeas.intake.service import book_many
from habeas.kit.context import Actor
from habeas.models import AuditEvent, AuditHead
from tests import factories as f


def _seed(sessions, n=3):
    with sessions.begin() as s:
        f.load(s)
        book_many(s, f.ACTOR, "T1", [(None, f.booking()) for _ in range(n)])


def test_every_write_is_chained_and_verifies(sessions):
    _seed(sessions)
    with sessions() as s:
        result = audit.verify(s)
        events = s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    assert result.ok, result.problem
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert [e.action for e in events].count("intake.book") == 3


def test_rolled_back_transaction_leaves_no_event(sessions):
    _seed(sessions, 1)
    with sessions() as s:
        before = s.execute(select(AuditHead.seq)).scalar_one()
    s = sessions()
    audit.record(s, f.ACTOR, "test.noop", "thing", 1, after={"x": 1})
    s.rollback()
    s.close()
    with sessions() as s:
        assert s.execute(select(AuditHead.seq)).scalar_one() == before
        assert audit.verify(s).ok


def _tamper_and_verify(sessions, engine, *statements):
    """Change the log behind the application's back, then walk the chain."""
    with engine.begin() as c:
        for statement in statements:
            c.execute(statement)
    with sessions() as s:
        return audit.verify(s)


def test_altered_event_is_named(sessions, engine):
    _seed(sessions)
    result = _tamper_and_verify(sessions, engine, update(AuditEvent).where(AuditEvent.seq == 2).values(actor="someone-else"))
    assert not result.ok and result.first_bad_seq == 2
    assert "altered" in result.problem


def test_removed_event_is_named(sessions, engine):
    _seed(sessions)
    result = _tamper_and_verify(sessions, engine, text("DELETE FROM audit_events WHERE seq = 3"))
    assert not result.ok and result.first_bad_seq == 3
    assert "missing" in result.problem


def test_removed_last_event_is_named(sessions, engine):
    _seed(sessions)
    with sessions() as s:
        last = s.execute(select(AuditHead.seq)).scalar_one()
    result = _tamper_and_verify(sessions, engine, text(f"DELETE FROM audit_events WHERE seq = {last}"))
    assert not result.ok and result.first_bad_seq == last


def test_inserted_event_is_named(sessions, engine):
    _seed(sessions)
    with sessions() as s:
        events = s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        # Forge an event between 2 and 3: renumber the tail and insert a well-formed row.
        tail = [e.seq for e in events if e.seq >= 3]
    with engine.begin() as c:
        for seq in sorted(tail, reverse=True):
            c.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(seq=seq + 1))
        forged = {"seq": 3, "at": events[1].at, "actor": "intruder", "action": "prisoner.read", "entity_type": "prisoner",
                  "entity_id": "H0000001R", "before": None, "after": None, "request_id": None, "prev_hash": events[1].hash}
        forged["hash"] = audit.hash_of(forged)
        c.execute(AuditEvent.__table__.insert().values(**forged))
    with sessions() as s:
        result = audit.verify(s)
    assert not result.ok and result.first_bad_seq == 4  # the genuine event after the forgery no longer links


def test_appended_event_without_head_is_named(sessions, engine):
    _seed(sessions, 1)
    with sessions() as s:
        head = s.execute(select(AuditHead)).scalar_one()
        seq, prev = head.seq, head.hash
        at = s.execute(select(AuditEvent.at).where(AuditEvent.seq == seq)).scalar_one()
    row = {"seq": seq + 1, "at": at, "actor": "intruder", "action": "x", "entity_type": "x", "entity_id": None,
           "before": None, "after": None, "request_id": None, "prev_hash": prev}
    row["hash"] = audit.hash_of(row)
    result = _tamper_and_verify(sessions, engine, AuditEvent.__table__.insert().values(**row))
    assert not result.ok and result.first_bad_seq == seq + 1 and "inserted" in result.problem


def test_concurrent_writers_keep_one_linear_chain(sessions):
    """Two transactions appending at once: the head lock serialises them; the chain stays linear."""
    import threading

    with sessions.begin() as s:
        f.load(s)
    errors: list[Exception] = []

    def writer(i: int) -> None:
        try:
            for k in range(5):
                with sessions.begin() as s:
                    audit.record(s, Actor(username=f"w{i}", role="admin"), "test.write", "thing", f"{i}-{k}", after={"k": k})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with sessions() as s:
        result = audit.verify(s)
        count = s.execute(select(AuditEvent).where(AuditEvent.action == "test.write")).scalars().all()
    assert result.ok, result.problem
    assert len(count) == 20


def test_rewritten_chain_is_caught_by_a_head_recorded_outside(sessions, engine):
    """Rewriting every hash after an edit keeps the chain consistent; the recorded head still tells."""
    _seed(sessions)
    with sessions() as s:
        recorded = (audit.verify(s).head_seq, audit.verify(s).head_hash)
        rows = [dict(r._mapping) for r in s.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq))]
    rows[1]["actor"] = "someone-else"
    prev = audit.GENESIS
    with engine.begin() as c:
        for row in rows:
            row["prev_hash"] = prev
            row["hash"] = prev = audit.hash_of(row)
            c.execute(update(AuditEvent).where(AuditEvent.seq == row["seq"]).values(actor=row["actor"], prev_hash=row["prev_hash"], hash=row["hash"]))
        c.execute(update(AuditHead).values(hash=prev))
    with sessions() as s:
        assert audit.verify(s).ok  # consistent in itself
        result = audit.verify(s, expect=recorded)
    assert not result.ok and result.first_bad_seq == recorded[0] and "rewritten" in result.problem
