"""create_app(): settings, engine, middleware, the API under /api/v1."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from habeas import __version__
from habeas.db import make_engine, make_sessionmaker, ping
from habeas.kit.context import new_request_id, set_request_id
from habeas.kit.web import PUBLIC, TxRoute, install_error_handlers, install_time_encoding

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")


def create_app(engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine()
    app = FastAPI(
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
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    health = APIRouter(route_class=TxRoute)

    @health.get("/healthz", tags=["health"], summary="200 when the database answers")
    def healthz(session: Session = Depends(PUBLIC)):
        ok = ping(engine)
        return JSONResponse({"status": "ok" if ok else "unavailable", "database": ok, "version": __version__}, status_code=200 if ok else 503)

    @health.get("/", include_in_schema=False)
    def root(session: Session = Depends(PUBLIC)):
        # The staff pages come with the web application; until then the front door is the API.
        return RedirectResponse("/api/docs")

    app.include_router(health)
    app.include_router(api_router(), prefix="/api/v1")
    return app


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
