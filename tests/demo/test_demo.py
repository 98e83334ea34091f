"""The demo: a deterministic synthetic population, housed within capacity, fully audited."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from habeas.audit import service as audit
from habeas.cli.main import app
from habeas.demo import service as demo
from habeas.demo.generator import STATE_OF_EXCEPTION, dui, generate_bookings, to_manifest_csv
from habeas.intake.manifest import check_facts, parse_manifest
from habeas.intake.schemas import BookingIn
from habeas.kit.errors import Conflict, IssueList
from habeas.models import Location, Movement, Prisoner, User
from tests import factories as f
from tests.conftest import REFERENCE_LAYOUT

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_generator_is_deterministic_per_seed():
    a = generate_bookings(60, seed=7, now=NOW, recent=5)
    b = generate_bookings(60, seed=7, now=NOW, recent=5)
    c = generate_bookings(60, seed=8, now=NOW, recent=5)
    assert [x.model_dump() for x in a] == [x.model_dump() for x in b]
    assert [x.model_dump() for x in a] != [x.model_dump() for x in c]


def test_generator_makes_valid_plausible_bookings():
    people = generate_bookings(800, seed=1, now=NOW, recent=10)
    assert all(isinstance(p, BookingIn) for p in people)
    keys = [(p.nationality, p.national_id) for p in people]
    assert len(set(keys)) == len(keys) and all(k[1] for k in keys)
    # A later batch numbered after the first never reuses an id.
    later = generate_bookings(200, seed=1, start=800, now=NOW)
    assert not {(p.nationality, p.national_id) for p in later} & set(keys)
    issues = IssueList()
    for p in people:
        check_facts(p, today=NOW.date(), now=NOW, row=None, issues=issues, columns=False)
    assert not issues, issues[:3]
    today = NOW.date()
    for p in people:
        a = p.admission
        assert p.sex == "M" and p.legal_bases
        assert STATE_OF_EXCEPTION <= a.admitted_at.date() <= today and a.admitted_at <= NOW
        assert a.arrested_at < a.admitted_at
        assert 18 <= (today - p.date_of_birth).days // 365.25 <= 60
        if p.nationality == "SLV":
            assert p.national_id == dui(int(p.national_id[:8]))
    admitted = [p.admission.admitted_at for p in people]
    assert admitted == sorted(admitted)
    assert all((NOW - p.admission.admitted_at).days < 2 for p in people[-10:])
    types = Counter(p.legal_bases[0].type for p in people)
    assert types["detention_order"] > types["remand_order"] > 0 and types["sentence"] > 0
    groups = Counter(p.affiliation.group if p.affiliation else None for p in people)
    assert groups.most_common(1)[0][0] == "MS-13" and groups[None] > 0
    lapsed = [p for p in people if p.legal_bases[0].review_due and p.legal_bases[0].review_due < today]
    assert lapsed, "some detention orders must have lapsed"
    sentences = [p.legal_bases[0] for p in people if p.legal_bases[0].type == "sentence"]
    assert all(s.expiry_date and s.expiry_date > today for s in sentences)
    assert any(p.marks and p.marks[0].kind == "tattoo" for p in people)
    assert sum(1 for p in people if p.aliases) > 100


def test_manifest_written_by_the_generator_parses_back():
    people = generate_bookings(120, seed=2, now=NOW)
    rows = parse_manifest(to_manifest_csv(people), "demo.csv", today=NOW.date(), now=NOW)
    assert [b.model_dump() for _, b in rows] == [p.model_dump() for p in people]


def test_small_demo_houses_everyone_within_capacity(sessions):
    with sessions.begin() as s:
        report = demo.build_demo(s, f.ACTOR, prisoners=200, seed=3, layout=REFERENCE_LAYOUT, password="demo-password-1", leave_in_reception=40)
    assert (report.booked, report.housed, report.in_reception) == (200, 160, 40)
    assert report.admin_token and not report.password_generated
    with sessions() as s:
        locs = {loc.id: loc for loc in s.execute(select(Location)).scalars()}
        people = s.execute(select(Prisoner)).scalars().all()
        assert len(people) == 200 and all(p.in_custody for p in people)
        where = Counter(p.current_location_id for p in people)
        for loc_id, n in where.items():
            loc = locs[loc_id]
            assert loc.type == "reception" or (loc.type == "cell" and loc.use == "normal"), loc.code
            assert n <= loc.working_capacity
        # housed by the allocation engine: no landing mixes untried and convicted people (Mandela Rule 11)
        mixes = {}
        for p in people:
            if locs[p.current_location_id].type == "cell":
                mixes.setdefault(locs[p.current_location_id].parent_id, set()).add(p.legal_status == "convicted")
        assert all(len(kinds) == 1 for kinds in mixes.values())
        assert sum(n for loc_id, n in where.items() if locs[loc_id].type == "reception") == 40
        cells = [n for loc_id, n in where.items() if locs[loc_id].type == "cell"]
        assert max(cells) - min(cells) <= 1  # the engine spreads people for floor area: as even as it gets
        internal = s.execute(select(Movement).where(Movement.kind == "internal")).scalars().all()
        assert len(internal) == 160 and {m.reason for m in internal} == {demo.HOUSING_REASON}
        assert {u.username: u.role for u in s.execute(select(User)).scalars()} == {"admin": "admin", **{r: r for r in demo.DEMO_ROLES}}
        result = audit.verify(s)
        assert result.ok, result.problem
    # A second run refuses instead of doubling the population.
    with sessions.begin() as s, pytest.raises(Conflict):
        demo.build_demo(s, f.ACTOR, prisoners=10, layout=REFERENCE_LAYOUT, password="demo-password-1")


def test_cli_demo_and_if_empty(use_db, monkeypatch):
    monkeypatch.setenv("HABEAS_DEMO_ADMIN_PASSWORD", "demo-password-2")
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--prisoners", "30", "--site-layout", str(REFERENCE_LAYOUT)])
    assert first.exit_code == 0, first.output
    assert "demo-password-2" in first.output and "hbs_" in first.output
    again = runner.invoke(app, ["demo", "--if-empty"])
    assert again.exit_code == 0 and "demo data not loaded" in again.output
    refused = runner.invoke(app, ["demo", "--prisoners", "5"])
    assert refused.exit_code == 1
