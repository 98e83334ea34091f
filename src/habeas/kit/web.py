"""HTTP plumbing shared by every domain: the request transaction, the permission
dependency, upload limits and the one error shape."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from habeas.auth.permissions import allows
from habeas.kit.context import Actor
from habeas.kit.errors import DomainError, Forbidden, TooLarge, Unauthenticated

log = logging.getLogger("habeas")


def db_session(request: Request) -> Session:
    """The request's session, opened on first use and committed once by ``TxRoute``."""
    session = getattr(request.state, "db", None)
    if session is None:
        session = request.app.state.sessionmaker()
        request.state.db = session
    return session


def _finish(request: Request, commit: bool) -> None:
    session = getattr(request.state, "db", None)
    if session is None:
        return
    request.state.db = None
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


class TxRoute(APIRoute):
    """Commit after the endpoint returns and before the response leaves; roll back on error.

    A failed commit therefore turns into an error response, never into a 200 for lost work."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def run(request: Request):
            try:
                response = await handler(request)
            except DomainError as exc:
                await run_in_threadpool(_finish, request, exc.persist)
                raise
            except BaseException:
                await run_in_threadpool(_finish, request, False)
                raise
            await run_in_threadpool(_finish, request, True)
            return response

        return run


@dataclass
class Ctx:
    session: Session
    actor: Actor


_bearer = HTTPBearer(auto_error=False, description="An API token from `habeas user add` or POST /api/v1/auth/token.")


class Require:
    """Route dependency: authenticate the bearer token and check one permission.

    Every API route declares one (a test fails for any route without it)."""

    def __init__(self, permission: str):
        self.permission = permission

    def __call__(self, request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Ctx:
        from habeas.auth.service import authenticate_token

        session = db_session(request)
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("send an API token: Authorization: Bearer <token>")
        actor = authenticate_token(session, credentials.credentials)
        actor = Actor(username=actor.username, role=actor.role, user_id=actor.user_id, request_id=request.state.request_id)
        if not allows(actor.role, self.permission):
            raise Forbidden(f"the {actor.role} role may not do this (needs {self.permission})", details={"permission": self.permission})
        return Ctx(session=session, actor=actor)


class Public:
    """Marks a route that deliberately needs no permission (health, login)."""

    def __call__(self, request: Request) -> Session:
        return db_session(request)


PUBLIC = Public()


async def upload(request: Request) -> bytes:
    """Route dependency: the request's raw body (a manifest, a layout), within the upload limit.

    Declare it before the route's ``Require``: checking the token is the request's first
    statement, and on SQLite every transaction holds the write lock from its first statement, so
    an upload still on its way, or abandoned half sent, would keep every other request waiting."""
    from habeas.config import get_settings

    return await read_body(request, get_settings().max_upload_bytes)


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"upload of {int(declared)} bytes exceeds the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"upload exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json_error(status: int, code: str, message: str, details=None, headers=None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message, "details": details}}, headers=headers)


def _error(request: Request, status: int, code: str, message: str, details=None, headers=None):
    """The one error shape: JSON for the API, the error page for the staff pages."""
    from habeas.kit import pages

    if pages.is_page(request):
        return pages.error_page(request, DomainError(message, code=code, details=details, status=status))
    return _json_error(status, code, message, details, headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        from habeas.kit import pages

        if pages.is_page(request):
            return pages.error_page(request, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _json_error(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        details = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if loc == ["legal_bases"] and err.get("type") == "too_short":
                message = "booking refused: at least one legal basis is required"
            details.append({"row": None, "field": ".".join(loc) or None, "message": message})
        return _error(request, 422, "validation_failed", f"invalid request: {len(details)} problem(s)", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(request, exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _overflow(request: Request, exc: Exception):
        # an id beyond what the database stores, or a date pushed past the calendar's ends
        reason = str(exc.orig).splitlines()[0] if isinstance(exc, DataError) else str(exc)
        return _error(request, 422, "validation_failed", "a number or date in the request is out of range; nothing was written",
                      [{"row": None, "field": None, "message": reason}])

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError):
        log.warning("integrity error: %s", exc.orig)
        return _error(request, 409, "conflict", "the change conflicts with what is recorded (a duplicate or a missing reference); nothing was written")

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError):
        log.error("database unavailable: %s", exc.orig)
        return _error(request, 503, "database_unavailable", "the database is not reachable or busy; nothing was written")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(request, 500, "internal_error", "an unexpected error; nothing was written", {"request_id": getattr(request.state, "request_id", None)})


def api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """Every APIRoute of the app with its full path, including routes of included routers."""
    out: list[tuple[str, set[str], APIRoute]] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            out.append((route.path, set(route.methods or ()), route))
        elif hasattr(route, "effective_route_contexts"):
            for eff in route.effective_route_contexts():
                original = eff.original_route
                if isinstance(original, APIRoute):
                    out.append((eff.path or original.path, set(original.methods or ()), original))
    return out


def declared_guard(route: APIRoute) -> Require | Public | None:
    """The Require/Public dependency a route declares, if any."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, (Require, Public)):
            return dep.call
        stack.extend(dep.dependencies)
    return None


def utc_iso(value: datetime) -> str:
    """Times leave the API in ISO 8601 with their offset; the register's naive times are UTC."""
    text = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def install_time_encoding() -> None:
    """Every datetime a route returns (dicts included) is written with its UTC offset."""
    import fastapi.encoders

    fastapi.encoders.ENCODERS_BY_TYPE[datetime] = utc_iso


UtcOut = Annotated[datetime, AfterValidator(lambda v: v if v.tzinfo else v.replace(tzinfo=UTC))]
