"""Legal bases, due lists, sentences and release over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from habeas.kit import clock

from tests.api.conftest import auth

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _book(client, token, basis):
    body = {"surname": "Rivas", "given_names": "Ana", "date_of_birth": "1990-01-01", "sex": "F", "legal_status": "remand",
            "legal_bases": [basis], "admission": {"commitment_reason": "remand", "admitted_at": "2025-03-02T10:00:00Z"}}
    r = client.post("/api/v1/sites/T1/intake", json=body, headers=auth(token))
    assert r.status_code == 201, r.text
    return r.json()["prisoner_number"]


def test_lifecycle_due_lists_sentence_and_release(client, tokens):
    clock.freeze(T0)
    rec = auth(tokens["records"])
    number = _book(client, tokens["records"], {"type": "remand_order", "reference": "RO-1", "issuing_authority": "Juzgado",
                                               "issue_date": "2026-02-20"})
    [basis] = client.get(f"/api/v1/prisoners/{number}/legal-bases", headers=auth(tokens["viewer"])).json()
    assert basis["review_due"] == "2026-08-20"
    r = client.post(f"/api/v1/prisoners/{number}/legal-bases/{basis['id']}/renew", json={"issue_date": "2026-03-02", "review_due": "2027-03-02",
                                                                                          "reason": "renewed"}, headers=rec)
    assert r.status_code == 422 and "later than the rules allow" in r.text
    r = client.post(f"/api/v1/prisoners/{number}/legal-bases/{basis['id']}/supersede", json={
        "new": {"type": "sentence", "reference": "SENT-1", "issuing_authority": "Tribunal", "issue_date": "2026-03-02"}, "reason": "convicted"},
        headers=auth(tokens["legal"]))
    assert r.status_code == 201
    r = client.post(f"/api/v1/prisoners/{number}/sentences", json={"key": "S1", "sentence_date": "2026-03-02", "months": 6}, headers=auth(tokens["legal"]))
    assert r.status_code == 201 and r.json()["release_date"] == "2026-06-01"  # 184 days; day 92 from 2 March
    r = client.post(f"/api/v1/prisoners/{number}/remand-periods", json={"start": "2025-03-02", "end": "2026-03-01"}, headers=auth(tokens["legal"]))
    assert r.status_code == 201 and r.json()["immediate"] is True
    due = client.get("/api/v1/sites/T1/legal/due", headers=auth(tokens["inspector"])).json()
    assert [d["prisoner_number"] for d in due["releases_due"]] == [number]
    why = client.get(f"/api/v1/prisoners/{number}/release", headers=auth(tokens["viewer"])).json()
    assert len(why["history"]) == 2 and why["calculation"]["lines"]
    assert client.post(f"/api/v1/prisoners/{number}/release", json={"reason": "served"}, headers=auth(tokens["viewer"])).status_code == 403
    r = client.post(f"/api/v1/prisoners/{number}/release", json={"reason": "sentence served with remand credit"}, headers=auth(tokens["legal"]))
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/prisoners/{number}/location", headers=auth(tokens["viewer"])).json()["in_custody"] is False
    r = client.post(f"/api/v1/prisoners/{number}/release", json={"reason": "again"}, headers=auth(tokens["legal"]))
    assert r.status_code == 409


def test_lapsed_basis_shows_without_any_job(client, tokens):
    clock.freeze(T0)
    number = _book(client, tokens["records"], {"type": "detention_order", "reference": "DO-1", "issuing_authority": "Juzgado",
                                               "issue_date": "2026-02-20"})
    clock.freeze(T0 + timedelta(days=30))
    due = client.get("/api/v1/sites/T1/legal/due", headers=auth(tokens["viewer"])).json()
    assert [d["prisoner_number"] for d in due["held_without_basis"]] == [number]
    assert client.get("/api/v1/sites/T1/legal/due", params={"days": -1}, headers=auth(tokens["viewer"])).status_code == 422


def test_hearing_with_video_link_slots_over_http(client, tokens):
    clock.freeze(T0)
    number = _book(client, tokens["records"], {"type": "remand_order", "reference": "RO-5", "issuing_authority": "Juzgado", "issue_date": "2026-02-25"})
    lg = auth(tokens["legal"])
    case = client.post(f"/api/v1/prisoners/{number}/cases", json={"reference": "C-1", "court": "Juzgado 1", "charges": [{"offence": "extortion"}]},
                       headers=lg).json()
    body = {"mode": "video_link", "starts_at": "2026-03-03T15:00:00Z", "ends_at": "2026-03-03T15:30:00Z",
            "slots": [{"slot": "main", "starts_at": "2026-03-03T15:00:00Z", "ends_at": "2026-03-03T15:30:00Z", "room": "VL1"},
                      {"slot": "post", "starts_at": "2026-03-03T14:00:00Z", "ends_at": "2026-03-03T14:20:00Z", "room": "VL1"}]}
    r = client.post(f"/api/v1/cases/{case['id']}/hearings", json=body, headers=lg)
    assert r.status_code == 422 and "post slot must start after" in r.text
    body["slots"] = body["slots"][:1]
    r = client.post(f"/api/v1/cases/{case['id']}/hearings", json=body, headers=lg)
    assert r.status_code == 201
    r = client.post(f"/api/v1/cases/{case['id']}/hearings", json=body, headers=lg)
    assert r.status_code == 409 and r.json()["error"]["code"] in ("room_double_booked", "person_double_booked")
    day = client.get("/api/v1/sites/T1/hearings", params={"on": "2026-03-03"}, headers=auth(tokens["viewer"])).json()
    assert [h["slots"][0]["room"] for h in day] == ["VL1"]
    assert client.post(f"/api/v1/cases/{case['id']}/hearings", json=body, headers=auth(tokens["operations"])).status_code == 403


def test_an_adjustment_is_withdrawn_by_a_legal_officer(client, tokens):
    clock.freeze(T0)
    number = _book(client, tokens["records"], {"type": "sentence", "reference": "S-1", "issuing_authority": "Tribunal", "issue_date": "2025-03-02"})
    lg = auth(tokens["legal"])
    assert client.post(f"/api/v1/prisoners/{number}/sentences", json={"key": "S1", "sentence_date": "2025-03-02", "years": 4}, headers=lg).status_code == 201
    r = client.post(f"/api/v1/prisoners/{number}/adjustments", json={"kind": "added_days", "days": 9, "reason": "adjudication"}, headers=lg)
    later = r.json()["release_date"]
    adj = client.get(f"/api/v1/prisoners/{number}/release", headers=lg).json()["adjustments"][0]["id"]
    r = client.post(f"/api/v1/prisoners/{number}/adjustments/{adj}/withdraw", json={"reason": "quashed on appeal"}, headers=lg)
    assert r.status_code == 200 and r.json()["release_date"] < later
