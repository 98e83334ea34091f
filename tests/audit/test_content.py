"""The hashed content of an event is the canonical JSON of the whole event, however it is
built: key by key with ``before`` and ``after`` encoded once (as written), or all at once (as
verification reads it back)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from habeas.audit.service import content_of
from habeas.kit.jsonutil import canonical

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
events = st.fixed_dictionaries({
    "seq": st.integers(min_value=1),
    "at": st.datetimes(min_value=datetime(2000, 1, 1)),
    "actor": st.text(max_size=20),
    "action": st.text(max_size=20),
    "entity_type": st.text(max_size=10),
    "entity_id": st.none() | st.text(max_size=10),
    "before": json_values,
    "after": json_values,
    "request_id": st.none() | st.text(max_size=10),
    "prev_hash": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
})


@given(events)
def test_content_is_the_canonical_json_of_the_whole_event(row):
    whole = canonical({**{k: row[k] for k in row if k != "at"}, "at": row["at"].isoformat(timespec="microseconds")})
    assert content_of(row) == whole
    texts = {"before": canonical(row["before"]), "after": canonical(row["after"])}
    assert content_of(row, texts=texts) == whole


def test_a_changed_text_changes_the_content():
    row = {"seq": 1, "at": datetime(2026, 1, 1), "actor": "a", "action": "x", "entity_type": "t", "entity_id": None,
           "before": None, "after": {"n": 1}, "request_id": None, "prev_hash": "0" * 64}
    assert content_of(row, texts={"before": "null", "after": '{"n":2}'}) != content_of(row)
