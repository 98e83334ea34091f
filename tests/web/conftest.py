"""Fixtures for the staff pages: an app on this test's database, one user per role, and a
client that signs in through the login form like a browser."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from habeas.app import create_app
from habeas.auth.permissions import ROLES
from habeas.auth.service import create_user

from tests import factories as f

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(engine):
    return create_app(engine)


@pytest.fixture
def staff(sessions) -> list[str]:
    """The test site and one user per role (user name = role + '1')."""
    with sessions.begin() as s:
        f.load(s)
        for role in ROLES:
            create_user(s, f.ACTOR, username=f"{role}1", role=role, password=PASSWORD)
    return [f"{r}1" for r in ROLES]


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "the page has no form with a CSRF token"
    return m.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
                       follow_redirects=False)


@pytest.fixture
def browser_like(app):
    """A new client (its own cookie jar) per call."""
    clients = []

    def make() -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def signed_in(browser_like, staff):
    """A signed-in client for a role: ``signed_in('records')``."""

    def make(role: str) -> TestClient:
        c = browser_like()
        r = sign_in(c, f"{role}1")
        assert r.status_code == 303, r.text
        return c

    return make


@pytest.fixture
def client_api(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
