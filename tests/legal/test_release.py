"""Release dates: the hand-computed table (release_cases.yaml), the shape of errors and results,
and properties that hold for any case."""

from __future__ import annotations

import re
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habeas.kit.errors import ValidationFailed
from habeas.legal.release import (
    Adjustment, AdjustmentKind, ReleaseCase, ReleaseError, RemandPeriod, Sentence, SentenceRules, Term, add_term,
    calculate, calculate_many, explain, term_end,
)

TABLE = yaml.safe_load((Path(__file__).parent / "release_cases.yaml").read_text(encoding="utf-8"))
TERM_RE = re.compile(r"\s*(-?\d+)\s*([ymd])\s*")


# ------------------------------------------------------------------------------- table reading


def term_of(value) -> Term:
    if isinstance(value, dict):
        return Term(**value)
    parts = {"y": 0, "m": 0, "d": 0}
    text = str(value)
    pos = 0
    while pos < len(text):
        m = TERM_RE.match(text, pos)
        assert m, f"bad term {value!r} in the table"
        parts[m.group(2)] += int(m.group(1))
        pos = m.end()
    return Term(parts["y"], parts["m"], parts["d"])


def rules_of(base: dict, override: dict | None) -> SentenceRules:
    spec = {**base, **(override or {})}
    kinds = {
        name: AdjustmentKind(
            name, -1 if k["effect"] == "deduct" else 1, max_days=k.get("max_days"),
            max_fraction_of_term=Fraction(str(k["max_fraction_of_term"])) if k.get("max_fraction_of_term") else None)
        for name, k in spec["adjustments"].items()
    }
    default_min = spec.get("life_default_minimum")
    return SentenceRules(
        release_point=Fraction(str(spec["release_point"])), rounding=spec["rounding"], remand_credit=spec["remand_credit"],
        month_end=spec["month_end"], adjustments=kinds, life_default_minimum=term_of(default_min) if default_min else None)


def case_of(row: dict) -> ReleaseCase:
    sentences = []
    for s in row["sentences"]:
        life = bool(s.get("life"))
        sentences.append(Sentence(
            key=s["key"], sentence_date=s["date"], term=None if life else term_of(s["term"]), life=life,
            minimum_term=term_of(s["minimum"]) if s.get("minimum") else None, consecutive_to=s.get("after"),
            start_date=s.get("start")))
    remand = row.get("remand")
    periods = tuple(RemandPeriod(a, b) for a, b in remand) if isinstance(remand, list) else ()
    return ReleaseCase(
        custody_start=row["custody"], sentences=tuple(sentences), remand_periods=periods,
        remand_days=remand if isinstance(remand, int) else None,
        adjustments=tuple(Adjustment(k, d, r) for k, d, r in row.get("adjustments", [])))


SIMPLE = {
    "release": "release_date", "expiry": "sentence_expiry", "eligibility": "eligibility_date", "immediate": "immediate",
    "capped_at_expiry": "capped_at_expiry", "life": "life", "no_minimum_term": "no_minimum_term",
    "beyond_calendar": "beyond_calendar", "term_days": "term_days", "release_point_days": "release_point_days",
    "remand_credit": "remand_credit", "total_adjustment": "total_adjustment", "release_year": "release_year",
    "expiry_year": "expiry_year",
}


def test_the_table_is_large_enough_and_ids_are_unique():
    ids = [row["id"] for row in TABLE["cases"]]
    assert len(ids) >= 35 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("row", TABLE["cases"], ids=[row["id"] for row in TABLE["cases"]])
def test_hand_computed_case(row):
    rules = rules_of(TABLE["rules"], row.get("rules"))
    case = case_of(row)
    if "error" in row:
        with pytest.raises(ReleaseError) as exc:
            calculate(case, rules)
        err = exc.value
        want = row["error"]
        assert (err.code, err.sentence, err.field) == (want["code"], want["sentence"], want["field"]), err.message
        assert err.details == [{"row": None, "sentence": want["sentence"], "field": want["field"], "message": err.details[0]["message"]}]
        return
    result = calculate(case, rules)
    expect = row["expect"]
    for key, value in expect.items():
        if key in SIMPLE:
            assert getattr(result, SIMPLE[key]) == value, f"{key}: {getattr(result, SIMPLE[key])} != {value}\n" + "\n".join(result.lines)
        elif key == "governing":
            assert list(result.governing) == value
        elif key == "starts":
            got = {s.key: s.start for s in result.sentences}
            assert {k: got[k] for k in value} == value
        elif key == "ends":
            got = {s.key: s.end for s in result.sentences}
            assert {k: got[k] for k in value} == value
        elif key == "adjustments":
            assert dict(result.adjustments) == value
        else:
            raise AssertionError(f"unknown expectation {key!r}")
    lines = result.lines
    for wanted in row.get("lines", []):
        assert wanted in lines, f"missing line {wanted!r} in\n" + "\n".join(lines)
    # the breakdown always ends with the two dates a records officer checks
    assert lines[-2].startswith("Release date: ") and lines[-1].startswith("Sentence expiry: ")


# --------------------------------------------------------------------------- results and errors

RULES = SentenceRules(release_point=Fraction(1, 2))


def one(term: Term, custody=date(2024, 3, 1), sd=date(2024, 3, 1), **kw) -> ReleaseCase:
    return ReleaseCase(custody, (Sentence("S1", sd, term),), **kw)


def test_release_error_is_a_validation_failure_naming_sentence_and_field():
    case = ReleaseCase(date(2024, 1, 1), (Sentence("S1", date(2024, 1, 1), Term(1)), Sentence("S2", date(2024, 1, 1), Term(1), consecutive_to="S9")))
    with pytest.raises(ValidationFailed) as exc:
        calculate(case, RULES)
    err = exc.value
    assert isinstance(err, ReleaseError) and err.status == 422 and err.code == "unknown_sentence"
    body = err.to_dict()["error"]
    assert body["details"][0]["sentence"] == "S2" and body["details"][0]["field"] == "consecutive_to"
    assert "S2" in body["message"] and "S9" in body["message"]


@pytest.mark.parametrize("sentence, code, field", [
    (Sentence("S1", date(2024, 1, 1), Term(1), life=True), "life_with_term", "term"),
    (Sentence("S1", date(2024, 1, 1)), "missing_term", "term"),
    (Sentence("S1", date(2024, 1, 1), Term(1), minimum_term=Term(1)), "minimum_without_life", "minimum_term"),
    (Sentence("S1", date(2024, 1, 1), life=True, minimum_term=Term(0, -2)), "negative_term", "minimum_term.months"),
    (Sentence("S1", date(2024, 1, 1), Term(1.5)), "bad_term", "term"),
    (Sentence("S1", date(2024, 1, 1), Term(1), consecutive_to="S0", start_date=date(2024, 2, 1)), "start_and_consecutive", "start_date"),
])
def test_sentence_field_errors(sentence, code, field):
    with pytest.raises(ReleaseError) as exc:
        calculate(ReleaseCase(date(2024, 1, 1), (sentence,)), RULES)
    assert (exc.value.code, exc.value.sentence, exc.value.field) == (code, "S1", field)


@pytest.mark.parametrize("kw, code, field", [
    ({"remand_days": -1}, "negative_remand", "remand_days"),
    ({"remand_days": 3, "remand_periods": (RemandPeriod(date(2023, 1, 1), date(2023, 1, 2)),)}, "remand_twice", "remand_days"),
    ({"remand_periods": (RemandPeriod(date(2023, 1, 5), date(2023, 1, 2)),)}, "remand_period_reversed", "remand_periods[0]"),
    ({"adjustments": (Adjustment("remission", 2.5),)}, "bad_adjustment", "adjustments[0].days"),
])
def test_case_field_errors(kw, code, field):
    with pytest.raises(ReleaseError) as exc:
        calculate(one(Term(1), **kw), RULES)
    assert (exc.value.code, exc.value.sentence, exc.value.field) == (code, None, field)


def test_add_term_and_term_end_state_the_month_end_rule():
    assert add_term(date(2023, 1, 31), Term(0, 1)) == date(2023, 2, 28)
    assert add_term(date(2024, 1, 31), Term(0, 1)) == date(2024, 2, 29)
    assert add_term(date(2024, 2, 29), Term(1)) == date(2025, 2, 28)
    assert add_term(date(2024, 2, 29), Term(1), "next_day") == date(2025, 3, 1)
    assert add_term(date(2023, 1, 31), Term(0, 1), "next_day") == date(2023, 3, 1)
    assert add_term(date(2023, 11, 30), Term(0, 3)) == date(2024, 2, 29)
    assert add_term(date(2023, 5, 15), Term(0, 25)) == date(2025, 6, 15)
    assert term_end(date(2024, 3, 1), Term(1)) == date(2025, 2, 28)
    with pytest.raises(OverflowError):
        add_term(date(9000, 1, 1), Term(1000))
    with pytest.raises(OverflowError):
        term_end(date(9000, 1, 2), Term(1000))


def test_result_carries_per_sentence_dates_and_ordinals():
    r = calculate(one(Term(2)), RULES)
    (s,) = r.sentences
    assert (s.start, s.end, s.days) == (date(2024, 3, 1), date(2026, 2, 28), 730)
    assert (s.start_ordinal, s.end_ordinal) == (date(2024, 3, 1).toordinal(), date(2026, 2, 28).toordinal())
    assert r.release_ordinal == r.release_date.toordinal() and r.expiry_ordinal == r.sentence_expiry.toordinal()
    assert r.term_years == 2.0 and r.release_year == 2025 and not r.beyond_calendar


def test_huge_chains_never_overflow():
    sentences = [Sentence("S0", date(2023, 1, 1), Term(1500))]
    sentences += [Sentence(f"S{i}", date(2023, 1, 1), Term(1500), consecutive_to=f"S{i - 1}") for i in range(1, 40)]
    r = calculate(ReleaseCase(date(2023, 1, 1), tuple(sentences)), SentenceRules())
    assert r.release_date is None and r.beyond_calendar and r.release_year == 2023 + 60_000 - 1
    assert r.term_years == 60_000.0
    assert any("falls after 9999-12-31" in line for line in r.lines)
    late = r.sentences[-1]
    assert late.start is None and late.end is None and late.start_ordinal > date.max.toordinal()


def test_lines_name_every_sentence_and_the_release_point():
    case = ReleaseCase(
        date(2023, 10, 10),
        (Sentence("S1", date(2024, 3, 1), Term(3)), Sentence("S2", date(2024, 3, 1), Term(5), consecutive_to="S1")),
        remand_periods=(RemandPeriod(date(2023, 10, 10), date(2024, 2, 29)),),
        adjustments=(Adjustment("remission", 30, "good conduct"),))
    r = calculate(case, RULES)
    text = "\n".join(r.lines)
    assert "Sentence S2: 5 years from 2027-03-01 (sentenced 2024-03-01; consecutive to S1: starts the day after S1 ends)" in text
    assert "Release point: 1/2 of 2,922 days = 1,461 days: day 1,461 from 2024-03-01 → 2028-02-29" in text
    assert "Remand credit: 143 days (2023-10-10 to 2024-02-29)" in text
    assert "Remission: −30 days (good conduct)" in text
    assert r.lines == explain(case, RULES)


def test_calculate_many_matches_calculate():
    cases = [one(Term(y, m, 1)) for y in range(0, 5) for m in range(0, 12, 5)]
    assert calculate_many(cases, RULES) == [calculate(c, RULES) for c in cases]


# ---------------------------------------------------------------------------------- properties

PROP_RULES = SentenceRules(release_point=Fraction(1, 2), adjustments={
    "remission": AdjustmentKind("remission", -1, max_fraction_of_term=Fraction(1, 3)),
    "added_days": AdjustmentKind("added_days", +1),
    "credits": AdjustmentKind("credits", -1, max_days=365),
})
PROP_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

terms = st.one_of(
    st.builds(Term, st.integers(0, 30), st.integers(0, 11), st.integers(1, 60)),
    st.builds(Term, st.sampled_from([200, 700, 1500]), st.just(0), st.just(0)),
)


@st.composite
def cases(draw, life=True, deductions=True, max_sentences=5):
    custody = draw(st.dates(date(1990, 1, 1), date(2030, 12, 31)))
    n = draw(st.integers(1, max_sentences))
    sentences = []
    for i in range(n):
        parent = draw(st.none() | st.integers(0, i - 1)) if i else None
        if parent is None:
            sd = custody + timedelta(days=draw(st.integers(-400, 900)))
        else:
            # never after the parent's sentence date, so the sentence starts after its conviction
            sd = sentences[parent].sentence_date - timedelta(days=draw(st.integers(0, 300)))
        is_life = life and draw(st.integers(0, 9)) == 0
        if is_life:
            minimum = draw(st.none() | st.builds(Term, st.integers(1, 40)))
            sentences.append(Sentence(f"S{i}", sd, life=True, minimum_term=minimum,
                                      consecutive_to=f"S{parent}" if parent is not None and not sentences[parent].life else None))
        else:
            cons = f"S{parent}" if parent is not None and not sentences[parent].life else None
            sentences.append(Sentence(f"S{i}", sd, draw(terms), consecutive_to=cons))
    kinds = ["added_days"] + (["remission", "credits"] if deductions else [])
    adjustments = tuple(Adjustment(k, d) for k, d in draw(st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 3000)), max_size=4)))
    remand = draw(st.none() | st.integers(0, 4000))
    return ReleaseCase(custody, tuple(sentences), remand_days=remand, adjustments=adjustments)


@PROP_SETTINGS
@given(cases())
def test_release_never_precedes_custody_start_or_a_sentence_date(case):
    r = calculate(case, PROP_RULES)
    if r.release_ordinal is None:
        assert r.no_minimum_term
        return
    assert r.release_ordinal >= case.custody_start.toordinal()
    assert r.release_ordinal >= max(s.sentence_date.toordinal() for s in case.sentences)
    if not r.life:
        assert r.release_ordinal <= r.expiry_ordinal
        assert r.release_date is None or r.release_date >= case.custody_start


@PROP_SETTINGS
@given(cases(life=False, deductions=False, max_sentences=4), st.data())
def test_adding_a_sentence_never_makes_release_earlier(case, data):
    before = calculate(case, PROP_RULES)
    keys = [s.key for s in case.sentences]
    parent = data.draw(st.none() | st.sampled_from(keys))
    if parent is None:
        sd = case.custody_start + timedelta(days=data.draw(st.integers(-400, 900)))
    else:
        sd = next(s.sentence_date for s in case.sentences if s.key == parent)
    extra = Sentence("NEW", sd, data.draw(terms), consecutive_to=parent)
    after = calculate(ReleaseCase(case.custody_start, case.sentences + (extra,), remand_days=case.remand_days,
                                  adjustments=case.adjustments), PROP_RULES)
    assert after.release_ordinal >= before.release_ordinal
    assert after.expiry_ordinal >= before.expiry_ordinal


@PROP_SETTINGS
@given(cases(life=False), st.integers(0, 5000))
def test_added_days_never_make_release_earlier(case, days):
    before = calculate(case, PROP_RULES)
    after = calculate(ReleaseCase(case.custody_start, case.sentences, remand_days=case.remand_days,
                                  adjustments=case.adjustments + (Adjustment("added_days", days),)), PROP_RULES)
    assert after.release_ordinal >= before.release_ordinal


@PROP_SETTINGS
@given(cases(life=False), st.sampled_from(["remission", "credits"]), st.integers(0, 5000))
def test_credits_never_make_release_later(case, kind, days):
    before = calculate(case, PROP_RULES)
    after = calculate(ReleaseCase(case.custody_start, case.sentences, remand_days=case.remand_days,
                                  adjustments=case.adjustments + (Adjustment(kind, days),)), PROP_RULES)
    assert after.release_ordinal <= before.release_ordinal


@PROP_SETTINGS
@given(cases())
def test_recalculation_is_deterministic(case):
    a = calculate(case, PROP_RULES)
    b = calculate(case, PROP_RULES)
    assert a == b and a.lines == b.lines and a.sentences == b.sentences
