"""Legal bases over time: dates from the jurisdiction rules, renewal, supersession and revocation
as a state machine with history, and the due lists computed when read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from habeas.intake.schemas import LegalBasisIn
from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.kit.errors import Conflict, ValidationFailed
from habeas.legal import service as legal
from habeas.models import LegalBasis, Prisoner

from tests import factories as f

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TODAY = T0.date()


def remand(issue: date, review: date | None = None, ref: str = "RO-1") -> dict:
    return {"type": "remand_order", "reference": ref, "issuing_authority": "Juzgado Primero", "issue_date": issue, "review_due": review}


@pytest.fixture
def booked(sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        f.load(s)
        out = book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[remand(TODAY - timedelta(days=10), TODAY + timedelta(days=20))]))])
        return s.get(Prisoner, out[0].prisoner_id).prisoner_number


def test_missing_dates_come_from_the_rules_and_the_maximum_is_enforced(sessions):
    clock.freeze(T0)
    with sessions.begin() as s:
        f.load(s)
        [b] = book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[remand(date(2026, 2, 28))]))])
        lb = s.execute(select(LegalBasis).where(LegalBasis.prisoner_id == b.prisoner_id)).scalar_one()
        assert lb.review_due == date(2026, 8, 28)  # 6 months, by the reference rules
        warrant = {"type": "warrant", "reference": "W-1", "issuing_authority": "Fiscalía", "issue_date": date(2026, 3, 1)}
        detention = {"type": "detention_order", "reference": "DO-1", "issuing_authority": "Juzgado", "issue_date": date(2026, 3, 1)}
        [w, d] = book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[warrant])), (None, f.booking(legal_bases=[detention]))])
        assert s.execute(select(LegalBasis.review_due).where(LegalBasis.prisoner_id == w.prisoner_id)).scalar_one() == date(2026, 3, 4)
        assert s.execute(select(LegalBasis.expiry_date).where(LegalBasis.prisoner_id == d.prisoner_id)).scalar_one() == date(2026, 3, 31)
        assert s.get(Prisoner, d.prisoner_id).basis_until == date(2026, 3, 31)
        assert s.get(Prisoner, b.prisoner_id).basis_until == legal.OPEN_END
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[remand(date(2026, 2, 28), date(2026, 12, 1))]))])
    assert err.value.details[0]["field"] == "legal_bases[0].review_due" and "later than the rules allow" in err.value.details[0]["message"]
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        old_warrant = {"type": "warrant", "reference": "W-2", "issuing_authority": "Fiscalía", "issue_date": date(2026, 2, 20)}
        book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[old_warrant]))])
    assert "before the admission" in err.value.details[0]["message"]


def test_renewal_supersession_revocation_keep_history(sessions, booked):
    with sessions.begin() as s:
        [lb] = legal.list_bases(s, booked)
        new = legal.renew(s, f.ACTOR, booked, lb.id, issue_date=TODAY, reason="reviewed by the judge: remand continued")
        assert new.review_due == date(2026, 9, 2) and new.status == "active"
    with sessions.begin() as s:
        old = s.get(LegalBasis, lb.id)
        assert old.status == "superseded" and old.superseded_by_id == new.id
        with pytest.raises(Conflict, match="cannot become superseded"):
            legal.renew(s, f.ACTOR, booked, lb.id, issue_date=TODAY, reason="again")
    with sessions.begin() as s:
        sentence = LegalBasisIn(type="sentence", reference="SENT-1", issuing_authority="Tribunal de Sentencia", issue_date=TODAY)
        sent = legal.supersede(s, f.ACTOR, booked, new.id, sentence, reason="convicted")
        legal.revoke(s, f.ACTOR, booked, sent.id, reason="conviction quashed on appeal")
        history = [(e.basis_id, e.action, e.from_status, e.to_status) for e in legal.basis_history(s, booked)]
    assert history == [
        (new.id, "renew", None, "active"), (lb.id, "renew", "active", "superseded"),
        (sent.id, "supersede", None, "active"), (new.id, "supersede", "active", "superseded"),
        (sent.id, "revoke", "active", "revoked"),
    ]
    with sessions() as s:
        p = s.execute(select(Prisoner).where(Prisoner.prisoner_number == booked)).scalar_one()
        assert p.basis_until is None  # nothing active: held without a current basis
    with pytest.raises(ValidationFailed, match="needs a reason"), sessions.begin() as s:
        legal.revoke(s, f.ACTOR, booked, sent.id, reason=" ")


def test_due_lists_are_computed_when_read(sessions, booked):
    with sessions.begin() as s:
        detention = {"type": "detention_order", "reference": "DO-9", "issuing_authority": "Juzgado", "issue_date": TODAY - timedelta(days=25)}
        [d] = book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[detention]))])
        lapsing = s.get(Prisoner, d.prisoner_id).prisoner_number
    with sessions() as s:
        lists = legal.due_lists(s, "T1", within_days=7)
        assert [i.prisoner_number for i in lists["due"]] == [lapsing]  # expires in 5 days
        assert lists["held_without_basis"] == [] and lists["reviews_overdue"] == []
    # Six days later, without any job having run, the detention order has lapsed.
    clock.freeze(T0 + timedelta(days=6))
    with sessions() as s:
        lists = legal.due_lists(s, "T1", within_days=7)
        assert [i.prisoner_number for i in lists["held_without_basis"]] == [lapsing]
    # 25 days later the remand review is overdue.
    clock.freeze(T0 + timedelta(days=25))
    with sessions() as s:
        lists = legal.due_lists(s, "T1", within_days=7)
        assert [i.prisoner_number for i in lists["reviews_overdue"]] == [booked]
        assert lists["reviews_overdue"][0].days == -5
        # the lists that need action now, alone: the same people, nothing coming
        now_only = legal.due_lists(s, "T1", within_days=7, include_due=False)
        assert now_only["due"] == [] and now_only["reviews_overdue"] == lists["reviews_overdue"]
        assert now_only["held_without_basis"] == lists["held_without_basis"]


def test_the_due_soon_list_follows_each_types_warning_window(sessions, booked):
    """Read in SQL by type window; the same as asking, for each basis, whether its date falls
    within the days asked or within its type's own warning days."""
    rules = legal.jurisdiction()
    wide = max(rules.legal_bases.items(), key=lambda kv: kv[1].warn_days)
    with sessions.begin() as s:
        detention = {"type": "detention_order", "reference": "DO-1", "issuing_authority": "Juzgado", "issue_date": TODAY - timedelta(days=25)}
        book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[detention]))])
    with sessions() as s:
        for days in (0, 3, 7, 30):
            lists = legal.due_lists(s, "T1", within_days=days)
            for item in lists["due"]:
                kind = item.basis_type.rsplit(" ", 1)[0]
                assert item.days <= max(days, rules.legal_bases[kind].warn_days), (days, item)
    assert wide[1].warn_days > 0


def test_a_basis_beyond_the_maximum_or_already_lapsed_is_refused(sessions, booked):
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        legal.add_basis(s, f.ACTOR, booked, LegalBasisIn(**remand(TODAY, TODAY + timedelta(days=400), "RO-2")))
    assert err.value.code == "beyond_maximum_period"
    with pytest.raises(ValidationFailed) as err, sessions.begin() as s:
        legal.add_basis(s, f.ACTOR, booked, LegalBasisIn(**remand(TODAY - timedelta(days=300), None, "RO-3")))
    assert err.value.code == "lapsed_basis"
