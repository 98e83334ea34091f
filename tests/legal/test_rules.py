"""The jurisdiction rules file: the reference loads; every problem names file, line and field;
due_date and warn_from follow the rules."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from habeas.intake.schemas import BASIS_TYPES
from habeas.kit.errors import ValidationFailed
from habeas.legal.release import ReleaseCase, RemandPeriod, Sentence, Term, calculate
from habeas.legal.rules import due_date, load_rules, parse_fraction, parse_rules, warn_from

REFERENCE = Path(__file__).resolve().parents[2] / "jurisdictions" / "reference.yaml"

SMALL = """\
version: 1
jurisdiction:
  code: T
  name: Test jurisdiction
legal_bases:
  warrant:
    due: review
    max_period: {days: 3}
    warn_days: 1
  remand_order:
    due: review
    max_period: {months: 6}
    warn_days: 14
  detention_order:
    due: expiry
    max_period:
      days: 30
    warn_days: 5
  sentence:
    due: none
    warn_days: 30
  immigration:
    due: expiry
    max_period: {years: 1}
    warn_days: 0
sentences:
  release_point: "2/3"
  rounding: down
  remand_credit: true
  month_end: clamp
  life:
    default_minimum_term: {years: 20}
  adjustments:
    remission:
      effect: deduct
      max_fraction_of_term: 0.25
    added_days:
      effect: add
      label: Days added by adjudication
      max_days: 42
"""


def parse(text: str):
    return parse_rules(text.encode(), "test.yaml")


def problems(text: str) -> list[dict]:
    with pytest.raises(ValidationFailed) as exc:
        parse(text)
    assert all(d["file"] == "test.yaml" for d in exc.value.details)
    return exc.value.details


def line_with(text: str, snippet: str) -> int:
    (n,) = [i + 1 for i, line in enumerate(text.splitlines()) if snippet in line]
    return n


# ------------------------------------------------------------------------------------ loading


def test_reference_file_loads():
    rules = load_rules(REFERENCE)
    assert rules.code == "REF" and rules.source == "reference.yaml" and len(rules.digest) == 64
    assert set(rules.legal_bases) == set(BASIS_TYPES)
    assert rules.legal_bases["sentence"].due == "none" and rules.legal_bases["sentence"].max_period is None
    s = rules.sentences
    assert s.release_point == Fraction(1, 2) and s.rounding == "up" and s.remand_credit and s.month_end == "clamp"
    assert set(s.adjustments) == {"remission", "added_days", "credits"}
    assert s.adjustments["remission"].sign == -1 and s.adjustments["remission"].max_fraction_of_term == Fraction(1, 6)
    assert s.adjustments["added_days"].sign == 1 and s.adjustments["credits"].max_days == 365
    assert s.life_default_minimum is None


def test_small_file_values():
    rules = parse(SMALL)
    assert rules.legal_bases["detention_order"].max_period == Term(0, 0, 30)
    assert rules.legal_bases["immigration"].max_period == Term(1) and rules.legal_bases["immigration"].warn_days == 0
    s = rules.sentences
    assert s.release_point == Fraction(2, 3) and s.rounding == "down" and s.life_default_minimum == Term(20)
    assert s.adjustments["remission"].max_fraction_of_term == Fraction(1, 4)
    assert s.adjustments["added_days"].title == "Days added by adjudication" and s.adjustments["added_days"].max_days == 42
    assert s.adjustments["remission"].title == "Remission"


def test_rules_from_the_file_drive_the_calculation():
    rules = load_rules(REFERENCE)
    case = ReleaseCase(date(2023, 10, 10), (Sentence("S1", date(2024, 3, 1), Term(3)),),
                       remand_periods=(RemandPeriod(date(2023, 10, 10), date(2024, 2, 29)),))
    # half of 1,095 days rounded up = 548: 2025-08-30, less 143 days of remand
    assert calculate(case, rules.sentences).release_date == date(2025, 4, 9)


@pytest.mark.parametrize("value, expected", [
    (1, Fraction(1)), ("1/2", Fraction(1, 2)), (" 2 / 3 ", Fraction(2, 3)), (0.5, Fraction(1, 2)), ("0.25", Fraction(1, 4)),
    ("1", Fraction(1)), ("a/b", None), ("1/0", None), ("-1/2", None), (True, None), (None, None), ([1, 2], None),
    (float("nan"), None),
])
def test_parse_fraction(value, expected):
    assert parse_fraction(value) == expected


# ------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("old, new, field, snippet", [
    ("version: 1", "version: 2", "version", "version: 2"),
    ("  code: T\n", "  code: ''\n", "jurisdiction.code", "code: ''"),
    ("  name: Test jurisdiction\n", "", "jurisdiction.name", "jurisdiction:"),
    ("  warrant:\n    due: review", "  warrant:\n    due: reviewed", "legal_bases.warrant.due", "due: reviewed"),
    ("max_period: {days: 3}", "max_period: {days: -3}", "legal_bases.warrant.max_period.days", "{days: -3}"),
    ("max_period: {days: 3}", "max_period: {weeks: 3}", "legal_bases.warrant.max_period.weeks", "{weeks: 3}"),
    ("max_period: {days: 3}", "max_period: 3", "legal_bases.warrant.max_period", "max_period: 3"),
    ("max_period: {days: 3}", "max_period: {days: 0}", "legal_bases.warrant.max_period", "{days: 0}"),
    ("      days: 30\n", "      days: thirty\n", "legal_bases.detention_order.max_period.days", "days: thirty"),
    ("    warn_days: 14\n", "    warn_days: -1\n", "legal_bases.remand_order.warn_days", "warn_days: -1"),
    ("    warn_days: 14\n", "    warn_days: 1.5\n", "legal_bases.remand_order.warn_days", "warn_days: 1.5"),
    ("    warn_days: 14\n", "", "legal_bases.remand_order.warn_days", "remand_order:"),
    ("  sentence:\n    due: none\n", "  sentence:\n    due: none\n    max_period: {days: 4}\n", "legal_bases.sentence.max_period", "{days: 4}"),
    ("  immigration:\n    due: expiry\n    max_period: {years: 1}\n    warn_days: 0\n", "", "legal_bases.immigration", "legal_bases:"),
    ("  sentence:\n", "  parole:\n    due: none\n    warn_days: 1\n  sentence:\n", "legal_bases.parole", "parole:"),
    ('release_point: "2/3"', 'release_point: "3/2"', "sentences.release_point", "release_point"),
    ('release_point: "2/3"', "release_point: 0", "sentences.release_point", "release_point"),
    ('release_point: "2/3"', "release_point: half", "sentences.release_point", "release_point"),
    ('  release_point: "2/3"\n', "", "sentences.release_point", "sentences:"),
    ("rounding: down", "rounding: nearest", "sentences.rounding", "rounding"),
    ("remand_credit: true", "remand_credit: yes please", "sentences.remand_credit", "remand_credit"),
    ("month_end: clamp", "month_end: last_day", "sentences.month_end", "month_end"),
    ("default_minimum_term: {years: 20}", "default_minimum_term: 20", "sentences.life.default_minimum_term", "default_minimum_term"),
    ("default_minimum_term: {years: 20}", "default_minimum_term: {years: 20}\n    whole_life: true", "sentences.life.whole_life", "whole_life"),
    ("      effect: deduct", "      effect: subtract", "sentences.adjustments.remission.effect", "effect: subtract"),
    ("max_fraction_of_term: 0.25", "max_fraction_of_term: 2", "sentences.adjustments.remission.max_fraction_of_term", "max_fraction_of_term"),
    ("max_days: 42", "max_days: -42", "sentences.adjustments.added_days.max_days", "max_days"),
    ("max_days: 42", "max_days: 42\n      per: adjudication", "sentences.adjustments.added_days.per", "per: adjudication"),
    ("    remission:\n", "    Remission!:\n", "sentences.adjustments.Remission!", "Remission!"),
    ("  adjustments:\n", "  adjustment:\n", "sentences.adjustment", "adjustment:"),
    ("version: 1\n", "version: 1\nsite: X\n", "site", "site: X"),
])
def test_each_problem_names_line_and_field(old, new, field, snippet):
    assert old in SMALL
    text = SMALL.replace(old, new, 1)
    details = problems(text)
    assert field in [d["field"] for d in details], details
    found = next(d for d in details if d["field"] == field)
    assert found["row"] == line_with(text, snippet), found


def test_every_problem_is_reported_at_once():
    text = SMALL.replace("due: review", "due: maybe").replace("rounding: down", "rounding: sideways").replace("effect: add", "effect: plus")
    fields = {d["field"] for d in problems(text)}
    assert {"legal_bases.warrant.due", "legal_bases.remand_order.due", "sentences.rounding", "sentences.adjustments.added_days.effect"} <= fields


def test_malformed_yaml_and_repeated_keys_name_the_line():
    details = problems(SMALL.replace("    warn_days: 5\n", "    warn_days: [5\n"))
    assert details[0]["row"] is not None and "malformed YAML" in details[0]["message"]
    with pytest.raises(ValidationFailed) as exc:
        parse(SMALL.replace("    warn_days: 1\n", "    warn_days: 1\n    warn_days: 2\n"))
    assert "duplicate" in exc.value.details[0]["message"]


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n"])
def test_not_a_mapping(text):
    details = problems(text)
    assert details and details[0]["row"] is not None


# ----------------------------------------------------------------------------- due and warning


def test_due_date_adds_the_maximum_period_on_the_calendar():
    rules = load_rules(REFERENCE)
    assert due_date(rules, "warrant", date(2024, 3, 1)) == date(2024, 3, 4)
    assert due_date(rules, "remand_order", date(2024, 1, 15)) == date(2024, 7, 15)
    # 31 August + 6 months: 31 February does not exist, the last day of February (a leap year)
    assert due_date(rules, "remand_order", date(2023, 8, 31)) == date(2024, 2, 29)
    assert due_date(rules, "immigration", date(2024, 8, 31)) == date(2025, 2, 28)
    assert due_date(rules, "detention_order", date(2024, 1, 31)) == date(2024, 3, 1)
    assert due_date(rules, "sentence", date(2024, 1, 31)) is None
    assert due_date(rules, "remand_order", date(9999, 10, 1)) == date(9999, 12, 31)


def test_due_date_with_the_next_day_rule_and_without_a_maximum():
    rules = parse(SMALL.replace("month_end: clamp", "month_end: next_day").replace("    max_period: {months: 6}\n", ""))
    assert due_date(rules, "remand_order", date(2023, 8, 31)) is None
    assert due_date(rules, "immigration", date(2024, 2, 29)) == date(2025, 3, 1)


def test_warn_from():
    rules = load_rules(REFERENCE)
    due = due_date(rules, "remand_order", date(2023, 8, 31))
    assert warn_from(rules, "remand_order", due) == date(2024, 2, 15)
    assert warn_from(rules, "warrant", date(2024, 3, 4)) == date(2024, 3, 3)
    assert warn_from(rules, "sentence", date(2030, 1, 31)) == date(2030, 1, 1)
    assert warn_from(rules, "warrant", date(1, 1, 1)) == date(1, 1, 1)
    small = parse(SMALL)
    assert warn_from(small, "immigration", date(2025, 1, 1)) == date(2025, 1, 1)


def test_unknown_basis_type_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        due_date(load_rules(REFERENCE), "house_arrest", date(2024, 1, 1))
    assert exc.value.code == "unknown_basis_type"
