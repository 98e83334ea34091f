"""Prisoners: identity, marks, aliases, affiliations, search tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column

from habeas.models.base import Base, BigId, CText, Json, UtcDateTime, id_column


# The person's record: identity and status, changed by intake, records staff and the legal flows.
prisoners_table = Table(
    "prisoners", Base.metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("prisoner_number", String(16), nullable=False, unique=True),
    Column("surname", String(120), nullable=False),
    Column("given_names", String(160), nullable=False),
    Column("surname_norm", CText(120), nullable=False),
    Column("given_names_norm", CText(160), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("nationality", String(3), nullable=True),
    Column("national_id", String(40), nullable=True),
    Column("security_level", String(16), nullable=False),
    Column("legal_status", String(16), nullable=False),
    Column("flags", Json, nullable=False, default=list),
    Column("in_custody", Boolean, nullable=False, default=True),
    Column("current_site_id", BigId, ForeignKey("sites.id"), nullable=True),
    Column("current_episode_id", BigId, nullable=True),
    # The last day covered by a current legal basis (9999-12-31: no end date); NULL when the
    # person has no active basis. Kept with every change of a basis, compared with today on
    # every read: a lapse shows the day it happens, with no job to run.
    Column("basis_until", Date, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("nationality", "national_id"),
    Index("ix_prisoners_sort", "surname_norm", "given_names_norm", "id"),
    Index("ix_prisoners_dob", "date_of_birth"),
    Index("ix_prisoners_site", "current_site_id", "in_custody"),
    Index("ix_prisoners_basis", "current_site_id", "basis_until"),
    Index("ix_prisoners_episode", "current_episode_id"),
)

# Where the person is now: the destination of their last movement in ledger order (moved_at, id).
# Written by the movement ledger (movements.ledger) in each movement's own transaction, and
# rebuilt from the ledger after a late correction. A row of its own, apart from the record: a
# batch of movements rewrites thousands of these narrow rows and leaves the records alone. The
# place columns carry no foreign keys of their own: each is copied from a movement, whose keys
# the ledger checked. A place is set only while the person is in custody.
positions_table = Table(
    "positions", Base.metadata,
    Column("prisoner_id", BigId, ForeignKey("prisoners.id"), primary_key=True, autoincrement=False),
    Column("current_location_id", BigId, nullable=True),
    # The cell the person is housed in: kept while they are out of it (exercise, court), so the
    # roll can say whose bed is empty and where they are.
    Column("cell_id", BigId, nullable=True),
    # Out of the site but still held (court, hospital, escaped, in transit); NULL when inside.
    Column("away", String(16), nullable=True),
    # The person's latest movement in ledger order (moved_at, id): where the current state comes from.
    Column("last_movement_id", BigId, nullable=True),
    Column("last_moved_at", UtcDateTime, nullable=True),
    Index("ix_positions_location", "current_location_id"),
    Index("ix_positions_cell", "cell_id"),
)


class Prisoner(Base):
    """A person: their record and their position, one object over both tables (an INSERT
    writes a row in each; a change of place updates the position only)."""

    __table__ = prisoners_table.join(positions_table)

    id = column_property(prisoners_table.c.id, positions_table.c.prisoner_id)


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
