"""Sentences and release dates in the register: every change recalculates and keeps the
calculation; release refuses anyone still held on another basis; a release in error is undone
by a recorded re-admission."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from habeas.intake.schemas import LegalBasisIn
from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.legal import service as legal
from habeas.legal import sentences
from habeas.models import CustodyEpisode, Movement, Prisoner, ReleaseCalculation, SentenceAdjustment

from tests import factories as f

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TODAY = T0.date()


def sentence_basis(issue: date, ref: str = "SENT-1") -> dict:
    return {"type": "sentence", "reference": ref, "issuing_authority": "Tribunal de Sentencia", "issue_date": issue}


@pytest.fixture
def convicted(sessions):
    """Admitted 2025-03-02 on a sentence passed that day."""
    clock.freeze(T0)
    with sessions.begin() as s:
        f.load(s)
        [b] = book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_status="convicted", legal_bases=[sentence_basis(date(2025, 3, 2))],
                                                                   admission={"commitment_reason": "sentence", "admitted_at": "2025-03-02T10:00:00Z"}))])
        return s.get(Prisoner, b.prisoner_id).prisoner_number


def test_adding_sentences_recalculates_and_keeps_every_calculation(sessions, convicted):
    with sessions.begin() as s:
        c1 = sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=2)
        # release point 1/2 of 2 years (730 days) from 2025-03-02: day 365 -> 2026-03-01
        assert c1.release_date == date(2026, 3, 1)
        c2 = sentences.add_sentence(s, f.ACTOR, convicted, key="S2", sentence_date=date(2025, 3, 2), years=1, consecutive_to="S1")
        assert c2.release_date > c1.release_date
        rec = sentences.release_record(s, convicted)
    assert rec["release_date"] == c2.release_date and len(rec["history"]) == 2
    assert any("S2" in line for line in rec["calculation"]["lines"])
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        sentences.add_sentence(s, f.ACTOR, convicted, key="S3", sentence_date=date(2025, 3, 2), years=1, consecutive_to="S9")
    assert "S9" in err.value.message
    with sessions() as s:
        assert s.execute(select(ReleaseCalculation)).scalars().all().__len__() == 2  # the refused one wrote nothing


def test_adjustments_move_the_date_and_unknown_kinds_are_refused(sessions, convicted):
    with sessions.begin() as s:
        base = sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=4).release_date
        later = sentences.add_adjustment(s, f.ACTOR, convicted, kind="added_days", days=10, reason="adjudication 12/2026").release_date
        assert later == base + timedelta(days=10)
        with pytest.raises(ValidationFailed, match="adjustment kind"):
            sentences.add_adjustment(s, f.ACTOR, convicted, kind="bonus", days=10, reason="x")


def test_release_due_list_and_overdue(sessions, convicted):
    with sessions.begin() as s:
        sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=2)  # due 2026-03-01
    with sessions() as s:
        due = sentences.release_due(s, "T1")
    assert [(d["prisoner_number"], d["overdue"], d["days_overdue"]) for d in due] == [(convicted, True, 1)]


def test_release_refuses_someone_held_on_another_basis_then_releases(sessions, convicted):
    with sessions.begin() as s:
        sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=2)
        remand = legal.add_basis(s, f.ACTOR, convicted, LegalBasisIn(type="remand_order", reference="RO-77", issuing_authority="Juzgado Cuarto",
                                                                       issue_date=TODAY - timedelta(days=3)))
    with pytest.raises(Conflict, match="still held on remand_order RO-77"), sessions.begin() as s:
        sentences.release(s, f.ACTOR, convicted, reason="sentence served")
    with sessions.begin() as s:
        out = sentences.release(s, f.ACTOR, convicted, reason="sentence served; remand lifted by order 5/2026", end_bases=[remand.id])
    assert len(out["bases_ended"]) == 2
    with sessions() as s:
        p = s.execute(select(Prisoner).where(Prisoner.prisoner_number == convicted)).scalar_one()
        assert not p.in_custody and p.basis_until is None
        assert s.get(CustodyEpisode, out["episode"]).status == "closed"
        assert sentences.release_due(s, "T1") == []


def test_release_before_the_date_is_refused(sessions, convicted):
    with sessions.begin() as s:
        sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=10)
    with pytest.raises(Conflict, match="the release date is 2030"), sessions.begin() as s:
        sentences.release(s, f.ACTOR, convicted, reason="early")


def test_release_in_error_is_undone_by_a_recorded_readmission(sessions, convicted):
    with sessions.begin() as s:
        sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=10)
        [basis] = legal.list_bases(s, convicted)
        sentences.release(s, f.ACTOR, convicted, reason="court order (wrong person)", end_bases=[basis.id])
    clock.freeze(T0 + timedelta(hours=3))
    with sessions.begin() as s:
        out = sentences.readmit_after_error(s, f.ACTOR, convicted, reason="the order named another prisoner")
    assert out["bases_reinstated"] == [basis.id]
    with sessions() as s:
        p = s.execute(select(Prisoner).where(Prisoner.prisoner_number == convicted)).scalar_one()
        assert p.in_custody and p.basis_until == legal.OPEN_END
        kinds = [m.kind for m in s.execute(select(Movement).where(Movement.prisoner_id == p.id).order_by(Movement.moved_at, Movement.id)).scalars()]
        assert kinds == ["admission", "release", "admission"]
        assert [e.action for e in legal.basis_history(s, convicted)] == ["end", "reinstate"]
    with pytest.raises(Conflict), sessions.begin() as s:
        sentences.readmit_after_error(s, f.ACTOR, convicted, reason="again")


def test_recalculating_a_site_gives_the_same_dates_and_explains_them_on_read(sessions, convicted):
    with sessions.begin() as s:
        one = sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=3)
        sentences.add_adjustment(s, f.ACTOR, convicted, kind="added_days", days=4, reason="adjudication")
        before = sentences.release_record(s, convicted)["calculation"]
    with sessions.begin() as s:
        out = sentences.recalculate_site(s, f.ACTOR, "T1", trigger="rules reviewed")
    assert out["calculated"] == 1 and one.id
    with sessions() as s:
        after = sentences.release_record(s, convicted)["calculation"]
    assert after["id"] != before["id"] and after["release_date"] == before["release_date"]
    assert after["lines"] == before["lines"]  # worked out again from the stored inputs and rules


def test_a_site_recalculation_with_a_bad_case_writes_nothing(sessions, convicted):
    with sessions.begin() as s:
        sentences.add_sentence(s, f.ACTOR, convicted, key="S1", sentence_date=date(2025, 3, 2), years=3)
        sentences.add_adjustment(s, f.ACTOR, convicted, kind="remission", days=5, reason="conduct")
    # an adjustment kind the rules no longer know (as after a change of the rules file)
    with sessions.begin() as s:
        s.execute(SentenceAdjustment.__table__.update().values(kind="gone"))
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        sentences.recalculate_site(s, f.ACTOR, "T1")
    assert convicted in err.value.details[0]["message"]
    with sessions() as s:
        assert len(s.execute(select(ReleaseCalculation)).scalars().all()) == 2


def test_inputs_written_directly_are_the_same_json():
    import json

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from habeas.legal import release as calc

    text = st.text(max_size=12)
    day = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))
    term = st.builds(calc.Term, st.integers(0, 1500), st.integers(0, 11), st.integers(0, 400))
    sentence = st.builds(calc.Sentence, text, day, st.none() | term, st.booleans(), st.none() | term, st.none() | text, st.none() | day)
    case = st.builds(calc.ReleaseCase, day, st.lists(sentence, max_size=4).map(tuple),
                     st.lists(st.builds(calc.RemandPeriod, day, day), max_size=2).map(tuple), st.none(),
                     st.lists(st.builds(calc.Adjustment, text, st.integers(0, 999), text), max_size=2).map(tuple))

    @settings(max_examples=200, deadline=None)
    @given(case)
    def check(c):
        assert json.loads(sentences.inputs_json(c)) == sentences._inputs(c)

    check()
