"""What every page shares: the guard on every route, the error page, security headers."""

from __future__ import annotations

from habeas.kit.pages import Page
from habeas.kit.web import Public, api_routes, declared_guard

from tests.web.conftest import csrf_of


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


ANYONE_POSTS = {"/login", "/logout", "/language"}


def _write_routes(app) -> list[tuple[str, str, str]]:
    """(method, path with placeholders filled, permission) of every page route that writes."""
    import re

    out = []
    for path, methods, route in api_routes(app):
        if path.startswith("/api") or path in ANYONE_POSTS:
            continue
        for m in methods - {"GET", "HEAD"}:
            guard = declared_guard(route)
            out.append((m, re.sub(r"\{[^}]+\}", "1", path), getattr(guard, "permission", None)))
    return out


def test_inspector_and_viewer_are_refused_every_write_page(signed_in):
    from habeas.auth.permissions import PERMISSIONS

    c = signed_in("inspector")
    routes = _write_routes(c.app)
    for method, path, permission in routes:
        assert permission is not None and permission not in PERMISSIONS["inspector"] - {"inspections:write"}, (method, path)
    for role in ("inspector", "viewer"):
        c = signed_in(role)
        token = csrf_of(c.get("/sites/T1").text)
        for method, path, _perm in routes:
            r = c.request(method, path, data={"csrf_token": token}, follow_redirects=False)
            assert r.status_code == 403, (role, method, path, r.status_code)


def test_pages_show_no_write_form_to_an_inspector(signed_in):
    import re

    c = signed_in("inspector")
    pages = ["/sites/T1", "/sites/T1/map", "/sites/T1/roll", "/sites/T1/counts", "/prisoners", "/sites/T1/transfers",
             "/sites/T1/court", "/audit"]
    for url in pages:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
        for form in re.finditer(r"<form\b[^>]*>", r.text):
            tag = form.group(0)
            method = re.search(r'method="([^"]+)"', tag)
            action = re.search(r'action="([^"]+)"', tag)
            if method and method.group(1).lower() == "post":
                assert action and action.group(1) in ANYONE_POSTS, (url, tag)
        assert "hx-post" not in r.text, url


def test_an_upload_declared_too_large_is_refused_before_it_is_read(signed_in, monkeypatch):
    from habeas.config import get_settings

    c = signed_in("records")
    token = csrf_of(c.get("/sites/T1").text)
    monkeypatch.setenv("HABEAS_MAX_UPLOAD_BYTES", "1000")
    get_settings.cache_clear()
    r = c.post("/logout", data={"csrf_token": token, "padding": "x" * 5000}, follow_redirects=False)
    assert r.status_code == 413 and "larger than the limit" in r.text


def test_numbers_and_dates_out_of_range_are_refused_not_crashed(signed_in):
    c = signed_in("admin")
    for url in ("/sites/T1/counts/99999999999999999999", "/sites/T1/transfers/99999999999999999999",
                "/audit?seq=99999999999999999999", "/audit?to=9999-12-31", "/sites/T1/court?on=9999-12-31",
                "/sites/T1/court?on=0001-01-01"):
        r = c.get(url)
        assert r.status_code in (404, 422), (url, r.status_code)
    r = c.get("/api/v1/prisoners/H0000001R/non-associations")
    assert r.status_code in (401, 404)


def test_the_dashboard_lists_an_open_count_at_the_sites_time(signed_in, sessions):
    from habeas.counts.service import open_count
    from habeas.kit import clock
    from tests import factories as f

    with sessions.begin() as s:
        f.ops_site(s, people=2)
        c = open_count(s, f.ACTOR, "OPS", kind="emergency")
    local = clock.now().astimezone(__import__("zoneinfo").ZoneInfo("America/El_Salvador")).strftime("%Y-%m-%d %H:%M")
    page = signed_in("viewer").get("/sites/OPS").text
    part = page.split('id="uncleared-counts"')[1].split("</details>")[0]
    assert f"/sites/OPS/counts/{c.id}" in part and local in part
