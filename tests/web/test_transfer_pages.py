"""The transfer pages: the list, planning from a manifest or from another site, each step of the
state machine with the permission of its API route, the reconciliation, and the allocation of the
arrivals (preview, then commit) with the housing permission."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from habeas.models import Prisoner, Transfer, TransferAlert, TransferItem

from tests import factories as f
from tests.intake.test_manifest import row, to_csv
from tests.web.conftest import csrf_of


def manifest(n: int = 3, prefix: str = "PNC") -> bytes:
    return to_csv([row(external_ref=f"{prefix}-{i}", national_id=f"{prefix}{i}", surname=f"Arévalo{i}") for i in range(1, n + 1)])


def token_of(c, url: str = "/sites/T1/transfers") -> str:
    return csrf_of(c.get(url).text)


def plan(c, data: bytes | None = None, **form) -> object:
    fields = {"agency": "PNC Soyapango", "reason": "Remand detainees from police cells", "csrf_token": token_of(c), **form}
    return c.post("/sites/T1/transfers/manifest", data=fields, files={"manifest": ("pnc.csv", data if data is not None else manifest(), "text/csv")},
                  follow_redirects=False)


def post(c, url: str, **data):
    return c.post(url, data={"csrf_token": token_of(c), **data}, follow_redirects=False)


def count(sessions, model) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def planned(signed_in):
    ops = signed_in("operations")
    r = plan(ops)
    assert r.status_code == 303, r.text
    return ops, r.headers["location"]


def test_the_list_shows_transfers_newest_first_to_every_reader(signed_in, planned, sessions):
    ops, first = planned
    second = plan(ops, manifest(1, "GNB")).headers["location"]
    v = signed_in("viewer")
    r = v.get("/sites/T1/transfers")
    assert r.status_code == 200
    links = re.findall(r'href="(/sites/T1/transfers/\d+)">Transfer', r.text)
    assert links == [second, first]
    assert '<span class="badge planned">planned</span>' in r.text and "PNC Soyapango" in r.text
    assert "Plan a transfer" not in r.text  # the viewer cannot plan
    assert v.get("/sites/T1/transfers?status=closed").text.count('href="/sites/T1/transfers/') == 0
    assert "Plan a transfer to T1" in ops.get("/sites/T1/transfers").text


def test_planning_shows_the_reserved_beds(planned, sessions):
    ops, page = planned
    r = ops.get(page)
    assert r.status_code == 200
    html = r.text
    assert '<span class="badge planned">planned</span>' in html and "PNC Soyapango → T1" in html
    reserved = re.findall(r"<td>(?:planned)</td><td>(A-C\d)</td>", html)
    assert len(reserved) == 3
    assert "Record the departure" in html and "Cancel the transfer" in html and "Check in" not in html


def test_planning_needs_movements_write_and_the_csrf_token(signed_in, sessions):
    for role in ("records", "housing", "viewer"):
        c = signed_in(role)
        assert plan(c).status_code == 403
    ops = signed_in("operations")
    r = ops.post("/sites/T1/transfers/manifest", data={"agency": "x", "reason": "y"}, files={"manifest": ("m.csv", manifest(), "text/csv")})
    assert r.status_code == 403
    assert count(sessions, Transfer) == 0


def test_a_bad_manifest_plans_nothing_and_names_every_row(signed_in, sessions):
    ops = signed_in("operations")
    data = to_csv([row(external_ref="X-1", national_id="1"), row(external_ref="X-2", national_id="2", date_of_birth="2090-01-01"),
                   row(external_ref="X-3", national_id="3", legal_status="maybe")])
    r = plan(ops, data)
    assert r.status_code == 422
    assert "The transfer was not planned" in r.text
    cells = re.findall(r'<tr><td>pnc.csv</td><td class="num">(\d+)</td><td><code>(\w+)</code></td>', r.text)
    assert ("3", "date_of_birth") in cells and ("4", "legal_status") in cells
    assert 'value="PNC Soyapango"' in r.text  # what was typed is kept
    r = plan(ops, agency="", reason="")
    assert r.status_code == 422 and "Name the agency" in r.text and "Give the reason" in r.text
    assert count(sessions, Transfer) == 0


def test_a_manifest_larger_than_the_site_is_refused(signed_in, sessions):
    ops = signed_in("operations")
    r = plan(ops, manifest(17))  # T1: four cells of working capacity 4
    assert r.status_code == 409 and "working capacity" in r.text
    assert count(sessions, Transfer) == 0


def test_every_step_from_departure_to_close(signed_in, planned, sessions):
    ops, page = planned
    viewer = signed_in("viewer")
    assert post(viewer, page + "/depart").status_code == 403
    r = ops.post(page + "/depart", data={}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = post(ops, page + "/depart")
    assert r.status_code == 303 and r.headers["location"] == page
    html = ops.get(page).text
    assert '<span class="badge departed">departed</span>' in html and 'id="scan"' in html

    # an unexpected person: refused, nobody checked in, the alert kept and shown
    r = post(ops, page + "/arrivals", scan="PNC-1 SOMEONE-ELSE")
    assert r.status_code == 422
    assert "SOMEONE-ELSE: not on the manifest" in r.text and 'role="alert"' in r.text
    assert re.search(r'id="scan"[^>]*aria-invalid="true"', r.text)
    with sessions() as s:
        assert [a.kind for a in s.execute(select(TransferAlert)).scalars()] == ["unexpected"]
        assert s.execute(select(func.count()).select_from(TransferItem).where(TransferItem.status == "arrived")).scalar_one() == 0
    assert count(sessions, Prisoner) == 0

    r = post(ops, page + "/arrivals", scan="PNC-1\nPNC-2")
    assert r.status_code == 303 and r.headers["location"].endswith("?scan=1")
    html = ops.get(r.headers["location"]).text
    assert "Checked in: PNC-1, PNC-2." in html and re.search(r'id="scan"[^>]*autofocus', html)
    assert count(sessions, Prisoner) == 2  # booked at arrival

    # closing with someone unaccounted for: refused, a missing alert kept
    r = post(ops, page + "/close")
    assert r.status_code == 409 and "not accounted for" in r.text and "PNC-3" in r.text
    with sessions() as s:
        assert sorted(a.kind for a in s.execute(select(TransferAlert)).scalars()) == ["missing", "unexpected"]
    r = post(ops, page + "/account", person="PNC-3", outcome="incident", reason="")
    assert r.status_code == 422 and "Nobody was accounted for" in r.text
    r = post(ops, page + "/account", person="PNC-3", outcome="incident", reason="Not handed over: basis lapsed")
    assert r.status_code == 303

    # reconciliation
    html = viewer.get(page).text
    figures = dict((label, int(n)) for n, label in re.findall(r'<span class="n">(\d+)</span><span>([^<]+)</span>', html))
    assert figures["expected"] == 3 and figures["have arrived"] == 2 and figures["incident"] == 1 and figures["in transit, not arrived"] == 0
    assert "Not handed over: basis lapsed" in html and "unexpected person" in html

    # housing the arrivals: housing only
    assert ops.get(page + "/allocation").status_code == 403
    assert post(ops, page + "/allocation").status_code == 403
    housing = signed_in("housing")
    html = housing.get(page).text
    assert "2 people from this transfer are waiting in reception for a cell" in html and "Preview the allocation" in html
    r = housing.get(page + "/allocation")
    assert r.status_code == 200
    assert "Preview: nothing is written yet." in r.text and "2 people would be housed" in r.text
    assert re.search(r'<th scope="row">A</th><td class="num">16</td><td class="num">0</td>\s*<td class="num">\+2</td><td class="num">2</td>', r.text)
    assert 'role="img"' in r.text  # the capacity chart
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Prisoner).where(Prisoner.cell_id.is_not(None))).scalar_one() == 0
    fragment = housing.get(page + "/allocation", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="allocation"') and "<html" not in fragment.text
    r = post(housing, page + "/allocation")
    assert r.status_code == 200 and "2 people housed." in r.text
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Prisoner).where(Prisoner.cell_id.is_not(None))).scalar_one() == 2
    assert "Nobody from this transfer is waiting in reception" in housing.get(page).text

    r = post(ops, page + "/close")
    assert r.status_code == 303
    html = ops.get(page).text
    assert '<span class="badge closed">closed</span>' in html and "Next steps" not in html


def test_cancel_needs_a_reason_and_frees_the_beds(planned, sessions):
    ops, page = planned
    r = post(ops, page + "/cancel", reason=" ")
    assert r.status_code == 422 and "Cancelling needs a reason" in r.text
    r = post(ops, page + "/cancel", reason="The court suspended the order")
    assert r.status_code == 303
    html = ops.get(page).text
    assert '<span class="badge cancelled">cancelled</span>' in html and "transfer cancelled: The court suspended the order" in html
    r = post(ops, page + "/depart")  # a refused transition is shown, not a crash
    assert r.status_code == 409 and "cannot become departed" in r.text


def test_a_transfer_of_another_site_is_not_found_here(signed_in, planned, sessions):
    ops, page = planned
    with sessions.begin() as s:
        f.ops_site(s)
    other = page.replace("/sites/T1/", "/sites/OPS/")
    assert ops.get(other).status_code == 404
    assert post(ops, other + "/depart").status_code == 404
    assert ops.get("/sites/T1/transfers/999999").status_code == 404


def test_planning_from_another_site(signed_in, sessions):
    with sessions.begin() as s:
        _site, booked = f.ops_site(s, people=2)
        numbers = [s.get(Prisoner, b.prisoner_id).prisoner_number for b in booked]
    ops = signed_in("operations")
    page = ops.get("/sites/T1/transfers").text
    assert '<option value="OPS"' in page
    r = post(ops, "/sites/T1/transfers", origin="OPS", numbers=f"{numbers[0]}\nH0000999X", reason="Closer to court")
    assert r.status_code == 422 and "H0000999X" in r.text
    r = post(ops, "/sites/T1/transfers", origin="OPS", numbers=" ".join(numbers), reason="Closer to court")
    assert r.status_code == 303
    html = ops.get(r.headers["location"]).text
    assert "OPS → T1" in html and numbers[0] in html and numbers[1] in html
