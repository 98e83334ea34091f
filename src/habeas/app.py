"""create_app(): settings, engine, middleware, the API under /api/v1."""

from __future__ import annotations

import gc
import re
import time
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from habeas import __version__
from habeas.db import Checkpointer, make_engine, make_sessionmaker, ping
from habeas.kit import i18n
from habeas.kit.context import new_request_id, set_request_id
from habeas.kit.pages import LANG_COOKIE, TEMPLATES
from habeas.kit.web import PUBLIC, TxRoute, install_error_handlers, install_time_encoding

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")


@asynccontextmanager
async def _lifespan(app: FastAPI):
    # What start-up loaded (modules, the tables, compiled queries) lives as long as the process:
    # kept out of the collector's full passes, which would otherwise stop a request now and then
    # for tens of milliseconds to walk it all again.
    gc.collect()
    gc.freeze()
    engine = app.state.engine
    checkpointer = Checkpointer(engine).start() if Checkpointer.wanted(engine) else None
    try:
        yield
    finally:
        if checkpointer is not None:
            checkpointer.stop()


def create_app(engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine()
    app = FastAPI(
        lifespan=_lifespan,
        title="Habeas",
        version=__version__,
        description="Custody management: who is held, on what legal basis, where, and what they are owed.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)
    install_time_encoding()

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        request.state.request_id = rid
        set_request_id(rid)
        lang = i18n.pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
        request.state.lang = lang
        i18n.set_language(lang)
        started = time.perf_counter()
        response = await call_next(request)
        # how long the server worked on the request (browsers' developer tools show it)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        response.headers["X-Request-ID"] = rid
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=3600"
        else:
            response.headers["Cache-Control"] = "no-store"
        if response.headers.get("content-type", "").startswith("text/html"):
            # Pages load nothing from elsewhere and run no inline script.
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "same-origin"
        return response

    health = APIRouter(route_class=TxRoute)

    @health.get("/healthz", tags=["health"], summary="200 when the database answers")
    def healthz(session: Session = Depends(PUBLIC)):
        ok = ping(engine)
        return JSONResponse({"status": "ok" if ok else "unavailable", "database": ok, "version": __version__}, status_code=200 if ok else 503)

    app.include_router(health)
    app.include_router(api_router(), prefix="/api/v1")
    app.include_router(page_router())
    app.mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static")
    return app


# Domains with pages, in menu order; each has a views.py with a ``router``.
PAGE_DOMAINS = ("auth", "dashboard", "sites", "roll", "counts", "prisoners", "intake", "transfers", "housing", "court", "legal", "audit")


def page_router() -> APIRouter:
    """The staff pages: each domain's views.py."""
    import importlib
    import importlib.util

    pages = APIRouter(include_in_schema=False)
    for domain in PAGE_DOMAINS:
        name = f"habeas.{domain}.views"
        if importlib.util.find_spec(name) is not None:
            pages.include_router(importlib.import_module(name).router)
    return pages


def api_router() -> APIRouter:
    from habeas.audit.endpoints import router as audit
    from habeas.auth.endpoints import router as auth
    from habeas.intake.endpoints import router as intake
    from habeas.legal.endpoints import router as legal
    from habeas.counts.endpoints import router as counts
    from habeas.housing.endpoints import router as housing
    from habeas.court.endpoints import router as court
    from habeas.incidents.endpoints import router as incidents
    from habeas.movements.endpoints import router as movements
    from habeas.roll.endpoints import router as roll
    from habeas.transfers.endpoints import router as transfers
    from habeas.welfare.endpoints import router as welfare
    from habeas.prisoners.endpoints import router as prisoners
    from habeas.sites.endpoints import router as sites

    api = APIRouter()
    for r in (auth, sites, intake, housing, legal, court, prisoners, movements, roll, counts, incidents, welfare, transfers, audit):
        api.include_router(r)
    return api
