"""The layout parser: valid trees load exactly; every bad input is a clear error naming
file, line and field; nothing else ever escapes."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habeas.kit.errors import ValidationFailed
from habeas.sites.layout import parse_layout

from tests import factories as f
from tests.conftest import REFERENCE_LAYOUT


def parse(text: str):
    return parse_layout(text.encode(), "test.yaml")


def problems(text: str | bytes) -> list[dict]:
    with pytest.raises(ValidationFailed) as exc:
        parse_layout(text.encode() if isinstance(text, str) else text, "test.yaml")
    assert all(d.get("file") == "test.yaml" for d in exc.value.details)
    return exc.value.details


def test_reference_complex_matches_the_reported_figures():
    spec = parse_layout(REFERENCE_LAYOUT.read_bytes(), "reference-complex.yaml")
    cells = [l for l in spec.locations if l.type == "cell" and l.use == "normal"]
    pavilions = [l for l in spec.locations if l.type == "pavilion"]
    assert len(pavilions) == 8
    assert sum(c.working_capacity for c in cells) >= 40_000
    assert {c.floor_area_m2 for c in cells} == {100.0}
    assert {(c.toilets, c.sinks) for c in cells} == {(2, 2)}
    assert {c.cna for c in cells} == {25}  # CPT: 4 m2 per person in a shared cell
    kinds = {l.type for l in spec.locations}
    assert {"reception", "video_link_room", "medical_unit", "exercise_area"} <= kinds
    assert any(l.use == "segregation" and l.type == "cell" for l in spec.locations)
    halls = [l for l in spec.locations if l.type == "exercise_area"]
    assert len(halls) == 8 and not any(h.outdoor for h in halls)
    assert all(c.effective_attributes["sex"] == "male" for c in cells)
    assert spec.operational_capacity <= sum(l.max_capacity for l in spec.locations if l.type == "cell")


def test_repeat_codes_names_and_inheritance():
    spec = parse(f.SMALL_LAYOUT)
    codes = [l.code for l in spec.locations]
    assert codes == ["REC", "A", "A-C1", "A-C2", "A-C3", "A-C4", "VL1"]
    cell = spec.locations[2]
    assert cell.parent_code == "A" and cell.cna == 3 and cell.working_capacity == 4 and cell.max_capacity == 5
    assert cell.effective_attributes == {"sex": "male"} and cell.attributes == {}
    assert spec.reception_code() == "REC"


def test_parameters_substitute_with_type():
    spec = parse("""
parameters: {area: 8, bunks: 2, prefix: X}
site: {code: S, name: "Site ${prefix}", operational_capacity: 2}
locations:
  - {code: REC, type: reception, capacity: {working: 5, max: 5}}
  - {code: "${prefix}1", type: cell, floor_area_m2: "${area}", capacity: {working: "${bunks}", max: "${bunks}"}}
""")
    assert spec.name == "Site X"
    assert spec.locations[1].code == "X1" and spec.locations[1].floor_area_m2 == 8.0 and spec.locations[1].max_capacity == 2


@pytest.mark.parametrize(
    "change, field, words",
    [
        ("working: 4, max: 5", "working", "exceeds max"),
        ("cna_area_per_person_m2: 4, working: 4, max: 5", "cna", "exceeds max"),
        ("operational_capacity: 20", "operational_capacity", "exceeds the sum"),
        ("type: cell\n        floor_area_m2: 12", "type", "must be one of"),
        ("repeat: 4", "repeat", "whole number"),
        ("code: \"C{n}\"", "code", "duplicate"),
    ],
)
def test_bad_values_name_the_field(change, field, words):
    bad = {
        "working: 4, max: 5": f.layout(**{"working: 4, max: 5": "working: 6, max: 5"}),
        "cna_area_per_person_m2: 4, working: 4, max: 5": f.layout(**{"cna_area_per_person_m2: 4, working: 4, max: 5": "cna: 9, working: 4, max: 5"}),
        "operational_capacity: 20": f.layout(**{"operational_capacity: 20": "operational_capacity: 21"}),
        "type: cell\n        floor_area_m2: 12": f.layout(**{"type: cell\n        floor_area_m2: 12": "type: dungeon\n        floor_area_m2: 12"}),
        "repeat: 4": f.layout(**{"repeat: 4": "repeat: -1"}),
        "code: \"C{n}\"": f.layout(**{"code: \"C{n}\"": "code: \"C1\"\n        repeat: 1\n      - code: C1\n        type: cell\n        floor_area_m2: 1\n        capacity: {working: 1, max: 1}\n      - code: \"C{n}\""}),
    }[change]
    details = problems(bad)
    assert any(field in (d["field"] or "") and words in d["message"] for d in details), details
    assert all(d["row"] is None or isinstance(d["row"], int) for d in details)


def test_error_names_the_line():
    text = f.layout(**{"working: 4, max: 5": "working: 6, max: 5"})
    details = problems(text)
    hit = next(d for d in details if "exceeds max" in d["message"])
    line = text.splitlines()[hit["row"] - 1]
    assert "repeat" in line or "code" in line or "capacity" in line


@pytest.mark.parametrize(
    "text, words",
    [
        ("site: [unclosed", "malformed YAML"),
        ("- just\n- a list", "mapping"),
        ("site: {code: S, name: S, operational_capacity: 0}\nlocations: []", "non-empty"),
        ("site: {code: S, name: S, operational_capacity: 0}\nlocations:\n  - {code: A, type: pavilion}", "reception"),
        ("site: {code: S, name: S, operational_capacity: 0}\nsite: {code: T}\nlocations: []", "duplicate"),
        ("site: {code: S, name: S, operational_capacity: 0, colour: red}\nlocations:\n  - {code: R, type: reception, capacity: {working: 1, max: 1}}", "unknown field"),
        ("parameters: {a: 1}\nsite: {code: S, name: S, operational_capacity: 0}\nlocations:\n  - {code: R, type: reception, capacity: {working: \"${b}\", max: 1}}", "unknown parameter"),
        ("site: {code: S, name: S, operational_capacity: 0}\nlocations:\n  - {code: R, type: reception, capacity: {working: 1, max: 1}}\n  - {code: P, type: pavilion, capacity: {working: 1, max: 1}}", "no capacity of its own"),
        ("site: {code: S, name: S, operational_capacity: 0}\nlocations:\n  - {code: R, type: reception, capacity: {working: 1, max: 1}}\n  - {code: C, type: cell, capacity: {working: 1, max: 1}}", "floor_area_m2 is required"),
    ],
)
def test_malformed_layouts(text, words):
    details = problems(text)
    assert any(words in d["message"] for d in details) or words in str(details), details


def test_non_utf8_is_named():
    details = problems("site: {code: S, name: Cárcel}".encode("latin-1"))
    assert details[0]["row"] == 1 and "UTF-8" in details[0]["message"]


# --- property-based -------------------------------------------------------------------------

@st.composite
def trees(draw):
    """A random valid layout and the numbers it must produce."""
    n_pav = draw(st.integers(1, 3))
    expected_cells = 0
    total_max = 0
    pavilions = []
    for p in range(n_pav):
        landings = []
        for _ in range(draw(st.integers(1, 3))):
            repeat = draw(st.integers(1, 6))
            mx = draw(st.integers(1, 9))
            working = draw(st.integers(0, mx))
            area = draw(st.floats(1, 200, allow_nan=False).map(lambda x: round(x, 2)))
            cell = {"code": "C{n:02d}", "repeat": repeat, "type": "cell", "floor_area_m2": area,
                    "capacity": {"cna": draw(st.integers(0, mx)), "working": working, "max": mx},
                    "toilets": draw(st.integers(0, 3))}
            expected_cells += repeat
            total_max += repeat * mx
            landings.append({"code": f"L{len(landings)}", "type": "landing", "children": [cell]})
        # "sex" restricts placement, so only its words are valid; other names describe freely
        attrs = draw(st.dictionaries(st.sampled_from(["regime", "wing"]), st.sampled_from(["a", "b", "c"]), max_size=2))
        if draw(st.booleans()):
            attrs["sex"] = draw(st.sampled_from(["male", "female", "other"]))
        pavilions.append({"code": f"P{p}", "type": "pavilion", "attributes": attrs, "children": landings})
    op = draw(st.integers(0, total_max))
    doc = {"site": {"code": "S", "name": "S", "operational_capacity": op},
           "locations": [{"code": "REC", "type": "reception", "capacity": {"working": 5, "max": 5}}, *pavilions]}
    return doc, expected_cells, total_max


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_random_valid_trees_parse_exactly(sample):
    doc, expected_cells, total_max = sample
    spec = parse(yaml.safe_dump(doc, allow_unicode=True))
    cells = [l for l in spec.locations if l.type == "cell"]
    assert len(cells) == expected_cells
    assert sum(c.max_capacity for c in cells) == total_max
    assert len({l.code for l in spec.locations}) == len(spec.locations)
    by_code = {l.code: l for l in spec.locations}
    for loc in spec.locations:
        assert loc.working_capacity <= loc.max_capacity
        if loc.parent_code:
            parent = by_code[loc.parent_code]
            assert loc.code.startswith(parent.code + "-")
            assert all(loc.effective_attributes.get(k) == v for k, v in parent.effective_attributes.items() if k not in loc.attributes)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_escape_as_anything_but_a_validation_error(data):
    try:
        parse_layout(data, "fuzz.yaml")
    except ValidationFailed as exc:
        assert exc.details and all(d["file"] == "fuzz.yaml" for d in exc.details)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**8), st.floats(allow_nan=True), st.text(max_size=8))


@settings(max_examples=150, deadline=None)
@given(st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
    ["site", "locations", "code", "type", "capacity", "working", "max", "children", "repeat", "floor_area_m2", "name", "attributes", "parameters"]), inner, max_size=5)), max_leaves=25))
def test_arbitrary_yaml_structures_never_crash(doc):
    try:
        parse_layout(yaml.safe_dump(doc).encode(), "fuzz.yaml")
    except ValidationFailed:
        pass


def test_a_fault_in_a_repeated_node_is_reported_once_with_its_line():
    details = problems(f.layout(**{"working: 4, max: 5": "working: 6, max: 5"}))
    hits = [d for d in details if "exceeds max" in d["message"]]
    assert len(hits) == 1 and "each of the 4 copies" in hits[0]["message"] and hits[0]["row"]
    details = problems("parameters: {a: 1}\nsite: {code: S, name: S, operational_capacity: 0}\nlocations:\n  - {code: R, type: reception, capacity: {working: \"${b}\", max: 1}}")
    assert [d["row"] for d in details if "unknown parameter" in d["message"]] == [4]


def test_separation_policy_and_restricting_attributes_are_checked():
    text = f.SMALL_LAYOUT.replace("locations:", """separation:
  rules: {sex: pavilion, religion: cell}
  affiliations:
    - {groups: [MS-13], level: landing}
locations:""").replace("attributes: {sex: male}", "attributes: {sex: mle}")
    with pytest.raises(ValidationFailed) as err:
        parse_layout(text.encode(), "t.yaml")
    fields = {d["field"] for d in err.value.details}
    assert "separation.rules.religion" in fields and any(f.startswith("separation.affiliations[0]") for f in fields)
    assert any(f.endswith("attributes.sex") for f in fields)
    assert all(d["row"] for d in err.value.details)
