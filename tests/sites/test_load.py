"""Loading a layout: create, reload unchanged, update, deactivate; never strand anyone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from habeas.intake.service import book_many
from habeas.kit.errors import Conflict
from habeas.models import AuditEvent, Location, Prisoner
from habeas.movements.service import MoveRequest, move_many
from habeas.sites import repository, service

from tests import factories as f


def audit_count(s) -> int:
    return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def test_create_then_reload_changes_nothing(sessions):
    with sessions.begin() as s:
        report = f.load(s)
        assert report.created_site and len(report.created) == 7
    with sessions.begin() as s:
        before = audit_count(s)
        report = f.load(s)
        assert not report.changed and report.unchanged == 7
    with sessions() as s:
        assert audit_count(s) == before


def test_reference_layout_loads_twice_without_change(sessions):
    from tests.conftest import REFERENCE_LAYOUT
    from habeas.sites.layout import parse_layout

    spec = parse_layout(REFERENCE_LAYOUT.read_bytes(), "reference-complex.yaml")
    with sessions.begin() as s:
        first = service.load_site(s, f.ACTOR, spec)
    with sessions.begin() as s:
        second = service.load_site(s, f.ACTOR, spec)
        site = repository.site_by_code(s, "RC")
        roots = service.location_tree(s, site)
    assert len(first.created) == len(spec.locations) and not second.changed
    assert sum(n.working for n in roots if n.location.type == "pavilion") >= 40_000


def test_change_is_applied_and_audited(sessions):
    with sessions.begin() as s:
        f.load(s)
    with sessions.begin() as s:
        report = f.load(s, f.layout(**{"working: 4, max: 5": "working: 5, max: 5"}))
        assert sorted(report.updated) == ["A-C1", "A-C2", "A-C3", "A-C4"]
    with sessions() as s:
        loc = s.execute(select(Location).where(Location.code == "A-C2")).scalar_one()
        assert loc.working_capacity == 5
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "location.update", AuditEvent.entity_id == "T1/A-C2")).scalar_one()
        assert ev.before == {"working_capacity": 4} and ev.after == {"working_capacity": 5}


def _house(sessions, n: int, cell: str = "A-C1"):
    with sessions.begin() as s:
        booked = book_many(s, f.ACTOR, "T1", [(None, f.booking()) for _ in range(n)])
        site = repository.site_by_code(s, "T1")
        loc = repository.location_by_code(s, site.id, cell)
        move_many(s, f.ACTOR, site.id, [MoveRequest(prisoner_id=b.prisoner_id, to_location_id=loc.id, reason="housing") for b in booked])


def test_capacity_below_occupancy_is_refused_and_nothing_written(sessions):
    with sessions.begin() as s:
        f.load(s)
    _house(sessions, 3)
    with sessions() as s:
        before = audit_count(s)
    with pytest.raises(Conflict) as exc, sessions.begin() as s:
        f.load(s, f.layout(**{"working: 4, max: 5": "working: 2, max: 5"}))
    assert any("A-C1.working_capacity" == d["field"] and "below the 3 people" in d["message"] for d in exc.value.details)
    with sessions() as s:
        assert audit_count(s) == before
        assert s.execute(select(Location.working_capacity).where(Location.code == "A-C2")).scalar_one() == 4


def test_removing_an_occupied_location_is_refused(sessions):
    with sessions.begin() as s:
        f.load(s)
    _house(sessions, 1, cell="A-C4")
    with pytest.raises(Conflict) as exc, sessions.begin() as s:
        f.load(s, f.layout(**{"repeat: 4": "repeat: 3", "operational_capacity: 20": "operational_capacity: 15"}))
    assert any(d["field"] == "A-C4" and "cannot be removed" in d["message"] for d in exc.value.details)


def test_removed_location_is_deactivated_not_deleted_and_comes_back(sessions):
    with sessions.begin() as s:
        f.load(s)
    with sessions.begin() as s:
        report = f.load(s, f.layout(**{"repeat: 4": "repeat: 3", "operational_capacity: 20": "operational_capacity: 15"}))
        assert report.deactivated == ["A-C4"]
    with sessions() as s:
        loc = s.execute(select(Location).where(Location.code == "A-C4")).scalar_one()
        assert loc.active is False
    with sessions.begin() as s:
        report = f.load(s)
        assert report.reactivated == ["A-C4"]


def test_moves_never_exceed_max_capacity(sessions):
    with sessions.begin() as s:
        f.load(s)
    with pytest.raises(Conflict) as exc:
        _house(sessions, 6)  # max 5 in A-C1
    assert exc.value.code == "over_max_capacity"
    with sessions() as s:
        # All or nothing: not even the bookings of that transaction remain.
        assert s.execute(select(func.count()).select_from(Prisoner)).scalar_one() == 0
