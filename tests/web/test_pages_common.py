"""What every page shares: the guard on every route, the error page, security headers."""

from __future__ import annotations

from habeas.kit.pages import Page
from habeas.kit.web import Public, api_routes, declared_guard


def test_every_page_route_declares_a_guard(app):
    pages = [(p, m, r) for p, m, r in api_routes(app) if not p.startswith("/api")]
    assert pages
    for path, methods, route in pages:
        guard = declared_guard(route)
        assert isinstance(guard, (Page, Public)), f"{methods} {path} has no Page guard"


def test_pages_send_security_headers(signed_in):
    c = signed_in("viewer")
    r = c.get("/sites/T1")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"


def test_unknown_page_and_unknown_site_answer_with_the_error_page(signed_in):
    c = signed_in("viewer")
    r = c.get("/no/such/page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    r = c.get("/sites/NOPE")
    assert r.status_code == 404 and "NOPE" in r.text and "<h1>" in r.text


def test_api_errors_stay_json(client_api):
    r = client_api.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_static_assets_are_vendored(signed_in):
    c = signed_in("viewer")
    html = c.get("/sites/T1").text
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    assert c.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
