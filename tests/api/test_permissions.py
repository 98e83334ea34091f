"""One permission layer: every route declares what it needs; roles get exactly that."""

from __future__ import annotations

import pytest

from habeas.auth.permissions import ALL_PERMISSIONS, PERMISSIONS
from habeas.kit.web import Public, Require, api_routes, declared_guard

from tests.api.conftest import auth
from tests.factories import booking

PUBLIC_ROUTES = {("GET", "/healthz"), ("POST", "/api/v1/auth/token"), ("GET", "/login"), ("POST", "/login"), ("POST", "/language")}


def test_every_route_declares_its_permission(app):
    missing, wrongly_public = [], []
    for path, methods, route in api_routes(app):
        guard = declared_guard(route)
        for m in methods - {"HEAD"}:
            if guard is None:
                missing.append(f"{m} {path}")
            elif isinstance(guard, Public) and (m, path) not in PUBLIC_ROUTES:
                wrongly_public.append(f"{m} {path}")
            elif isinstance(guard, Require):
                assert guard.permission in ALL_PERMISSIONS, f"{m} {path} needs unknown permission {guard.permission}"
    assert not missing, f"routes without a declared permission: {missing}"
    assert not wrongly_public, f"routes marked public without being on the list: {wrongly_public}"
    assert len(api_routes(app)) >= 20


def test_inspector_reads_everything_and_writes_nothing():
    writes = {p for p in ALL_PERMISSIONS if p.endswith(":write") or p.endswith(":manage")} - {"inspections:write"}
    assert not (PERMISSIONS["inspector"] & writes)
    reads = {p for p in ALL_PERMISSIONS if p.endswith(":read")}
    assert reads <= PERMISSIONS["inspector"]
    assert "health:read" not in PERMISSIONS["viewer"] and "audit:read" not in PERMISSIONS["viewer"]


def _write_calls(number: str):
    b = booking().model_dump(mode="json")
    return [
        ("POST", "/api/v1/sites/T1/intake", b),
        ("POST", f"/api/v1/prisoners/{number}/amendments", {"reason": "typo", "surname": "Otro"}),
        ("POST", f"/api/v1/prisoners/{number}/marks", {"kind": "scar", "body_location": "arm", "description": "x"}),
        ("POST", f"/api/v1/prisoners/{number}/legal-bases", {"type": "warrant", "reference": "W", "issuing_authority": "J", "issue_date": "2026-01-01", "expiry_date": "2027-01-01"}),
        ("POST", "/api/v1/users", {"username": "zed", "role": "viewer"}),
        ("PUT", "/api/v1/sites", None),
    ]


def test_inspector_and_viewer_are_refused_every_write(client, tokens):
    r = client.post("/api/v1/sites/T1/intake", json=booking().model_dump(mode="json"), headers=auth(tokens["records"]))
    assert r.status_code == 201, r.text
    number = r.json()["prisoner_number"]
    for role in ("inspector", "viewer"):
        for method, path, body in _write_calls(number):
            r = client.request(method, path, json=body, headers=auth(tokens[role]))
            assert r.status_code == 403, (role, method, path, r.text)
            assert r.json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/audit/events", headers=auth(tokens["inspector"])).status_code == 200
    assert client.get("/api/v1/audit/events", headers=auth(tokens["viewer"])).status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer hbs_not-a-real-token"}, {"Authorization": "Basic YTpi"}])
def test_unauthenticated_gets_401(client, tokens, headers):
    r = client.get("/api/v1/prisoners", params={"q": "perez"}, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"
    assert r.headers.get("www-authenticate") == "Bearer"


def test_login_lockout_after_repeated_failures(client, tokens):
    for _ in range(5):
        r = client.post("/api/v1/auth/token", json={"username": "records1", "password": "wrong"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "records1", "password": "correct horse battery"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "account_locked"
    r = client.post("/api/v1/auth/token", json={"username": "viewer1", "password": "correct horse battery"})
    assert r.status_code == 200
    me = client.get("/api/v1/me", headers=auth(r.json()["token"]))
    assert me.json()["role"] == "viewer"
    events = client.get("/api/v1/audit/events", params={"action": "auth.login_failed"}, headers=auth(tokens["admin"])).json()
    assert events["total"] == 5


def test_revoked_token_and_deactivated_user_are_refused(client, tokens):
    admin = auth(tokens["admin"])
    r = client.post(f"/api/v1/tokens/{tokens['viewer'][:12]}/revoke", json={"reason": "tablet lost"}, headers=admin)
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=auth(tokens["viewer"])).status_code == 401
    r = client.post("/api/v1/users/records1/deactivate", json={"reason": "left the service"}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/v1/me", headers=auth(tokens["records"])).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "records1", "password": "correct horse battery"}).status_code == 401
    r = client.post("/api/v1/users/admin1/deactivate", json={"reason": "oops"}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_admin"
    assert client.post("/api/v1/tokens/hbs_nothing/revoke", json={"reason": "x y z"}, headers=admin).status_code == 404
    actions = [e["action"] for e in client.get("/api/v1/audit/events", headers=admin).json()["items"]]
    assert "token.revoke" in actions and "user.deactivate" in actions
