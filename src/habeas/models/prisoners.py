"""Prisoners: identity, marks, aliases, affiliations, search tokens."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, CText, Json, UtcDateTime, id_column


class Prisoner(Base):
    __tablename__ = "prisoners"
    __table_args__ = (
        UniqueConstraint("nationality", "national_id"),
        Index("ix_prisoners_sort", "surname_norm", "given_names_norm", "id"),
        Index("ix_prisoners_dob", "date_of_birth"),
        Index("ix_prisoners_location", "current_location_id", "in_custody"),
        Index("ix_prisoners_site", "current_site_id", "in_custody"),
        Index("ix_prisoners_cell", "cell_id"),
        Index("ix_prisoners_basis", "current_site_id", "basis_until"),
        Index("ix_prisoners_episode", "current_episode_id"),
    )

    id: Mapped[int] = id_column()
    prisoner_number: Mapped[str] = mapped_column(String(16), unique=True)
    surname: Mapped[str] = mapped_column(String(120))
    given_names: Mapped[str] = mapped_column(String(160))
    surname_norm: Mapped[str] = mapped_column(CText(120))
    given_names_norm: Mapped[str] = mapped_column(CText(160))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    nationality: Mapped[str | None] = mapped_column(String(3), nullable=True)
    national_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    security_level: Mapped[str] = mapped_column(String(16))
    legal_status: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list] = mapped_column(Json, default=list)
    in_custody: Mapped[bool] = mapped_column(Boolean, default=True)
    current_site_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("sites.id"), nullable=True)
    current_location_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    current_episode_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    # The cell the person is housed in: kept while they are out of it (exercise, court), so the
    # roll can say whose bed is empty and where they are.
    cell_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("locations.id"), nullable=True)
    # The last day covered by a current legal basis (9999-12-31: no end date); NULL when the
    # person has no active basis. Kept with every change of a basis, compared with today on
    # every read: a lapse shows the day it happens, with no job to run.
    basis_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Out of the site but still held (court, hospital, escaped); NULL when inside.
    away: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The person's latest movement in ledger order (moved_at, id): where the current state comes from.
    last_movement_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    last_moved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PrisonerAlias(Base):
    __tablename__ = "prisoner_aliases"

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DistinguishingMark(Base):
    __tablename__ = "distinguishing_marks"

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # tattoo, scar, birthmark, piercing, other
    body_location: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Affiliation(Base):
    """Security-threat-group affiliation, with where the information came from."""

    __tablename__ = "affiliations"

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NameToken(Base):
    """One normalised word of a prisoner's names or aliases (the name-search index)."""

    __tablename__ = "prisoner_name_tokens"
    # Clustered by (token, sort_key) on SQLite: one word's people are stored in name order.
    __table_args__ = (Index("ix_prisoner_name_tokens_prisoner", "prisoner_id", "token"), {"sqlite_with_rowid": False})

    token: Mapped[str] = mapped_column(CText(64), primary_key=True)
    # The person's place in name order (kit.text.sort_key, which ends in the prisoner id, so the
    # key is unique): one word's matches come out sorted.
    sort_key: Mapped[str] = mapped_column(CText(320), primary_key=True)
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))


class Sequence(Base):
    """Named counters (prisoner numbers), allocated in blocks under a row lock."""

    __tablename__ = "sequences"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
