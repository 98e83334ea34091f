"""Housing, non-associations and transfers over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from habeas.kit import clock

from tests import factories as f
from tests.api.conftest import auth

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _book(client, token, n, sex="M"):
    out = []
    for i in range(n):
        body = {"surname": "Rivas", "given_names": f"José {i}", "date_of_birth": "1990-01-01", "sex": sex, "legal_status": "remand",
                "legal_bases": [{"type": "remand_order", "reference": f"RO-{sex}{i}", "issuing_authority": "Juzgado", "issue_date": "2026-02-25"}],
                "admission": {"commitment_reason": "remand"}}
        r = client.post("/api/v1/sites/OPS/intake", json=body, headers=auth(token))
        assert r.status_code == 201, r.text
        out.append(r.json()["prisoner_number"])
    return out


def test_allocation_preview_commit_and_non_associations(client, tokens, sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        f.ops_site(s, people=0)
    men = _book(client, tokens["records"], 4)
    h = auth(tokens["housing"])
    csv = f"prisoner_a,prisoner_b,reason,level\n{men[0]},{men[1]},gang,landing\n{men[2]},{men[2]},threat,cell\n".encode()
    r = client.post("/api/v1/non-associations/import", content=csv, params={"filename": "na.csv"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["row"] == 3
    r = client.post("/api/v1/non-associations/import", content=csv.rsplit(b"\n", 2)[0] + b"\n", headers=h)
    assert r.status_code == 201 and r.json()["recorded"] == 1
    preview = client.post("/api/v1/sites/OPS/allocations", json={"dry_run": True}, headers=h).json()
    assert preview["placed"] == 4 and not preview["committed"] and preview["occupancy"]
    done = client.post("/api/v1/sites/OPS/allocations", json={"dry_run": False}, headers=h).json()
    assert done["committed"] and done["violations"] == []
    cells = {m["prisoner_number"]: m["cell"] for m in done["moves"]}
    assert cells[men[0]].rsplit("-", 1)[0] != cells[men[1]].rsplit("-", 1)[0]  # different landings
    nas = client.get(f"/api/v1/prisoners/{men[0]}/non-associations", headers=auth(tokens["viewer"])).json()
    assert [n["other"] for n in nas] == [men[1]]
    r = client.post(f"/api/v1/prisoners/{men[0]}/housing", json={"cell": cells[men[1]], "reason": "swap"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "housing_rule"
    assert client.post("/api/v1/sites/OPS/allocations", json={"dry_run": True}, headers=auth(tokens["operations"])).status_code == 403


def test_transfer_over_http(client, tokens, sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        f.ops_site(s, people=0)
        f.load(s, f.OPS_LAYOUT.replace("code: OPS, name: Operations test prison", "code: OPS2, name: Second prison"))
    men = _book(client, tokens["records"], 3)
    ops = auth(tokens["operations"])
    r = client.post("/api/v1/sites/OPS2/transfers", json={"origin": "OPS", "prisoners": men, "reason": "court order"}, headers=ops)
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert client.post(f"/api/v1/transfers/{tid}/depart", json={}, headers=ops).status_code == 200
    r = client.post(f"/api/v1/transfers/{tid}/arrivals", json={"prisoners": [men[0], "H0000000T"]}, headers=ops)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unexpected_arrival"
    assert client.get(f"/api/v1/transfers/{tid}", headers=auth(tokens["viewer"])).json()["alerts"][0]["kind"] == "unexpected"
    r = client.post(f"/api/v1/transfers/{tid}/arrivals", json={"prisoners": men}, headers=ops)
    assert r.json()["counts"] == {"arrived": 3}
    assert client.post(f"/api/v1/transfers/{tid}/close", headers=ops).json()["status"] == "closed"
    assert client.post(f"/api/v1/transfers/{tid}/cancel", json={"reason": "late"}, headers=ops).status_code == 409
