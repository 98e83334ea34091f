from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from habeas.auth.permissions import ROLES


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    label: str | None = Field(None, max_length=80)


class TokenOut(BaseModel):
    token: str
    username: str
    role: str


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: str = Field(json_schema_extra={"enum": list(ROLES)})
    full_name: str | None = Field(None, max_length=200)
    password: str | None = Field(None, min_length=10, max_length=200)


class Reason(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


class UserOut(BaseModel):
    username: str
    role: str
    full_name: str | None
    active: bool
    created_at: datetime


class UserCreated(UserOut):
    token: str


class Me(BaseModel):
    username: str
    role: str
    permissions: list[str]
