"""Sign-in, sessions, CSRF and lockout on the staff pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from habeas.auth.service import MAX_FAILED_LOGINS, SESSION_IDLE
from habeas.kit import clock
from habeas.kit.pages import SESSION_COOKIE
from habeas.models import AuditEvent, WebSession

from tests.web.conftest import csrf_of, sign_in


def test_pages_need_sign_in_and_return_there_after(browser_like, staff):
    c = browser_like()
    r = c.get("/sites/T1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/sites/T1"
    page = c.get(r.headers["location"])
    assert 'name="next" value="/sites/T1"' in page.text
    r = c.post("/login", data={"username": "viewer1", "password": "correct horse battery", "csrf_token": csrf_of(page.text), "next": "/sites/T1"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sites/T1"
    assert c.get("/sites/T1").status_code == 200


def test_session_cookie_is_http_only_same_site_and_only_a_digest_is_stored(browser_like, staff, sessions):
    c = browser_like()
    r = sign_in(c, "records1")
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)][0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    secret = c.cookies.get(SESSION_COOKIE)
    with sessions() as s:
        stored = s.execute(select(WebSession.secret_hash)).scalars().all()
    assert stored and secret not in stored


def test_cookie_is_secure_over_https(app, staff):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as c:
        r = sign_in(c, "records1")
        cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)][0].lower()
        assert "secure" in cookie


def test_open_redirect_is_refused(browser_like, staff):
    c = browser_like()
    page = c.get("/login")
    r = c.post("/login", data={"username": "viewer1", "password": "correct horse battery", "csrf_token": csrf_of(page.text),
                               "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_a_form_without_the_csrf_token_is_refused_and_writes_nothing(signed_in, sessions):
    c = signed_in("admin")
    before = _events(sessions)
    r = c.post("/logout", data={}, follow_redirects=False)
    assert r.status_code == 403 and "did not come from this site" in r.text
    r = c.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert _events(sessions) == before
    assert c.get("/sites/T1").status_code == 200  # still signed in


def test_login_form_needs_its_csrf_cookie(browser_like, staff):
    c = browser_like()
    r = c.post("/login", data={"username": "viewer1", "password": "correct horse battery", "csrf_token": "made-up"}, follow_redirects=False)
    assert r.status_code == 403
    assert SESSION_COOKIE not in c.cookies


def test_wrong_password_then_lockout_is_audited(browser_like, staff, sessions):
    c = browser_like()
    for _ in range(MAX_FAILED_LOGINS):
        r = sign_in(c, "records1", "wrong password!")
        assert r.status_code == 401 and "Wrong user name or password" in r.text
    r = sign_in(c, "records1")  # the right password, but the account is now locked
    assert r.status_code == 401 and "locked" in r.text
    assert SESSION_COOKIE not in c.cookies
    with sessions() as s:
        actions = s.execute(select(AuditEvent.action).where(AuditEvent.entity_id == "records1")).scalars().all()
    assert actions.count("auth.login_failed") == MAX_FAILED_LOGINS and "auth.login_refused" in actions


def test_logout_ends_the_session_for_good(signed_in, sessions):
    c = signed_in("operations")
    secret = c.cookies.get(SESSION_COOKIE)
    page = c.get("/sites/T1")
    r = c.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with sessions() as s:
        row = s.execute(select(WebSession)).scalars().one()
        assert row.ended_at is not None and row.end_reason == "logout"
    # the old cookie, replayed, no longer signs anyone in
    c.cookies.set(SESSION_COOKIE, secret)
    assert c.get("/sites/T1", follow_redirects=False).status_code == 303


def test_an_idle_session_ends(signed_in, sessions):
    c = signed_in("viewer")
    clock.freeze(clock.now() + SESSION_IDLE + timedelta(minutes=1))
    assert c.get("/sites/T1", follow_redirects=False).status_code == 303
    with sessions() as s:
        assert s.execute(select(WebSession.end_reason)).scalar_one() == "idle"


def test_deactivated_user_is_signed_out(signed_in, sessions):
    from habeas.auth.service import set_active
    from tests.factories import ACTOR

    c = signed_in("housing")
    with sessions.begin() as s:
        set_active(s, ACTOR, "housing1", False, "left the service")
    assert c.get("/sites/T1", follow_redirects=False).status_code == 303


def _events(sessions) -> int:
    with sessions() as s:
        return len(s.execute(select(AuditEvent.seq)).all())


def test_a_new_password_ends_the_users_browser_sessions(signed_in, sessions):
    from habeas.auth.service import set_password
    from tests.factories import ACTOR

    c = signed_in("records")
    assert c.get("/sites/T1", follow_redirects=False).status_code == 200
    with sessions.begin() as s:
        set_password(s, ACTOR, "records1", "a brand new password")
    assert c.get("/sites/T1", follow_redirects=False).status_code == 303
    with sessions() as s:
        assert s.execute(select(WebSession.end_reason)).scalar_one() == "password changed"
        ends = s.execute(select(AuditEvent).where(AuditEvent.action == "auth.session_end")).scalars().all()
        assert ends and ends[-1].after["reason"] == "password changed"


def test_an_idle_session_ending_is_audited(signed_in, sessions):
    c = signed_in("viewer")
    clock.freeze(clock.now() + SESSION_IDLE + timedelta(minutes=1))
    c.get("/sites/T1", follow_redirects=False)
    with sessions() as s:
        ends = s.execute(select(AuditEvent).where(AuditEvent.action == "auth.session_end")).scalars().all()
        assert [e.after["reason"] for e in ends] == ["idle"]
