"""HTML plumbing shared by every domain's pages: templates, the signed-in browser, CSRF, flash
messages and the HTML error page.

Pages use the same permission table as the API (``auth.permissions.allows``) through ``Page``,
a ``Require`` that reads the session cookie instead of a bearer token, so there is one
permission layer. Every state-changing page request must carry the session's CSRF token
(form field ``csrf_token`` or header ``X-CSRF-Token``, which htmx sends)."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from habeas.auth.permissions import PERMISSIONS, allows
from habeas.config import get_settings
from habeas.kit import i18n
from habeas.kit.errors import DomainError, Forbidden, TooLarge
from habeas.kit.web import Ctx, Public, Require, db_session

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SESSION_COOKIE = "habeas_session"
LANG_COOKIE = "habeas_lang"
CSRF_COOKIE = "habeas_csrf"
FLASH_COOKIE = "habeas_flash"
SITE_COOKIE = "habeas_site"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
env.globals["LANGUAGES"] = i18n.LANGUAGES


def _number(value) -> str:
    """A number written the reader's way (15,000 in English, 15.000 in Spanish)."""
    from babel.numbers import format_decimal

    if value is None:
        return ""
    return format_decimal(value, locale=i18n.current_language())


env.filters["num"] = _number


class LoginRequired(DomainError):
    """A page was asked for without a signed-in browser: it answers with the login page."""

    status = 401
    code = "login_required"
    persist = True  # an idle or expired session found on the way is ended for good


class CsrfRefused(DomainError):
    status = 403
    code = "csrf_refused"


def cookie_secure(request: Request) -> bool:
    """Cookies are Secure whenever the site is served over HTTPS (or the setting forces it)."""
    forced = get_settings().cookie_secure
    return forced if forced is not None else request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None, http_only: bool = True) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only, samesite="lax", secure=cookie_secure(request))


def signed_in(request: Request):
    """The browser's signed-in user (``auth.service.SignedIn``), cached on the request; None if none."""
    if not hasattr(request.state, "signed_in"):
        from habeas.auth.service import session_actor

        request.state.signed_in = session_actor(db_session(request), request.cookies.get(SESSION_COOKIE))
    return request.state.signed_in


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry: the session's own, or before sign-in a random value
    also set as a cookie (double submit)."""
    who = getattr(request.state, "signed_in", None)
    if who is not None:
        return who.csrf_token
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


async def receive_body(request: Request) -> None:
    """Read a state-changing request's whole body before the database is touched (an upload
    declared larger than the limit is refused unread).

    Every transaction holds SQLite's write lock from its first statement, and signing the browser
    in is a statement: a body still on its way (or a request the browser abandoned half sent)
    would otherwise keep every other request waiting. Pages post forms: the parsed form is kept
    for the view's ``request.form()``."""
    if request.method in SAFE_METHODS:
        return
    declared = request.headers.get("content-length")
    limit = get_settings().max_upload_bytes
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(i18n.gettext("The file is larger than the limit of %(limit)s bytes.") % {"limit": limit})
    await request.form()


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry this browser's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if not sent:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    who = getattr(request.state, "signed_in", None)
    expected = who.csrf_token if who is not None else request.cookies.get(CSRF_COOKIE)
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfRefused(i18n.gettext("The form has expired or did not come from this site. Reload the page and try again."))


class Page(Require):
    """Route dependency for pages: a signed-in browser whose role has ``permission`` (the same
    table the API uses), and the CSRF token on every state-changing request."""

    async def __call__(self, request: Request) -> Ctx:  # type: ignore[override]
        # the view (run after this, in a worker thread) writes in the user's language
        i18n.set_language(getattr(request.state, "lang", i18n.DEFAULT_LANGUAGE))
        await receive_body(request)
        who = await run_in_threadpool(signed_in, request)
        if who is None:
            raise LoginRequired(i18n.gettext("Please sign in."))
        await check_csrf(request)
        actor = who.actor
        if not allows(actor.role, self.permission):
            raise Forbidden(i18n.gettext("Your role may not do this."), details={"permission": self.permission})
        from habeas.kit.context import Actor

        actor = Actor(username=actor.username, role=actor.role, user_id=actor.user_id, request_id=request.state.request_id)
        return Ctx(session=db_session(request), actor=actor)


class AnonymousForm(Public):
    """Route dependency for the few forms that work before sign-in (login, language): CSRF by
    double submit of the pre-session cookie, or the session's token when signed in."""

    async def __call__(self, request: Request):  # type: ignore[override]
        await receive_body(request)
        await run_in_threadpool(signed_in, request)
        await check_csrf(request)
        return db_session(request)


def can(request: Request, permission: str) -> bool:
    who = getattr(request.state, "signed_in", None)
    return who is not None and allows(who.actor.role, permission)


def flash(response: Response, request: Request, message: str, kind: str = "ok") -> Response:
    """A one-time message shown on the next page (after a redirect)."""
    set_cookie(response, request, FLASH_COOKIE, quote(f"{kind}:{message}"), max_age=60)
    return response


def _take_flash(request: Request) -> dict | None:
    from urllib.parse import unquote

    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, message = unquote(raw).partition(":")
    return {"kind": kind if kind in ("ok", "error", "warn") else "ok", "message": message}


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> HTMLResponse:
    """Render a template as a page (a view that answers htmx with a fragment picks that fragment's
    template itself; ``htmx`` in the context says whether the request came from htmx)."""
    i18n.set_language(getattr(request.state, "lang", i18n.DEFAULT_LANGUAGE))
    who = getattr(request.state, "signed_in", None)
    flash_msg = _take_flash(request)
    context = dict(context or {})
    remembered = request.cookies.get(SITE_COOKIE)
    if who is not None and "site_code" not in context:
        context["site_code"] = remembered or _first_site(request)
    ctx = {
        "request": request,
        "me": who.actor if who else None,
        "permissions": PERMISSIONS.get(who.actor.role, frozenset()) if who else frozenset(),
        "csrf_token": csrf_token(request),
        "lang": i18n.current_language(),
        "flash": flash_msg,
        "path": request.url.path,
        "htmx": request.headers.get("hx-request") == "true",
        **context,
    }
    html = env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status)
    if flash_msg:
        response.delete_cookie(FLASH_COOKIE, path="/")
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf:
        set_cookie(response, request, CSRF_COOKIE, new_csrf)
    if context.get("site_code") and context["site_code"] != remembered:
        set_cookie(response, request, SITE_COOKIE, context["site_code"], max_age=30 * 24 * 3600)
    return response


def _first_site(request: Request) -> str | None:
    from habeas.sites.repository import list_sites

    sites = list_sites(db_session(request))
    return sites[0].code if sites else None


def redirect(url: str, *, htmx: bool = False) -> Response:
    """303 after a successful form; htmx follows ``HX-Redirect`` instead."""
    if htmx:
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api") or path == "/healthz" or path.startswith("/static"))


def error_page(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/login?next=" + quote(target)})
        return RedirectResponse("/login?next=" + quote(target), status_code=303)
    details = exc.details if isinstance(exc.details, list) else []
    # no database here: the request's transaction is already over
    response = render(request, "error.html", {"error": exc, "details": details, "site_code": request.cookies.get(SITE_COOKIE)},
                      status=exc.status)
    if request.headers.get("hx-request") == "true":
        # an htmx request answered by the error page: it takes the place of the page's main area
        # (habeas.js lets this one error answer be swapped in)
        response.headers.update({"HX-Retarget": "#main", "HX-Reswap": "outerHTML", "HX-Reselect": "#main", "X-Habeas-Error-Page": "1"})
    return response


def refuse(request: Request, ctx: Ctx, exc: DomainError, template: str, context: dict[str, Any] | None = None) -> HTMLResponse:
    """Show a form again with what the service refused: the transaction is rolled back first, so
    nothing the refused action wrote is kept, and the page lists every problem (row, field, message)."""
    ctx.session.rollback()
    details = exc.details if isinstance(exc.details, list) else []
    by_field: dict[str, list[str]] = {}
    for d in details:
        if isinstance(d, dict) and d.get("field"):
            by_field.setdefault(str(d["field"]), []).append(d.get("message") or exc.message)
    return render(request, template, {**(context or {}), "error": exc, "details": details, "field_errors": by_field},
                  status=exc.status)
