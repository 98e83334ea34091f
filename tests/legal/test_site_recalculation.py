"""Recalculating a whole site: the cases and inputs read straight from the rows are the ones the
per-person path builds (same JSON text, same results), and the two-process calculation of a
large site gives what one process gives, errors included."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.kit.errors import ValidationFailed
from habeas.legal import release as calc
from habeas.legal import sentences
from habeas.models import CustodyEpisode, Prisoner, ReleaseCalculation, SentenceAdjustment

from tests import factories as f

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
ADMITTED = date(2025, 3, 2)


def _book(s, n: int) -> list[str]:
    rows = [(None, f.booking(legal_status="convicted",
                             legal_bases=[{"type": "sentence", "reference": f"SENT-{i}", "issuing_authority": "Tribunal de Sentencia",
                                           "issue_date": ADMITTED}],
                             admission={"commitment_reason": "sentence", "admitted_at": "2025-03-02T10:00:00Z"})) for i in range(n)]
    return [s.get(Prisoner, b.prisoner_id).prisoner_number for b in book_many(s, f.ACTOR, "T1", rows)]


@pytest.fixture
def site(sessions) -> list[str]:
    """People with every shape of case: chains, life with and without a minimum term, a start date
    ordered by the court, a sentence passed before custody, remand periods, adjustments with
    quotes, accents and a line break in their reasons, keys that need escaping, a term beyond
    the calendar, and one person without a sentence."""
    clock.freeze(T0)
    with sessions.begin() as s:
        f.load(s)
        p = _book(s, 8)
        add, adjust, remand = sentences.add_sentence, sentences.add_adjustment, sentences.add_remand_period
        add(s, f.ACTOR, p[0], key="S1", sentence_date=ADMITTED, years=2, months=3)
        add(s, f.ACTOR, p[0], key="S2", sentence_date=ADMITTED, years=1, days=10, consecutive_to="S1")
        add(s, f.ACTOR, p[0], key="S3", sentence_date=ADMITTED, months=18)
        remand(s, f.ACTOR, p[0], start=date(2024, 1, 10), end=date(2024, 6, 30))
        remand(s, f.ACTOR, p[0], start=date(2024, 9, 1), end=date(2025, 3, 1), note="second")
        adjust(s, f.ACTOR, p[0], kind="remission", days=40, reason='conduct "good" — 2025')
        adjust(s, f.ACTOR, p[0], kind="added_days", days=7, reason="adjudication 12/2025\nsecond line \\ backslash")
        add(s, f.ACTOR, p[1], key="L1", sentence_date=ADMITTED, life=True, minimum=(15, 6, 0))
        add(s, f.ACTOR, p[1], key="D1", sentence_date=ADMITTED, years=3, start_date=date(2025, 4, 1))
        add(s, f.ACTOR, p[2], key="L1", sentence_date=ADMITTED, life=True)
        add(s, f.ACTOR, p[3], key='S"1é', sentence_date=date(2024, 12, 1), years=4)  # passed before custody
        add(s, f.ACTOR, p[3], key="S\t2", sentence_date=ADMITTED, years=1, consecutive_to='S"1é')
        adjust(s, f.ACTOR, p[3], kind="credits", days=500, reason="literacy \u00bd course")
        add(s, f.ACTOR, p[4], key="S1", sentence_date=ADMITTED, years=1500)
        add(s, f.ACTOR, p[4], key="S2", sentence_date=ADMITTED, years=1500, consecutive_to="S1")
        add(s, f.ACTOR, p[4], key="S3", sentence_date=ADMITTED, years=1500, consecutive_to="S2")
        add(s, f.ACTOR, p[4], key="S4", sentence_date=ADMITTED, years=1500, consecutive_to="S3")
        add(s, f.ACTOR, p[4], key="S5", sentence_date=ADMITTED, years=1500, consecutive_to="S4")
        add(s, f.ACTOR, p[4], key="S6", sentence_date=ADMITTED, years=1500, consecutive_to="S5")
        add(s, f.ACTOR, p[5], key="S1", sentence_date=ADMITTED, days=20)
        remand(s, f.ACTOR, p[5], start=date(2023, 1, 1), end=date(2025, 3, 1))
        add(s, f.ACTOR, p[6], key="S1", sentence_date=ADMITTED, years=2)
        adjust(s, f.ACTOR, p[6], kind="added_days", days=2000, reason="capped at expiry")
        # p[7] has no sentence
    return p


def _stored(s, ids: list[int]) -> list[tuple]:
    """The rows of these calculations as the database holds them (inputs as stored text)."""
    inputs = "inputs::text" if s.get_bind().dialect.name == "postgresql" else "inputs"
    return [tuple(r) for r in s.execute(text(
        f"SELECT episode_id, prisoner_id, trigger, release_date, sentence_expiry, eligibility_date, immediate, life, beyond_calendar, "
        f"release_year, rules_digest, {inputs}, lines FROM release_calculations WHERE id IN ({', '.join(map(str, ids))}) ORDER BY id"))]


def _site_batch(s) -> list[int]:
    """Ids of the calculations of the last site recalculation."""
    return sorted(s.execute(select(ReleaseCalculation.id).where(ReleaseCalculation.trigger == "site")).scalars())


def test_site_inputs_and_results_are_those_of_the_per_person_path(sessions, site):
    with sessions.begin() as s:
        out = sentences.recalculate_site(s, f.ACTOR, "T1", trigger="site")
    assert out["calculated"] == 7
    with sessions() as s:
        ids = _site_batch(s)
        raw = {r[0]: r for r in _stored(s, ids)}
        for number in site[:7]:
            p = s.execute(select(Prisoner).where(Prisoner.prisoner_number == number)).scalar_one()
            ep = s.get(CustodyEpisode, p.current_episode_id)
            case = sentences.case_of(ep, *sentences._rows(s, ep))
            stored = raw[ep.id][11]
            assert stored == sentences.inputs_json(case)  # the very text, not only the same data
            assert json.loads(stored) == sentences._inputs(case)
            assert sentences.case_from_inputs(json.loads(stored)) == case
            r = calc.calculate(case, sentences.legal.jurisdiction().sentences)
            row = s.get(ReleaseCalculation, ep.release_calculation_id)
            assert row.id in ids and row.episode_id == ep.id and row.prisoner_id == p.id
            assert (row.release_date, row.sentence_expiry, row.eligibility_date, row.immediate, row.life, row.beyond_calendar,
                    row.release_year) == (r.release_date, r.sentence_expiry, r.eligibility_date, r.immediate, r.life,
                                          r.beyond_calendar, r.release_year)
            assert ep.release_date == r.release_date
            assert sentences.lines_of(s, row) == list(r.lines)
        assert any(r[7] for r in raw.values()) and not all(r[7] for r in raw.values())  # life and not
        assert any(r[8] for r in raw.values())  # beyond the calendar


@pytest.fixture
def two_processes(monkeypatch):
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(sentences, "PARALLEL_MIN", 1)
    monkeypatch.setattr(sentences, "_can_fork", lambda: True)


def test_two_processes_give_what_one_gives(sessions, site, monkeypatch):
    with sessions.begin() as s:
        sentences.recalculate_site(s, f.ACTOR, "T1", trigger="site")
    with sessions.begin() as s:
        one = _stored(s, _site_batch(s))
        s.execute(ReleaseCalculation.__table__.update().where(ReleaseCalculation.trigger == "site").values(trigger="one process"))
    monkeypatch.setattr(sentences, "PARALLEL_MIN", 1)
    monkeypatch.setattr(sentences, "_can_fork", lambda: True)
    pid = os.getpid()
    with sessions.begin() as s:
        out = sentences.recalculate_site(s, f.ACTOR, "T1", trigger="site")
    assert os.getpid() == pid and out["calculated"] == 7
    with sessions() as s:
        ids = _site_batch(s)
        two = _stored(s, ids)
        for ep in s.execute(select(CustodyEpisode).where(CustodyEpisode.release_calculation_id.is_not(None))).scalars():
            assert ep.release_calculation_id in ids and s.get(ReleaseCalculation, ep.release_calculation_id).release_date == ep.release_date
    assert len(one) == 7 and two == one


def test_a_bad_case_in_the_second_process_writes_nothing(sessions, site, two_processes):
    with sessions.begin() as s:
        last = s.execute(select(Prisoner).where(Prisoner.prisoner_number == site[6])).scalar_one()
        s.execute(SentenceAdjustment.__table__.update().where(SentenceAdjustment.prisoner_id == last.id).values(kind="gone"))
        before = sorted(s.execute(select(ReleaseCalculation.id)).scalars())
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        sentences.recalculate_site(s, f.ACTOR, "T1")
    assert [d["message"].split(":")[0] for d in err.value.details] == [site[6]]
    with sessions() as s:
        assert sorted(s.execute(select(ReleaseCalculation.id)).scalars()) == before


def _double(items):
    return [x * 2 for x in items], [x for x in items if x % 5 == 0]


def _double_here_only(parent: int):
    def work(items):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return _double(items)
    return work


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
def test_in_two_joins_the_halves_in_order(n):
    items = list(range(n))
    assert sentences._in_two(_double, items) == _double(items)
    # a child that fails has its half worked by the parent
    assert sentences._in_two(_double_here_only(os.getpid()), items) == _double(items)


# --- the case and its JSON straight from the rows, as each engine returns them -------------------

_text = st.text(max_size=8)
_day = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))
_part = st.integers(0, 1500)


@st.composite
def _episode_rows(draw):
    """An episode's rows as the site query returns them (a term for a determinate sentence, an
    optional minimum term for life), the case's own sentence keys are not checked here."""
    sents = []
    for _ in range(draw(st.integers(1, 4))):
        life = draw(st.booleans())
        y, m, d = draw(_part), draw(_part), draw(_part)
        minimum = draw(st.none() | st.tuples(_part, _part, _part)) if life else None
        sents.append((draw(_text), draw(_day), 0 if life else y, 0 if life else m, 0 if life else d, life,
                      *(minimum or (None, None, None)), draw(st.none() | _text), draw(st.none() | _day)))
    remands = draw(st.lists(st.tuples(_day, _day), max_size=3))
    adjs = draw(st.lists(st.tuples(_text, st.integers(0, 999), _text), max_size=3))
    return draw(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))), sents, remands, adjs


def _as_sqlite(v):
    """What SQLite gives back: dates and times as text, booleans as 0 and 1."""
    if isinstance(v, datetime):
        return v.isoformat(" ", "microseconds")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v


def _dataclass_case(admitted: datetime, sents, remands, adjs) -> calc.ReleaseCase:
    """The case as the per-person path builds it from ORM rows."""
    return calc.ReleaseCase(
        admitted.date(),
        tuple(calc.Sentence(key, sd, None if life else calc.Term(y, m, d), life,
                            calc.Term(my, mm or 0, md or 0) if life and my is not None else None, after, start)
              for key, sd, y, m, d, life, my, mm, md, after, start in sents),
        tuple(calc.RemandPeriod(a, b) for a, b in remands), None,
        tuple(calc.Adjustment(k, n, why) for k, n, why in adjs))


@settings(max_examples=150, deadline=None)
@given(st.lists(_episode_rows(), min_size=1, max_size=4), st.booleans())
def test_cases_from_raw_rows_are_the_dataclass_cases_and_their_json(episodes, sqlite):
    conv = _as_sqlite if sqlite else (lambda v: v)
    eps, by_sent, by_rem, by_adj = [], {}, {}, {}
    for eid, (admitted, sents, remands, adjs) in enumerate(episodes, start=1):
        eps.append((eid, eid, conv(admitted), f"N{eid}"))
        by_sent[eid] = [(eid, *map(conv, r)) for r in sents]
        if remands:
            by_rem[eid] = [(eid, *map(conv, r)) for r in remands]
        if adjs:
            by_adj[eid] = [(eid, *map(conv, r)) for r in adjs]
    out = list(sentences._site_cases(eps, by_sent, by_rem, by_adj))
    assert [e for e, _, _ in out] == eps
    for (_, case, inputs), (admitted, sents, remands, adjs) in zip(out, episodes, strict=True):
        expected = _dataclass_case(admitted, sents, remands, adjs)
        assert case == expected
        assert inputs == sentences.inputs_json(expected)
        assert json.loads(inputs) == sentences._inputs(expected)
