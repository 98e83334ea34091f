"""The legal due lists page: the three lists and the releases due, computed when the page opens."""

from __future__ import annotations

from datetime import timedelta

from habeas.intake.service import book_many
from habeas.kit import clock
from habeas.models import Prisoner

from tests import factories as f


def test_the_due_lists_show_who_lapsed_and_what_is_coming(signed_in, sessions):
    today = clock.today()
    with sessions.begin() as s:
        detention = {"type": "detention_order", "reference": "DO-77", "issuing_authority": "Juzgado", "issue_date": today - timedelta(days=25)}
        [d] = book_many(s, f.ACTOR, "T1", [(None, f.booking(legal_bases=[detention]))])
        number = s.get(Prisoner, d.prisoner_id).prisoner_number
    c = signed_in("viewer")
    page = c.get("/sites/T1/legal", params={"days": 7})
    assert page.status_code == 200
    due = page.text.split('id="h-due"')[1].split("</section>")[0]
    assert number in due and "DO-77" in due
    assert "Nobody." in page.text.split('id="h-without"')[1].split("</section>")[0]
    clock.freeze(clock.now() + timedelta(days=6))  # the order lapses; no job has to run
    c = signed_in("viewer")  # (the first session has gone idle meanwhile)
    page = c.get("/sites/T1/legal")
    without = page.text.split('id="h-without"')[1].split("</section>")[0]
    assert number in without
    dashboard = c.get("/sites/T1")
    assert number in dashboard.text.split('id="held-without-basis"')[1] and 'href="/sites/T1/legal"' in dashboard.text


def test_bad_days_are_refused_plainly(signed_in):
    c = signed_in("viewer")
    assert c.get("/sites/T1/legal", params={"days": "-3"}).status_code == 422
    assert c.get("/sites/T1/legal", params={"days": "many"}).status_code == 422
    assert c.get("/sites/NOPE/legal").status_code == 404
