"""The separation policy: defaults, every error named with its path and line, and the words for
people and locations."""

from __future__ import annotations

from datetime import date

import pytest

from habeas.housing.policy import (
    DEFAULT_POLICY,
    AffiliationRule,
    PolicyError,
    cell_attributes,
    check_location_attributes,
    conflicts,
    describe,
    dimension_value,
    parse_policy,
    person_attributes,
    sex_word,
)
from habeas.kit.yamlfile import load


def errors(data) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as exc:
        parse_policy(data)
    return exc.value.errors


def from_yaml(text: str):
    return load(text.encode(), "layout.yaml")["separation"]


def test_no_section_gives_the_mandela_rule_11_defaults():
    for data in (None, {}, {"__line__": 3}):
        policy = parse_policy(data)
        assert policy == DEFAULT_POLICY
    assert DEFAULT_POLICY.to_dict() == {"rules": {"sex": "pavilion", "untried_convicted": "landing",
                                                  "civil_criminal": "landing", "age": "pavilion"}}
    assert DEFAULT_POLICY.affiliations == ()


def test_rules_left_out_keep_their_default_and_none_switches_a_rule_off():
    policy = parse_policy({"rules": {"sex": "site", "age": "none", "untried_convicted": False}})
    assert policy.level("sex") == "site"
    assert policy.level("age") == "none"
    assert policy.level("untried_convicted") == "none"  # YAML reads a bare "no" as false
    assert policy.level("civil_criminal") == "landing"
    assert [r.dimension for r in policy.active_rules] == ["sex", "civil_criminal"]


def test_affiliation_rules():
    policy = parse_policy(from_yaml("""
separation:
  rules: {sex: pavilion}
  affiliations:
    - name: rival gangs
      groups: [MS-13, Barrio 18]
      level: landing
    - groups: [A, B, C]
      level: cell
      enforce: prefer
"""))
    hard, soft = policy.affiliations
    assert hard == AffiliationRule("rival gangs", ("MS-13", "Barrio 18"), "landing", "require")
    assert soft.name == "affiliation rule 2" and soft.enforce == "prefer" and soft.level == "cell"
    assert policy.hard_affiliations == (hard,) and policy.soft_affiliations == (soft,)
    assert hard.conflict({"MS-13"}, {"Barrio 18"})
    assert not hard.conflict({"MS-13"}, {"MS-13"})
    assert not hard.conflict({"MS-13"}, set())
    assert not hard.conflict({"MS-13"}, {"Mara X"})
    assert hard.conflict({"MS-13", "Barrio 18"}, {"MS-13"})  # a member of both clashes with either
    assert parse_policy(policy.to_dict()) == policy


def test_unknown_rule():
    assert errors({"rules": {"religion": "landing"}}) == [
        ("separation.rules.religion", "unknown separation rule 'religion' (known: sex, untried_convicted, civil_criminal, age)")]


def test_unknown_level():
    (path, message), = errors({"rules": {"sex": "wing"}})
    assert path == "separation.rules.sex"
    assert "cell, landing, pavilion, site, none" in message and "'wing'" in message
    (path, _), = errors({"rules": {"age": None}})
    assert path == "separation.rules.age"


def test_unknown_keys():
    assert [p for p, _ in errors({"rulez": {}})] == ["separation.rulez"]
    assert [p for p, _ in errors({"affiliations": [{"groups": ["A", "B"], "level": "cell", "colour": "red"}]})] == [
        "separation.affiliations[0].colour"]


def test_bad_affiliation_rules():
    assert errors({"affiliations": [{"groups": ["A"], "level": "cell"}]}) == [
        ("separation.affiliations[0].groups", "an affiliation rule needs at least two distinct groups")]
    assert [p for p, _ in errors({"affiliations": [{"groups": ["A", "A"], "level": "cell"}]})] == [
        "separation.affiliations[0].groups"]
    assert [p for p, _ in errors({"affiliations": [{"groups": "A, B", "level": "cell"}]})] == [
        "separation.affiliations[0].groups"]
    assert [p for p, _ in errors({"affiliations": [{"groups": ["A", "B"]}]})] == ["separation.affiliations[0].level"]
    assert [p for p, _ in errors({"affiliations": [{"groups": ["A", "B"], "level": "wing"}]})] == [
        "separation.affiliations[0].level"]
    assert [p for p, _ in errors({"affiliations": [{"groups": ["A", "B"], "level": "cell", "enforce": "maybe"}]})] == [
        "separation.affiliations[0].enforce"]
    assert [p for p, _ in errors({"affiliations": [{"name": "x", "groups": ["A", "B"], "level": "cell"},
                                                   {"name": "x", "groups": ["C", "D"], "level": "cell"}]})] == [
        "separation.affiliations[1].name"]
    assert [p for p, _ in errors({"affiliations": {"groups": ["A", "B"]}})] == ["separation.affiliations"]
    assert [p for p, _ in errors({"affiliations": ["rival gangs"]})] == ["separation.affiliations[0]"]


def test_every_problem_is_reported_at_once_with_its_line():
    with pytest.raises(PolicyError) as exc:
        parse_policy(from_yaml("""
site: {code: X}
separation:
  rules:
    sex: wing
    religion: cell
  affiliations:
    - name: rival gangs
      groups: [MS-13]
      level: landing
  colour: red
"""))
    issues = exc.value.issues
    assert {(i.path, i.line) for i in issues} == {
        ("separation.rules.sex", 5), ("separation.rules.religion", 5),
        ("separation.affiliations[0].groups", 8), ("separation.colour", 4)}
    details = exc.value.details("layout.yaml")
    assert all(d["file"] == "layout.yaml" and d["row"] and d["field"] and d["message"] for d in details)
    assert "separation.rules.sex" in str(exc.value)


def test_line_keys_are_ignored():
    policy = parse_policy({"__line__": 7, "rules": {"__line__": 8, "sex": "cell"},
                           "affiliations": [{"__line__": 9, "groups": ["A", "B"], "level": "cell"}]})
    assert policy.level("sex") == "cell" and policy.affiliations[0].groups == ("A", "B")


def test_not_a_mapping():
    assert errors(["sex"]) == [("separation", "separation must be a mapping with rules and affiliations")]
    assert [p for p, _ in errors({"rules": ["sex"]})] == ["separation.rules"]


def test_location_attributes():
    assert check_location_attributes({"sex": "male", "regime": "anything", "legal_status": ["remand", "convicted"],
                                      "age_group": "adult", "security_level": "maximum", "category": "civil"}) == []
    assert check_location_attributes({"sex": "mle"}) == [("sex", "unknown sex 'mle' (one of male, female, other)")]
    assert [k for k, _ in check_location_attributes({"legal_status": ["remand", "convict"], "age_group": True})] == [
        "legal_status", "age_group"]
    assert check_location_attributes({"__line__": 4, "regime": 3}) == []
    assert [k for k, _ in check_location_attributes({"sex": []})] == ["sex"]
    assert cell_attributes({"sex": "male", "tags": ["a", 1, True], "__line__": 2}) == {
        "sex": ("male",), "tags": ("a", "1", "true")}


def test_person_attributes():
    on = date(2025, 3, 15)
    assert person_attributes("M", "remand", date(1990, 1, 1), on, "high") == {
        "sex": "male", "legal_status": "remand", "category": "untried", "age_group": "adult", "security_level": "high"}
    assert person_attributes("F", "immigration", date(2007, 3, 16), on)["age_group"] == "under_18"
    assert person_attributes("X", "civil", date(2007, 3, 15), on)["age_group"] == "adult"  # 18 today
    assert person_attributes("X", "civil", date(2007, 3, 15), on)["category"] == "civil"
    assert person_attributes(None, None, None, on) == {}
    assert sex_word("f") == "female" and sex_word("male") == "male" and sex_word(None) is None
    for bad in (lambda: sex_word("Q"), lambda: person_attributes("M", "jailed", None, on),
                lambda: person_attributes("M", None, None, on, "extreme")):
        with pytest.raises(ValueError):
            bad()


def test_dimensions():
    untried = {"legal_status": "remand"}
    convicted = {"category": "convicted"}
    civil = {"legal_status": "immigration"}
    assert dimension_value("untried_convicted", civil) is None
    assert dimension_value("civil_criminal", untried) == "criminal"
    assert conflicts("untried_convicted", untried, convicted)
    assert not conflicts("untried_convicted", untried, civil)  # civil people have no value here
    assert conflicts("civil_criminal", civil, convicted)
    assert not conflicts("civil_criminal", untried, convicted)
    assert not conflicts("sex", {"sex": "male"}, {})
    assert conflicts("age", {"age_group": "adult"}, {"age_group": "under_18"})
    with pytest.raises(ValueError):
        dimension_value("religion", {})
    assert describe({"sex": "female", "age_group": "under_18", "legal_status": "remand"}) == "female under-18 remand prisoners"
    assert describe({"sex": "male", "legal_status": "immigration"}) == "male immigration detainees"
