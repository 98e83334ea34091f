"""Declarative base with a constraint naming convention (stable migration names on both engines)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys that are BIGINT on PostgreSQL and the rowid alias on SQLite.
BigId = BigInteger().with_variant(postgresql.BIGINT(), "postgresql").with_variant(sqlite.INTEGER(), "sqlite")

# Text compared byte-wise: prefix range scans on search tokens use the index on every engine.
def CText(length: int) -> String:  # noqa: N802 - reads like a type
    return String(length).with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")


Json = JSON()

# Naive UTC timestamps everywhere (see kit.clock).
UtcDateTime = DateTime(timezone=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def id_column() -> Mapped[int]:
    return mapped_column(BigId, primary_key=True, autoincrement=True)


__all__ = ["Base", "BigId", "CText", "Json", "UtcDateTime", "id_column", "Integer", "datetime"]
