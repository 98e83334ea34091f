"""A person released earlier and arrested again is admitted on the record they have: the same
prisoner number, a new custody episode, the history of the first one kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from habeas.intake import service
from habeas.kit import clock
from habeas.kit.errors import ValidationFailed
from habeas.legal import sentences
from habeas.models import AuditEvent, CustodyEpisode, LegalBasis, Movement, Prisoner, PrisonerAlias
from habeas.prisoners import service as prisoners

from tests import factories as f
from tests.intake.test_manifest import row, to_csv


@pytest.fixture
def released(sessions):
    """Someone booked at T1 thirty days ago and released by the court ten days ago."""
    now = clock.now()
    clock.freeze(now - timedelta(days=30))
    with sessions.begin() as s:
        f.load(s)
        booked = service.book_one(s, f.ACTOR, "T1", f.booking(national_id="RET-1", surname="Portillo", given_names="Juan Carlos"))
        basis = s.execute(select(LegalBasis.id).where(LegalBasis.prisoner_id == booked.prisoner_id)).scalar_one()
    clock.freeze(now - timedelta(days=10))
    with sessions.begin() as s:
        sentences.release(s, f.ACTOR, booked.prisoner_number, reason="released by the court", end_bases=[basis])
    clock.freeze(now)
    yield booked
    clock.freeze(None)


def _again(**overrides):
    base = f.booking(national_id="RET-1", surname="Portillo", given_names="Juan Carlos")
    return base.model_copy(update={"date_of_birth": overrides.pop("date_of_birth", None) or _dob(), **overrides})


def _dob():
    return _dob.value


def test_a_returning_person_keeps_their_number_and_gets_a_new_episode(sessions, released):
    with sessions() as s:
        _dob.value = s.get(Prisoner, released.prisoner_id).date_of_birth
    with sessions.begin() as s:
        again = service.book_one(s, f.ACTOR, "T1", _again())
    assert again.prisoner_number == released.prisoner_number and again.prisoner_id == released.prisoner_id
    with sessions() as s:
        p = s.get(Prisoner, released.prisoner_id)
        assert p.in_custody and p.current_location_id is not None and p.basis_until is not None
        episodes = s.execute(select(CustodyEpisode).where(CustodyEpisode.prisoner_id == p.id).order_by(CustodyEpisode.id)).scalars().all()
        assert [e.status for e in episodes] == ["closed", "open"] and p.current_episode_id == episodes[1].id
        kinds = s.execute(select(Movement.kind).where(Movement.prisoner_id == p.id).order_by(Movement.moved_at, Movement.id)).scalars().all()
        assert kinds == ["admission", "release", "admission"]
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "intake.book", AuditEvent.entity_id == p.prisoner_number)
                          .order_by(AuditEvent.seq.desc())).scalars().first()
        assert event.after["returning"] is True and event.after["previous_episode"] == episodes[0].id
        record = prisoners.get(s, p.prisoner_number)
        assert record.in_custody


def test_a_name_given_differently_is_kept_as_an_alias_and_found_by_search(sessions, released):
    with sessions() as s:
        _dob.value = s.get(Prisoner, released.prisoner_id).date_of_birth
    with sessions.begin() as s:
        service.book_one(s, f.ACTOR, "T1", _again(surname="Portiyo", given_names="Juan Carlos"))
    with sessions() as s:
        p = s.get(Prisoner, released.prisoner_id)
        assert p.surname == "Portillo"  # the record keeps its identity; corrections are amendments
        names = s.execute(select(PrisonerAlias.name).where(PrisonerAlias.prisoner_id == p.id)).scalars().all()
        assert "Juan Carlos Portiyo" in names
        found = prisoners.search(s, q="portiyo")
        assert [x["prisoner_number"] for x in found.items] == [p.prisoner_number]


def test_someone_still_in_custody_is_not_booked_twice(sessions, released):
    with sessions() as s:
        _dob.value = s.get(Prisoner, released.prisoner_id).date_of_birth
    with sessions.begin() as s:
        service.book_one(s, f.ACTOR, "T1", _again())
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.book_one(s, f.ACTOR, "T1", _again())
    d = exc.value.details[0]
    assert d["field"] == "national_id" and "in custody now" in d["message"] and released.prisoner_number in d["message"]


def test_a_different_date_of_birth_is_refused_naming_the_record(sessions, released):
    with sessions() as s:
        dob = s.get(Prisoner, released.prisoner_id).date_of_birth
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.book_one(s, f.ACTOR, "T1", _again(date_of_birth=dob - timedelta(days=400)))
    d = exc.value.details[0]
    assert d["field"] == "date_of_birth" and released.prisoner_number in d["message"] and str(dob) in d["message"]
    with sessions() as s:
        assert not s.get(Prisoner, released.prisoner_id).in_custody


def test_an_admission_before_the_release_is_refused(sessions, released):
    with sessions() as s:
        p = s.get(Prisoner, released.prisoner_id)
        _dob.value, left = p.date_of_birth, p.last_moved_at
    early = _again()
    early = early.model_copy(update={"admission": early.admission.model_copy(update={"admitted_at": left - timedelta(days=1)})})
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.book_one(s, f.ACTOR, "T1", early)
    assert "left custody" in exc.value.details[0]["message"]


def test_a_manifest_row_can_bring_someone_back_and_the_same_id_twice_is_refused(sessions, released):
    with sessions() as s:
        dob = s.get(Prisoner, released.prisoner_id).date_of_birth.isoformat()
    with pytest.raises(ValidationFailed) as exc, sessions.begin() as s:
        service.import_manifest(s, f.ACTOR, "T1", to_csv([row(external_ref="A1", national_id="RET-1", nationality="SLV", date_of_birth=dob),
                                                          row(external_ref="A2", national_id="RET-1", nationality="SLV", date_of_birth=dob)]), "m.csv")
    assert any("already used on row 2" in d["message"] and d["row"] == 3 for d in exc.value.details), exc.value.details
    with sessions.begin() as s:
        booked = service.import_manifest(s, f.ACTOR, "T1", to_csv([row(external_ref="A1", national_id="RET-1", nationality="SLV", date_of_birth=dob)]), "m.csv")
    assert booked[0].prisoner_number == released.prisoner_number
