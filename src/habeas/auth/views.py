"""Sign in, sign out and the language choice."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from habeas.auth import service
from habeas.kit import i18n
from habeas.kit.errors import LoginFailed
from habeas.kit.i18n import gettext as _
from habeas.kit.pages import LANG_COOKIE, SESSION_COOKIE, AnonymousForm, Page, flash, redirect, render, set_cookie, signed_in
from habeas.kit.web import PUBLIC, Ctx, TxRoute

router = APIRouter(route_class=TxRoute)
ANONYMOUS_FORM = AnonymousForm()


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str | None = None, session: Session = Depends(PUBLIC)):
    if signed_in(request) is not None:
        return redirect(safe_next(next))
    return render(request, "auth/login.html", {"next": safe_next(next), "username": ""})


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/"),
          session: Session = Depends(ANONYMOUS_FORM)):
    try:
        user = service.login(session, username.strip(), password)
    except LoginFailed as exc:
        # the failure is counted and audited (the transaction still commits); the form says why
        message = _("This account is locked after repeated failures. Try again later.") if exc.code == "account_locked" \
            else _("Wrong user name or password.")
        return render(request, "auth/login.html", {"next": safe_next(next), "username": username, "error": message}, status=401)
    secret, _row = service.start_session(session, user, user_agent=request.headers.get("user-agent"))
    response = redirect(safe_next(next))
    set_cookie(response, request, SESSION_COOKIE, secret, max_age=int(service.SESSION_MAX.total_seconds()))
    return response


@router.post("/logout")
def logout(request: Request, ctx: Ctx = Depends(Page("sites:read"))):
    service.end_session(ctx.session, request.cookies.get(SESSION_COOKIE))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return flash(response, request, _("You are signed out."))


@router.post("/language")
def language(request: Request, lang: str = Form(...), next: str = Form("/"), session: Session = Depends(ANONYMOUS_FORM)):
    response = redirect(safe_next(next))
    if lang in i18n.LANGUAGES:
        set_cookie(response, request, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response
