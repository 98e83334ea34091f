"""Custody episodes (bookings) with the Mandela Rule 7 admission record, and legal bases."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from habeas.models.base import Base, BigId, Json, UtcDateTime, id_column


class CustodyEpisode(Base):
    __tablename__ = "custody_episodes"
    __table_args__ = (
        Index("ix_custody_episodes_prisoner", "prisoner_id", "admitted_at"),
        Index("ix_custody_episodes_source_ref", "site_id", "source_ref"),
    )

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    legal_status: Mapped[str] = mapped_column(String(16))
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Mandela Rule 7 admission record
    arrested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    arrest_place: Mapped[str | None] = mapped_column(String(200), nullable=True)
    arresting_authority: Mapped[str | None] = mapped_column(String(200), nullable=True)
    commitment_reason: Mapped[str] = mapped_column(Text)
    commitment_authority: Mapped[str] = mapped_column(String(200))
    visible_injuries: Mapped[str | None] = mapped_column(Text, nullable=True)
    ill_treatment_complaint: Mapped[str | None] = mapped_column(Text, nullable=True)
    property_record: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_of_kin_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    next_of_kin_relationship: Mapped[str | None] = mapped_column(String(80), nullable=True)
    next_of_kin_contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    legal_representative: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)  # manifest external_ref
    # The latest release-date calculation of the episode's sentences (None: nothing to calculate).
    release_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    release_calculation_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    # Why the episode was opened again after a release (a release in error), when it was.
    readmitted_from_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("custody_episodes.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LegalBasis(Base):
    __tablename__ = "legal_bases"
    __table_args__ = (
        Index("ix_legal_bases_episode", "episode_id"),
        # the due lists read active bases by date
        Index("ix_legal_bases_status_review", "status", "review_due"),
        Index("ix_legal_bases_status_expiry", "status", "expiry_date"),
    )

    id: Mapped[int] = id_column()
    episode_id: Mapped[int] = mapped_column(BigId, ForeignKey("custody_episodes.id"))
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    type: Mapped[str] = mapped_column(String(24))
    reference: Mapped[str] = mapped_column(String(120))
    issuing_authority: Mapped[str] = mapped_column(String(200))
    issue_date: Mapped[date] = mapped_column(Date)
    review_due: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # active -> superseded (renewed or replaced) | revoked | ended (at release); see legal.service
    status: Mapped[str] = mapped_column(String(16), default="active")
    superseded_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("legal_bases.id"), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LegalBasisEvent(Base):
    """Every change of a legal basis's status, with its reason: the basis's history."""

    __tablename__ = "legal_basis_events"
    __table_args__ = (Index("ix_legal_basis_events_basis", "basis_id"),)

    id: Mapped[int] = id_column()
    basis_id: Mapped[int] = mapped_column(BigId, ForeignKey("legal_bases.id"))
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # add, renew, supersede, revoke, end, reinstate
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    related_id: Mapped[int | None] = mapped_column(BigId, nullable=True)  # the renewal / replacement
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(80))


class Sentence(Base):
    """One sentence of a custody episode. Quashed or corrected sentences are kept, marked."""

    __tablename__ = "sentences"
    __table_args__ = (Index("ix_sentences_episode", "episode_id"),)

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"), index=True)
    episode_id: Mapped[int] = mapped_column(BigId, ForeignKey("custody_episodes.id"))
    key: Mapped[str] = mapped_column(String(40))  # the records officer's label, e.g. "S1"
    sentence_date: Mapped[date] = mapped_column(Date)
    years: Mapped[int] = mapped_column(Integer, default=0)
    months: Mapped[int] = mapped_column(Integer, default=0)
    days: Mapped[int] = mapped_column(Integer, default=0)
    life: Mapped[bool] = mapped_column(Boolean, default=False)
    minimum_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minimum_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minimum_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consecutive_to: Mapped[str | None] = mapped_column(String(40), nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    offence: Mapped[str | None] = mapped_column(String(300), nullable=True)
    court: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, quashed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))


class SentenceAdjustment(Base):
    """Remission, added days, credits (kinds from the jurisdiction rules)."""

    __tablename__ = "sentence_adjustments"
    __table_args__ = (Index("ix_sentence_adjustments_episode", "episode_id"),)

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    episode_id: Mapped[int] = mapped_column(BigId, ForeignKey("custody_episodes.id"))
    kind: Mapped[str] = mapped_column(String(40))
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))


class RemandPeriod(Base):
    """Time held on remand that counts towards a sentence (both days included)."""

    __tablename__ = "remand_periods"
    __table_args__ = (Index("ix_remand_periods_episode", "episode_id"),)

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    episode_id: Mapped[int] = mapped_column(BigId, ForeignKey("custody_episodes.id"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))


class ReleaseCalculation(Base):
    """Every release-date calculation, kept: the inputs, the result and the breakdown."""

    __tablename__ = "release_calculations"
    __table_args__ = (Index("ix_release_calculations_episode", "episode_id", "id"),)

    id: Mapped[int] = id_column()
    prisoner_id: Mapped[int] = mapped_column(BigId, ForeignKey("prisoners.id"))
    episode_id: Mapped[int] = mapped_column(BigId, ForeignKey("custody_episodes.id"))
    trigger: Mapped[str] = mapped_column(String(200))
    release_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sentence_expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    eligibility_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    immediate: Mapped[bool] = mapped_column(Boolean, default=False)
    life: Mapped[bool] = mapped_column(Boolean, default=False)
    beyond_calendar: Mapped[bool] = mapped_column(Boolean, default=False)
    release_year: Mapped[int | None] = mapped_column(Integer, nullable=True)  # also when beyond 9999
    rules_digest: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict] = mapped_column(Json)
    lines: Mapped[list] = mapped_column(Json)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    computed_by: Mapped[str] = mapped_column(String(80))


class RulesFile(Base):
    """Each jurisdiction rules file a calculation used, kept whole by its digest, so any past
    calculation can be explained again exactly, whatever the file says today."""

    __tablename__ = "rules_files"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UtcDateTime)
