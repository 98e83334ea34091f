"""Movements, the roll, counts, incidents and welfare over HTTP: one error shape, permissions enforced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from habeas.kit import clock

from tests import factories as f
from tests.api.conftest import auth

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def ops(sessions, tokens):
    clock.freeze(NOW - timedelta(hours=2))
    with sessions.begin() as s:
        _, booked = f.ops_site(s, people=4)
        from habeas.models import Prisoner

        numbers = [s.get(Prisoner, b.prisoner_id).prisoner_number for b in booked]
    clock.freeze(NOW)
    return numbers


def test_batch_of_movements_then_where_and_occupants(client, tokens, ops):
    body = {"movements": [{"prisoner": n, "to_location": "P1-EX", "reason": "exercise"} for n in ops]}
    r = client.post("/api/v1/sites/OPS/movements", json=body, headers=auth(tokens["operations"]))
    assert r.status_code == 201 and r.json()["recorded"] == 4
    r = client.get(f"/api/v1/prisoners/{ops[0]}/location", headers=auth(tokens["viewer"]))
    assert r.status_code == 200 and r.json()["location"] == "P1-EX"
    earlier = (NOW - timedelta(minutes=30)).isoformat()
    r = client.get(f"/api/v1/prisoners/{ops[0]}/location", params={"at": earlier}, headers=auth(tokens["viewer"]))
    assert r.json()["location"].startswith("P1-L")
    r = client.get("/api/v1/sites/OPS/locations/P1/occupants", headers=auth(tokens["viewer"]))
    assert r.status_code == 200 and r.json()["total"] == 4
    r = client.get(f"/api/v1/prisoners/{ops[0]}/movements", headers=auth(tokens["viewer"]))
    assert [m["kind"] for m in r.json()] == ["admission", "internal", "internal"] and r.json()[-1]["to"] == "P1-EX"


def test_refused_batch_names_rows_and_writes_nothing(client, tokens, ops):
    body = {"movements": [{"prisoner": ops[0], "to_location": "P1-EX", "reason": "exercise"},
                          {"prisoner": ops[1], "to_location": "NOWHERE", "reason": "exercise"},
                          {"prisoner": "H0000000T", "to_location": "P1-EX", "reason": "exercise"}]}
    r = client.post("/api/v1/sites/OPS/movements", json=body, headers=auth(tokens["operations"]))
    assert r.status_code == 422
    errors = r.json()["error"]["details"]
    assert {(e["row"], e["field"]) for e in errors} == {(1, "to_location"), (2, "prisoner")}
    assert client.get(f"/api/v1/prisoners/{ops[0]}/location", headers=auth(tokens["viewer"])).json()["location"] != "P1-EX"


def test_bad_time_and_bad_json_are_422(client, tokens, ops):
    r = client.post("/api/v1/sites/OPS/movements/one", json={"prisoner": ops[0], "to_location": "P1-EX", "reason": "x", "moved_at": "yesterday"},
                    headers=auth(tokens["operations"]))
    assert r.status_code == 422
    r = client.get(f"/api/v1/prisoners/{ops[0]}/location", params={"at": "not-a-time"}, headers=auth(tokens["viewer"]))
    assert r.status_code == 422


def test_only_operations_record_movements_and_counts(client, tokens, ops):
    body = {"movements": [{"prisoner": ops[0], "to_location": "P1-EX", "reason": "exercise"}]}
    for role in ("viewer", "inspector", "records", "admin"):
        assert client.post("/api/v1/sites/OPS/movements", json=body, headers=auth(tokens[role])).status_code == 403
        assert client.post("/api/v1/sites/OPS/counts", json={}, headers=auth(tokens[role])).status_code == 403


def test_count_over_http_with_a_mismatch_and_recount(client, tokens, ops):
    h = auth(tokens["operations"])
    r = client.post("/api/v1/sites/OPS/counts", json={"scope": "P1-L1"}, headers=h)
    assert r.status_code == 201
    count = r.json()
    lines = {ln["location"]: ln["expected"] for ln in count["lines"]}
    first = next(code for code, n in lines.items() if n > 0)
    subs = [{"location": c, "observed": n - 1 if c == first else n} for c, n in lines.items()]
    r = client.post(f"/api/v1/counts/{count['id']}/submissions", json={"counts": subs}, headers=h)
    assert r.status_code == 200 and r.json()["status"][first] == "mismatch"
    view = client.get(f"/api/v1/counts/{count['id']}", headers=auth(tokens["viewer"])).json()
    bad = next(ln for ln in view["lines"] if ln["location"] == first)
    assert len(bad["expected_people"]) == lines[first]
    assert client.post(f"/api/v1/counts/{count['id']}/clear", headers=h).status_code == 409
    r = client.post(f"/api/v1/counts/{count['id']}/submissions", json={"counts": [{"location": first, "observed": lines[first]}]}, headers=h)
    assert r.status_code == 422
    assert client.post(f"/api/v1/counts/{count['id']}/recounts", json={"locations": [first], "reason": "miscounted"}, headers=h).status_code == 200
    r = client.post(f"/api/v1/counts/{count['id']}/submissions", json={"counts": [{"location": first, "observed": lines[first]}]}, headers=h)
    assert r.json()["status"][first] == "matched"
    r = client.post(f"/api/v1/counts/{count['id']}/clear", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "cleared"
    assert client.post(f"/api/v1/counts/{count['id']}/submissions", json={"counts": [{"location": first, "observed": 1}]}, headers=h).status_code == 409


def test_roll_incident_and_welfare_over_http(client, tokens, ops):
    r = client.get("/api/v1/sites/OPS/roll", headers=auth(tokens["inspector"]))
    assert r.status_code == 200 and r.json()["population"] == 4
    r = client.post("/api/v1/sites/OPS/incidents", json={"kind": "escape", "prisoner": ops[0], "description": "over the wall"},
                    headers=auth(tokens["discipline"]))
    assert r.status_code == 201
    assert client.get("/api/v1/sites/OPS/roll", headers=auth(tokens["viewer"])).json()["out_of_site"] == {"escaped": 1}
    h = auth(tokens["operations"])
    r = client.post("/api/v1/sites/OPS/welfare/requirements", json={"interval_minutes": 15, "reason": "watch", "location": "P1-L1-C1"}, headers=h)
    assert r.status_code == 201
    r = client.post("/api/v1/sites/OPS/welfare/requirements", json={"interval_minutes": 7, "reason": "watch", "location": "P1-L1-C1"}, headers=h)
    assert r.status_code == 422
    r = client.post("/api/v1/sites/OPS/welfare/rounds", json={"rounds": [{"location": "P1-L1-C1"}]}, headers=h)
    assert r.status_code == 201
    r = client.get("/api/v1/sites/OPS/welfare/report", params={"day": "2026-03-02"}, headers=auth(tokens["viewer"]))
    assert r.status_code == 200 and [x["shift"] for x in r.json()["shifts"]] == ["06:00-14:00"]  # the later shifts have not started
    r = client.get("/api/v1/sites/OPS/welfare/report", params={"day": "2026-03-02", "shift": "nope"}, headers=auth(tokens["viewer"]))
    assert r.status_code == 404


def test_times_carry_their_offset(client, tokens, ops):
    r = client.get(f"/api/v1/prisoners/{ops[0]}/movements", headers=auth(tokens["viewer"]))
    assert r.json()[0]["moved_at"].endswith("Z")
    r = client.get("/api/v1/sites/OPS/roll", headers=auth(tokens["viewer"]))
    assert r.json()["at"].endswith("Z")
    r = client.get(f"/api/v1/prisoners/{ops[0]}/location", headers=auth(tokens["viewer"]))
    assert r.json()["since"].endswith("Z")
