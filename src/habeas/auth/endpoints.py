"""Tokens and users."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from habeas.auth import repository, service
from habeas.auth.permissions import PERMISSIONS
from habeas.auth.schemas import Me, Reason, TokenOut, TokenRequest, UserCreate, UserCreated, UserOut
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.kit.web import PUBLIC, Ctx, Require, TxRoute

router = APIRouter(route_class=TxRoute, tags=["auth"])


@router.post("/auth/token", response_model=TokenOut, summary="Exchange a user name and password for an API token")
def token(body: TokenRequest, session: Session = Depends(PUBLIC)):
    user = service.login(session, body.username, body.password)
    actor = Actor(username=user.username, role=user.role, user_id=user.id)
    tok = service.issue_token(session, actor, user, label=body.label or "login")
    return TokenOut(token=tok, username=user.username, role=user.role)


@router.get("/me", response_model=Me, summary="Who the token belongs to and what it may do")
def me(ctx: Ctx = Depends(Require("sites:read"))):
    return Me(username=ctx.actor.username, role=ctx.actor.role, permissions=sorted(PERMISSIONS[ctx.actor.role]))


@router.get("/users", response_model=list[UserOut])
def users(ctx: Ctx = Depends(Require("users:manage"))):
    return [_user_out(u) for u in repository.list_users(ctx.session)]


@router.post("/users/{username}/deactivate", response_model=UserOut, summary="Deactivate an account: its tokens and password stop working")
def deactivate_user(username: str, body: Reason, ctx: Ctx = Depends(Require("users:manage"))):
    return _user_out(service.set_active(ctx.session, ctx.actor, username, False, body.reason))


@router.post("/users/{username}/activate", response_model=UserOut, summary="Reactivate an account")
def activate_user(username: str, body: Reason, ctx: Ctx = Depends(Require("users:manage"))):
    return _user_out(service.set_active(ctx.session, ctx.actor, username, True, body.reason))


@router.post("/tokens/{prefix}/revoke", summary="Revoke an API token by its first 12 characters")
def revoke(prefix: str, body: Reason, ctx: Ctx = Depends(Require("users:manage"))):
    tok = service.revoke_token(ctx.session, ctx.actor, prefix, body.reason)
    return {"revoked": tok.prefix}


def _user_out(u) -> UserOut:
    return UserOut(username=u.username, role=u.role, full_name=u.full_name, active=u.active, created_at=clock.from_db(u.created_at))


@router.post("/users", response_model=UserCreated, status_code=201, summary="Create a user; the token is shown once")
def create_user(body: UserCreate, ctx: Ctx = Depends(Require("users:manage"))):
    user, tok = service.create_user(ctx.session, ctx.actor, username=body.username, role=body.role, full_name=body.full_name, password=body.password)
    return UserCreated(username=user.username, role=user.role, full_name=user.full_name, active=user.active, created_at=clock.from_db(user.created_at), token=tok)
