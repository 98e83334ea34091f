"""Booking rules on both databases: legal basis required, all or nothing, reception."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from habeas.intake import service
from habeas.kit import clock
from habeas.kit.errors import Conflict, NotFound, ValidationFailed
from habeas.models import AuditEvent, CustodyEpisode, LegalBasis, Location, Movement, NameToken, Prisoner
from habeas.prisoners.numbers import is_valid

from tests import factories as f
from tests.intake.test_manifest import row, to_csv


def count(s, model) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def site(sessions):
    with sessions.begin() as s:
        f.load(s)
    return "T1"


def test_booking_without_a_legal_basis_is_refused():
    with pytest.raises(ValidationError) as exc:
        f.booking(legal_bases=[])
    assert "legal_bases" in str(exc.value)


def test_booking_places_the_person_in_reception_with_an_admission_movement(sessions, site):
    with sessions.begin() as s:
        booked = service.book_one(s, f.ACTOR, site, f.booking(aliases=["El Chele"]))
    assert is_valid(booked.prisoner_number)
    with sessions() as s:
        p = s.execute(select(Prisoner).where(Prisoner.prisoner_number == booked.prisoner_number)).scalar_one()
        reception = s.get(Location, p.current_location_id)
        assert reception.type == "reception" and p.in_custody
        ep = s.execute(select(CustodyEpisode).where(CustodyEpisode.prisoner_id == p.id)).scalar_one()
        assert p.current_episode_id == ep.id and ep.status == "open" and ep.commitment_authority == "Juzgado Primero"
        assert count(s, LegalBasis) == 1
        mv = s.execute(select(Movement).where(Movement.prisoner_id == p.id)).scalar_one()
        assert (mv.kind, mv.from_location_id, mv.to_location_id) == ("admission", None, reception.id)
        assert {"chele", "el", "perez", "juan"} <= set(s.execute(select(NameToken.token).where(NameToken.prisoner_id == p.id)).scalars())
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "intake.book")).scalar_one()
        assert ev.entity_id == booked.prisoner_number and ev.after["location"] == "REC"


def test_numbers_are_unique_and_sequential(sessions, site):
    with sessions.begin() as s:
        a = service.book_many(s, f.ACTOR, site, [(None, f.booking()) for _ in range(3)])
    with sessions.begin() as s:
        b = service.book_many(s, f.ACTOR, site, [(None, f.booking()) for _ in range(2)])
    numbers = [x.prisoner_number for x in a + b]
    assert len(set(numbers)) == 5 and numbers == sorted(numbers)


def test_manifest_all_or_nothing(sessions, site):
    good = [row(external_ref=f"R{i}", national_id=f"N{i}") for i in range(3)]
    bad = good + [row(external_ref="R9", national_id="N9", date_of_birth="2099-01-01")]
    with sessions() as s:
        events_before = count(s, AuditEvent)
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.import_manifest(s, f.ACTOR, site, to_csv(bad), "bad.csv")
    assert [(d["row"], d["field"]) for d in exc.value.details] == [(5, "date_of_birth")]
    with sessions() as s:
        assert count(s, Prisoner) == 0 and count(s, AuditEvent) == events_before
    with sessions.begin() as s:
        booked = service.import_manifest(s, f.ACTOR, site, to_csv(good), "good.csv")
    assert [b.external_ref for b in booked] == ["R0", "R1", "R2"]
    with sessions() as s:
        assert count(s, Prisoner) == 3
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "intake.manifest")).scalar_one().after["booked"] == 3


def test_known_national_id_is_refused_naming_the_owner(sessions, site):
    with sessions.begin() as s:
        first = service.book_one(s, f.ACTOR, site, f.booking(national_id="DUP-1"))
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.import_manifest(s, f.ACTOR, site, to_csv([row(national_id="DUP-1", nationality="SLV")]), "m.csv")
    d = exc.value.details[0]
    assert (d["row"], d["field"]) == (2, "national_id") and first.prisoner_number in d["message"]


def test_full_reception_refuses_the_whole_manifest(sessions, site):
    # Reception max 12 in the test layout.
    with sessions.begin() as s:
        service.book_many(s, f.ACTOR, site, [(None, f.booking()) for _ in range(10)])
    with pytest.raises(Conflict) as exc, sessions.begin() as s:
        service.book_many(s, f.ACTOR, site, [(None, f.booking()) for _ in range(3)])
    assert exc.value.code == "reception_full"
    with sessions() as s:
        assert count(s, Prisoner) == 10


def test_unknown_site(sessions, site):
    with pytest.raises(NotFound), sessions.begin() as s:
        service.book_one(s, f.ACTOR, "NOPE", f.booking())


@pytest.mark.parametrize(
    "over, field",
    [
        ({"date_of_birth": "2099-01-01"}, "date_of_birth"),
        ({"admission": {"commitment_reason": "x", "admitted_at": "2099-01-01T00:00:00Z"}}, "admission.admitted_at"),
        ({"admission": {"commitment_reason": "x", "admitted_at": "2026-01-02T00:00:00Z", "arrested_at": "2026-01-03T00:00:00Z"}}, "admission.arrested_at"),
    ],
)
def test_single_booking_facts(sessions, site, over, field):
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.book_one(s, f.ACTOR, site, f.booking(**over))
    assert field in [d["field"] for d in exc.value.details]


def test_issue_date_in_the_future_is_refused(sessions, site):
    tomorrow = clock.today() + timedelta(days=1)
    b = f.booking(legal_bases=[{"type": "warrant", "reference": "W", "issuing_authority": "J", "issue_date": tomorrow, "expiry_date": tomorrow}])
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.book_one(s, f.ACTOR, site, b)
    assert exc.value.details[0]["field"] == "legal_bases[0].issue_date"


def test_concurrent_bookings_get_distinct_numbers_and_one_chain(sessions, site):
    """Several clerks booking at the same moment: no number twice, the audit chain stays linear."""
    import threading

    from habeas.audit.service import verify

    results, errors = [], []

    def clerk() -> None:
        try:
            for _ in range(3):
                with sessions.begin() as s:
                    results.extend(service.book_many(s, f.ACTOR, site, [(None, f.booking())]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=clerk) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({b.prisoner_number for b in results}) == len(results) == 9
    with sessions() as s:
        assert verify(s).ok


def test_legal_basis_added_to_the_open_episode(sessions, site):
    from habeas.intake.schemas import LegalBasisIn
    from habeas.legal.service import add_basis, list_bases

    with sessions.begin() as s:
        booked = service.book_one(s, f.ACTOR, site, f.booking())
    with sessions.begin() as s:
        add_basis(s, f.ACTOR, booked.prisoner_number, LegalBasisIn(type="warrant", reference="W-9", issuing_authority="Juzgado 2", issue_date=clock.today(), expiry_date=clock.today() + timedelta(days=30)))
    with sessions() as s:
        assert [b.reference for b in list_bases(s, booked.prisoner_number)][-1] == "W-9"


def test_the_same_manifest_cannot_be_booked_twice(sessions, site):
    rows = [row(external_ref=f"R{i}", national_id="") for i in range(2)]
    with sessions.begin() as s:
        first = service.import_manifest(s, f.ACTOR, site, to_csv(rows), "m.csv")
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.import_manifest(s, f.ACTOR, site, to_csv(rows), "m.csv")
    assert [(d["row"], d["field"]) for d in exc.value.details] == [(2, "external_ref"), (3, "external_ref")]
    assert first[0].prisoner_number in exc.value.details[0]["message"]
