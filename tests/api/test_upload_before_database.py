"""An upload is read before the database is touched: checking the API token is the request's
first statement, and on SQLite every transaction holds the write lock from its first statement,
so an upload still on its way, or abandoned half sent, must not keep the other requests waiting."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from habeas.app import create_app

UPLOADS = [("PUT", "/api/v1/sites", ""), ("POST", "/api/v1/sites/RC/intake/manifest", ""),
           ("POST", "/api/v1/non-associations/import", ""), ("POST", "/api/v1/sites/RC/transfers/manifest", "agency=A&reason=r")]


@pytest.mark.parametrize(("method", "path", "query"), UPLOADS, ids=[p for _, p, _ in UPLOADS])
def test_an_abandoned_upload_never_reaches_the_database(engine, method, path, query):
    app = create_app(engine)
    touched = []

    def sessionmaker():
        touched.append(path)
        raise AssertionError("the database was touched before the upload arrived")

    app.state.sessionmaker = sessionmaker
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "scheme": "http", "http_version": "1.1", "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
             "headers": [(b"authorization", b"Bearer any-token"), (b"content-type", b"text/csv"), (b"content-length", b"40")]}

    async def gone():
        return {"type": "http.disconnect"}

    async def send(message):
        pass

    async def request():
        try:
            await app(scope, gone, send)
        except Exception:  # the client went away: whatever the server makes of it, it never read the database
            pass

    # on a thread of its own: the browser tests may have an event loop running on this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, request()).result()
    assert touched == []
