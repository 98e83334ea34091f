from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from habeas.app import create_app
from habeas.auth.permissions import ROLES
from habeas.auth.service import create_user

from tests import factories as f


@pytest.fixture
def app(engine):
    return create_app(engine)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tokens(sessions) -> dict[str, str]:
    """One user per role, with the test site loaded; role -> bearer token."""
    out = {}
    with sessions.begin() as s:
        f.load(s)
        for role in ROLES:
            _, tok = create_user(s, f.ACTOR, username=f"{role}1", role=role, password="correct horse battery")
            out[role] = tok
    return out


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
