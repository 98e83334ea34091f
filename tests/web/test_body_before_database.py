"""A page's form is read before the database is touched: every transaction holds SQLite's write
lock from its first statement, so a body still on its way, or a request the browser abandoned
half sent, must not keep the other requests waiting."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import ClientDisconnect, Request

from habeas.kit.pages import AnonymousForm, Page


class _App:
    class state:  # noqa: N801 - the shape of FastAPI's app.state
        @staticmethod
        def sessionmaker():
            raise AssertionError("the database was touched before the form arrived")


def _abandoned_post() -> Request:
    async def gone():
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/sites/RC/intake/validate", "query_string": b"", "app": _App(),
             "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"40")]}
    return Request(scope, gone)


@pytest.mark.parametrize("guard", [Page("intake:write"), AnonymousForm()], ids=["page", "anonymous form"])
def test_an_abandoned_post_never_reaches_the_database(guard):
    # on a thread of its own: the browser tests may have an event loop running on this one
    with ThreadPoolExecutor(1) as pool, pytest.raises(ClientDisconnect):
        pool.submit(asyncio.run, guard(_abandoned_post())).result()
