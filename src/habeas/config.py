"""One settings object, read from the environment (prefix HABEAS_)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE = "sqlite:///var/habeas.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HABEAS_", extra="ignore")

    database_url: str = Field(
        DEFAULT_SQLITE,
        description="SQLAlchemy URL: sqlite:///path/to/file.db or postgresql+psycopg://user:pw@host/db",
    )
    max_upload_bytes: int = Field(20 * 1024 * 1024, description="Largest accepted upload (manifest, layout).")
    demo_admin_password: str | None = Field(None, description="Password of the demo admin; random and printed once when unset.")
    now: datetime | None = Field(None, description="Freeze the clock (tests, demonstrations). ISO 8601, UTC.")
    sql_echo: bool = False
    cookie_secure: bool | None = Field(None, description="Mark browser cookies Secure; unset means: whenever the request came over HTTPS.")
    jurisdiction_rules: str | None = Field(None, description="The jurisdiction rules file (YAML); default jurisdictions/reference.yaml.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


@lru_cache(maxsize=1)
def project_root() -> Path:
    """The checkout the package runs from (migrations/ lives there)."""
    return Path(__file__).resolve().parents[2]
