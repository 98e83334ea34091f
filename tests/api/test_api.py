"""The API: one error shape, nothing half-written, never a 500 for bad input."""

from __future__ import annotations

import pytest

from habeas.config import get_settings
from tests.api.conftest import auth
from tests.factories import SMALL_LAYOUT, booking
from tests.intake.test_manifest import row, to_csv


def test_health_and_openapi(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["database"] is True
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/prisoners/{number}" in spec["paths"]


def test_book_read_search_amend(client, tokens):
    h = auth(tokens["records"])
    b = booking(surname="Hernández Ramos", given_names="José Antonio", aliases=["El Flaco"]).model_dump(mode="json")
    b["marks"] = [{"kind": "tattoo", "body_location": "chest", "description": "MS letters"}]
    r = client.post("/api/v1/sites/T1/intake", json=b, headers=h)
    assert r.status_code == 201, r.text
    number = r.json()["prisoner_number"]

    for q in ("hern", "jose hernandez", "FLACO", "Hernández Ramos"):
        found = client.get("/api/v1/prisoners", params={"q": q}, headers=h).json()
        assert [p["prisoner_number"] for p in found["items"]] == [number], q
    assert client.get("/api/v1/prisoners", params={"q": "zzz"}, headers=h).json()["total"] == 0
    assert client.get("/api/v1/prisoners", params={"number": number.lower()}, headers=h).json()["total"] == 1

    rec = client.get(f"/api/v1/prisoners/{number}", headers=h).json()
    assert rec["location"] == "REC" and rec["marks"][0]["description"] == "MS letters"
    assert rec["episodes"][0]["legal_bases"][0]["type"] == "remand_order"
    assert "arrest_place" in rec["episodes"][0]["rule7_missing"]

    r = client.post(f"/api/v1/prisoners/{number}/amendments", json={"reason": "spelling on the warrant", "given_names": "José Antonia"}, headers=h)
    assert r.status_code == 201, r.text
    rec = client.get(f"/api/v1/prisoners/{number}", headers=h).json()
    assert rec["given_names"] == "José Antonia"
    assert rec["amendments"][0]["changes"] == {"given_names": ["José Antonio", "José Antonia"]}
    assert client.get("/api/v1/prisoners", params={"q": "antonia"}, headers=h).json()["total"] == 1

    audit = client.get("/api/v1/audit/events", params={"entity_id": number}, headers=auth(tokens["inspector"])).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions.count("prisoner.read") == 2 and "prisoner.amend" in actions and "intake.book" in actions
    assert client.get("/api/v1/audit/verify", headers=auth(tokens["inspector"])).json()["ok"] is True


def test_unknown_and_malformed_numbers_answer_alike(client, tokens):
    h = auth(tokens["viewer"])
    a = client.get("/api/v1/prisoners/H9999999X", headers=h)
    b = client.get("/api/v1/prisoners/not-a-number", headers=h)
    assert a.status_code == b.status_code == 404
    assert a.json()["error"]["code"] == b.json()["error"]["code"] == "unknown_prisoner"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"legal_bases": []}, "legal_bases"),
        ({"date_of_birth": "1990-13-01"}, "date_of_birth"),
        ({"sex": 7}, "sex"),
        ({"date_of_birth": "2099-01-01"}, "date_of_birth"),
    ],
)
def test_bad_booking_is_422_with_the_field(client, tokens, payload, field):
    b = booking().model_dump(mode="json")
    b.update(payload)
    r = client.post("/api/v1/sites/T1/intake", json=b, headers=auth(tokens["records"]))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_failed" and any(field in (d["field"] or "") for d in err["details"])
    assert client.get("/api/v1/prisoners", params={"q": "perez"}, headers=auth(tokens["records"])).json()["total"] == 0


def test_manifest_upload_reports_rows_and_books_nothing_then_books_all(client, tokens):
    h = {**auth(tokens["records"]), "Content-Type": "text/csv"}
    rows = [row(external_ref=f"R{i}", national_id=f"N{i}") for i in range(3)]
    rows[1]["sex"] = "?"
    r = client.post("/api/v1/sites/T1/intake/manifest", params={"filename": "arrivals.csv"}, content=to_csv(rows), headers=h)
    assert r.status_code == 422
    assert [(d["row"], d["field"], d["file"]) for d in r.json()["error"]["details"]] == [(3, "sex", "arrivals.csv")]
    rows[1]["sex"] = "M"
    r = client.post("/api/v1/sites/T1/intake/manifest", content=to_csv(rows), headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["booked"] == 3 and [p["external_ref"] for p in r.json()["prisoners"]] == ["R0", "R1", "R2"]


def test_non_utf8_and_oversized_uploads(client, tokens, monkeypatch):
    h = {**auth(tokens["records"]), "Content-Type": "text/csv"}
    r = client.post("/api/v1/sites/T1/intake/manifest", content="surname\nPeña".encode("latin-1"), headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_encoding"
    monkeypatch.setenv("HABEAS_MAX_UPLOAD_BYTES", "1000")
    get_settings.cache_clear()
    r = client.post("/api/v1/sites/T1/intake/manifest", content=b"x" * 5000, headers=h)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_unknown_site_and_location(client, tokens):
    h = auth(tokens["viewer"])
    assert client.get("/api/v1/sites/NOPE", headers=h).status_code == 404
    assert client.get("/api/v1/sites/T1/locations/NOPE", headers=h).status_code == 404
    tree = client.get("/api/v1/sites/T1/locations", headers=h).json()
    pav = next(n for n in tree if n["code"] == "A")
    assert (pav["total_cna"], pav["total_working"], pav["total_max"]) == (12, 16, 20)
    assert len(pav["children"]) == 4


def test_layout_upload_and_bad_layout(client, tokens):
    h = {**auth(tokens["admin"]), "Content-Type": "application/yaml"}
    r = client.put("/api/v1/sites", content=SMALL_LAYOUT.encode(), headers=h)
    assert r.status_code == 200 and r.json()["changed"] is False
    r = client.put("/api/v1/sites", params={"filename": "broken.yaml"}, content=b"site: [", headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["file"] == "broken.yaml"


def test_unknown_route_and_method_use_the_error_shape(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.delete("/healthz")
    assert r.status_code == 405 and "error" in r.json()


def test_nothing_is_ever_deleted_through_the_api(app):
    from habeas.kit.web import api_routes

    assert not [p for p, methods, _ in api_routes(app) if "DELETE" in methods]


def test_withdrawn_alias_stays_on_file(client, tokens):
    h = auth(tokens["records"])
    number = client.post("/api/v1/sites/T1/intake", json=booking(aliases=["Chepe"]).model_dump(mode="json"), headers=h).json()["prisoner_number"]
    alias_id = client.get(f"/api/v1/prisoners/{number}", headers=h).json()["aliases"][0]["id"]
    r = client.post(f"/api/v1/prisoners/{number}/aliases/{alias_id}/withdraw", json={"reason": "belongs to his brother"}, headers=h)
    assert r.status_code == 200
    rec = client.get(f"/api/v1/prisoners/{number}", headers=h).json()
    assert rec["aliases"] == [{"id": alias_id, "name": "Chepe", "active": False}]
    assert client.get("/api/v1/prisoners", params={"q": "chepe"}, headers=h).json()["total"] == 0


def test_booking_without_basis_says_so(client, tokens):
    b = booking().model_dump(mode="json")
    b["legal_bases"] = []
    r = client.post("/api/v1/sites/T1/intake", json=b, headers=auth(tokens["records"]))
    assert r.status_code == 422
    assert r.json()["error"]["details"] == [{"row": None, "field": "legal_bases", "message": "booking refused: at least one legal basis is required"}]


def test_admin_manages_but_does_not_book(client, tokens):
    r = client.post("/api/v1/sites/T1/intake", json=booking().model_dump(mode="json"), headers=auth(tokens["admin"]))
    assert r.status_code == 403
    r = client.post("/api/v1/users", json={"username": "new.clerk", "role": "records", "password": "long enough pw"}, headers=auth(tokens["admin"]))
    assert r.status_code == 201 and r.json()["token"].startswith("hbs_")


def test_location_occupants_are_paged_with_the_total(client, tokens):
    h = auth(tokens["records"])
    for _ in range(3):
        client.post("/api/v1/sites/T1/intake", json=booking().model_dump(mode="json"), headers=h)
    r = client.get("/api/v1/sites/T1/locations/REC", params={"page_size": 2}, headers=h).json()
    assert r["total"] == 3 and len(r["occupants"]) == 2 and r["location"]["occupants"] == 3
    r2 = client.get("/api/v1/sites/T1/locations/REC", params={"page_size": 2, "page": 2}, headers=h).json()
    assert len(r2["occupants"]) == 1
    assert {p["prisoner_number"] for p in r["occupants"] + r2["occupants"]} == {p["prisoner_number"] for p in client.get("/api/v1/prisoners", params={"q": "perez"}, headers=h).json()["items"]}
