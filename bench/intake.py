"""intake: book a 2,000-row manifest into the 15,000-resident demo database (DESIGN.md section 6).

Ours: ``habeas.intake.service.import_manifest`` on the CSV bytes (parse, validation, every
table, audit), in one transaction, commit included. Competitor: the same people inserted into
the same tables with bare ``sqlite3`` ``executemany`` calls (no validation, no audit), on a
byte-identical copy of the same database, in the same process run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import ACTOR, Database, Reporter, metric, note, stage, workdir
from habeas.db import transaction
from habeas.demo.generator import generate_bookings, to_manifest_csv
from habeas.demo.service import build_demo
from habeas.intake.schemas import BookingIn
from habeas.intake.service import import_manifest
from habeas.kit import clock
from habeas.kit.text import normalise, sort_key, tokens
from habeas.prisoners.numbers import format_number

SITE = "RC"
RAW_TABLES = ("prisoners", "positions", "custody_episodes", "legal_bases", "distinguishing_marks", "prisoner_aliases", "affiliations",
              "prisoner_name_tokens", "movements")


def run(*, residents: int = 15_000, manifest_rows: int = 2_000, seed: int = 1, reporter: Reporter | None = None,
        directory: str | Path | None = None) -> list[dict[str, Any]]:
    with workdir(directory) as tmp:
        # 1. The demo database, built by the demo code itself (timed: `habeas demo` minus process start).
        db = Database.create(tmp, "intake.db")
        started = time.perf_counter()
        with transaction(db.sessions) as session:
            build_demo(session, ACTOR, prisoners=residents, seed=seed, password="bench-password", progress=stage(reporter, "demo"))
        demo_seconds = time.perf_counter() - started
        note(reporter, f"demo: {residents:,} residents in {demo_seconds:.1f} s")
        db.close()
        raw_db = db.copy("raw.db")
        raw_db.close()

        # 2. A fresh transfer manifest: people numbered after the residents (no national id clash).
        now = clock.now()
        arrivals = generate_bookings(manifest_rows, seed=seed, start=residents, now=now, arrivals_since=now - timedelta(hours=6), ref_prefix="TR")
        data = to_manifest_csv(arrivals)

        # 3. Ours: the service, one transaction, commit included.
        note(reporter, f"intake: importing a {manifest_rows:,}-row manifest ({len(data) / 1e6:.1f} MB)")
        started = time.perf_counter()
        with transaction(db.sessions) as session:
            booked = import_manifest(session, ACTOR, SITE, data, "transfer.csv")
        ours = time.perf_counter() - started
        db.close()
        if len(booked) != manifest_rows:
            raise RuntimeError(f"booked {len(booked)} of {manifest_rows}")

        # 4. The bare-DBAPI competitor on the copy.
        note(reporter, "intake: the same people with bare sqlite3 executemany")
        raw = raw_insert(raw_db.path, arrivals)
        counts = [_count(p, "prisoners") for p in (db.path, raw_db.path)]
        if counts[0] != counts[1]:
            raise RuntimeError(f"the two databases differ after the run: {counts[0]} and {counts[1]} prisoners")

    extra = {"rows": manifest_rows, "residents": residents}
    return [
        metric("intake.bookings_per_s", manifest_rows / ours, "bookings/s", "≥ 2000", **extra),
        metric("intake.seconds", ours, "s", "report", **extra),
        metric("intake.ratio_to_raw_insert", ours / raw, "x", "report", raw_seconds=round(raw, 4), raw_tables=list(RAW_TABLES),
               note="ours parses the CSV, validates, and audits every booking; raw only inserts", **extra),
        metric("demo.seconds", demo_seconds, "s", "≤ 30", prisoners=residents, housed=residents - min(40, residents)),
    ]


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed table name


def _ts(value: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format (naive UTC).
    return clock.db_time(value).strftime("%Y-%m-%d %H:%M:%S.%f")


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def raw_insert(path: Path, bookings: list[BookingIn]) -> float:
    """Insert ``bookings`` with bare executemany into every table intake writes (not the audit
    log), as one transaction. Returns the seconds taken, commit included."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        site_id, reception_id = conn.execute(
            "SELECT s.id, l.id FROM sites s JOIN locations l ON l.site_id = s.id AND l.type = 'reception' WHERE s.code = ? ORDER BY l.position LIMIT 1", (SITE,)
        ).fetchone()
        seq = conn.execute("SELECT value FROM sequences WHERE name = 'prisoner_number'").fetchone()[0]
        pid0 = conn.execute("SELECT coalesce(max(id), 0) FROM prisoners").fetchone()[0]
        eid0 = conn.execute("SELECT coalesce(max(id), 0) FROM custody_episodes").fetchone()[0]
        now = _ts(clock.now())
        prisoners, episodes, bases, marks, aliases, affs, toks, moves = [], [], [], [], [], [], [], []
        for i, b in enumerate(bookings, start=1):
            pid, eid = pid0 + i, eid0 + i
            a = b.admission
            admitted = _ts(a.admitted_at) if a.admitted_at else now
            prisoners.append((pid, format_number(seq + i), b.surname, b.given_names, normalise(b.surname), normalise(b.given_names),
                              _d(b.date_of_birth), b.sex, b.nationality, b.national_id, b.security_level, b.legal_status,
                              json.dumps(list(b.flags)), 1, site_id, eid, now, now))
            episodes.append((eid, pid, site_id, "open", b.legal_status, admitted, _ts(a.arrested_at) if a.arrested_at else None,
                             a.arrest_place, a.arresting_authority, a.commitment_reason, a.commitment_authority or b.legal_bases[0].issuing_authority,
                             a.visible_injuries, a.ill_treatment_complaint, a.property_record, a.next_of_kin_name, a.next_of_kin_relationship,
                             a.next_of_kin_contact, a.legal_representative, b.external_ref, now))
            for lb in b.legal_bases:
                bases.append((eid, pid, lb.type, lb.reference, lb.issuing_authority, _d(lb.issue_date), _d(lb.review_due), _d(lb.expiry_date), "active", now))
            marks.extend((pid, m.kind, m.body_location, m.description, 1, now) for m in b.marks)
            aliases.extend((pid, name, 1, now) for name in b.aliases)
            if b.affiliation:
                affs.append((pid, b.affiliation.group, b.affiliation.source, 1, now))
            key = sort_key(normalise(b.surname), normalise(b.given_names), pid)
            toks.extend((t, pid, key) for t in tokens(b.surname, b.given_names, *b.aliases))
            moves.append((pid, eid, site_id, None, reception_id, "admission", "admission into custody", None, admitted, now, ACTOR.username))
        conn.executemany(
            "INSERT INTO prisoners (id, prisoner_number, surname, given_names, surname_norm, given_names_norm, date_of_birth, sex, nationality, "
            "national_id, security_level, legal_status, flags, in_custody, current_site_id, current_episode_id, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", prisoners)
        conn.executemany("INSERT INTO positions (prisoner_id, current_location_id) VALUES (?, ?)", [(p[0], reception_id) for p in prisoners])
        conn.executemany(
            "INSERT INTO custody_episodes (id, prisoner_id, site_id, status, legal_status, admitted_at, arrested_at, arrest_place, arresting_authority, "
            "commitment_reason, commitment_authority, visible_injuries, ill_treatment_complaint, property_record, next_of_kin_name, "
            "next_of_kin_relationship, next_of_kin_contact, legal_representative, source_ref, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            episodes)
        conn.executemany("INSERT INTO legal_bases (episode_id, prisoner_id, type, reference, issuing_authority, issue_date, review_due, expiry_date, status, created_at) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?)", bases)
        conn.executemany("INSERT INTO distinguishing_marks (prisoner_id, kind, body_location, description, active, created_at) VALUES (?,?,?,?,?,?)", marks)
        conn.executemany("INSERT INTO prisoner_aliases (prisoner_id, name, active, created_at) VALUES (?,?,?,?)", aliases)
        conn.executemany("INSERT INTO affiliations (prisoner_id, group_name, source, active, recorded_at) VALUES (?,?,?,?,?)", affs)
        conn.executemany("INSERT INTO prisoner_name_tokens (token, prisoner_id, sort_key) VALUES (?,?,?)", toks)
        conn.executemany("INSERT INTO movements (prisoner_id, episode_id, site_id, from_location_id, to_location_id, kind, reason, escort, moved_at, "
                         "recorded_at, recorded_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)", moves)
        conn.execute("UPDATE sequences SET value = ? WHERE name = 'prisoner_number'", (seq + len(bookings),))
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()
