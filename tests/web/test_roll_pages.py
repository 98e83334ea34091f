"""The roll page: the site's figures, out of cell and out of the site by reason, today's flow,
capacity, and one line per pavilion and landing (or per cell) coloured when over capacity."""

from __future__ import annotations

import re

import pytest

from habeas.auth.permissions import PERMISSIONS
from habeas.models import Location, Prisoner
from habeas.movements.service import MoveRequest, move_many
from habeas.sites import repository

from tests import factories as f


def figure(html: str, label: str) -> str:
    m = re.search(r'<span class="n">([^<]+)</span><span>' + re.escape(label) + "</span>", html)
    assert m, f"no figure {label!r}"
    return m.group(1)


def line(html: str, code: str) -> str:
    m = re.search(r'<tr class="([^"]*)">\s*<th scope="row">(?:<a [^>]*>)?' + re.escape(code) + r"(?:</a>)? <small.*?</tr>", html, re.S)
    assert m, f"no line {code}"
    return m.group(0)


@pytest.fixture
def ops(sessions, staff):
    """OPS with 8 people in P1's six cells; one at court, one in the exercise yard."""
    with sessions.begin() as s:
        site, booked = f.ops_site(s, people=8)
        ids = [b.prisoner_id for b in booked]
        move_many(s, f.ACTOR, site.id, [
            MoveRequest(prisoner_id=ids[0], to_location_id=None, kind="court", reason="hearing", destination="Juzgado Primero"),
            MoveRequest(prisoner_id=ids[1], to_location_id=f.loc_id(s, site, "P1-EX"), reason="exercise"),
        ])
        return [s.get(Prisoner, i).prisoner_number for i in ids]


def test_the_roll_shows_every_figure(signed_in, ops):
    r = signed_in("viewer").get("/sites/OPS/roll")
    assert r.status_code == 200
    html = r.text
    assert figure(html, "population (held at the site)") == "8"
    assert figure(html, "current roll (inside now)") == "7"
    assert figure(html, "in cell") == "6"
    assert figure(html, "out of cell (inside)") == "1"
    assert figure(html, "in reception") == "0"
    assert figure(html, "out of the site") == "1"
    assert figure(html, "arrived today") == "8"
    assert figure(html, "out today") == "1"
    assert figure(html, "unlock roll (inside at the start of the day)") == str(7 - 8 + 1)
    assert figure(html, "working capacity") == str(6 * 4 + 1)
    assert figure(html, "net vacancies") == str(6 * 4 + 1 - 8)
    assert re.search(r"court: <strong>1</strong>", html)
    assert re.search(r'<a href="/sites/OPS/map/cells/P1-EX">P1-EX</a>: <strong>1</strong>', html)


def test_lines_per_pavilion_and_landing_and_every_cell_on_demand(signed_in, ops):
    c = signed_in("viewer")
    html = c.get("/sites/OPS/roll").text
    p1 = line(html, "P1")
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', p1)[:4] == ["8", "7", "6", "2"]  # housed, present, in cell, out of cell
    assert "P1-L1" in html and "P1-L2" in html
    assert "P1-L1-C1" not in html
    assert 'href="/sites/OPS/roll?cells=1"' in html
    cells = c.get("/sites/OPS/roll?cells=1").text
    assert "P1-L1-C1" in cells and "P1-SEG-S1" in cells and 'href="/sites/OPS/roll">' in cells


def test_over_capacity_lines_are_coloured(signed_in, ops, sessions):
    with sessions.begin() as s:
        site = repository.site_by_code(s, "OPS")
        for n in (1, 2, 3):  # one person in each L1 cell now: cna 0 puts them above cna
            s.get(Location, f.loc_id(s, site, f"P1-L1-C{n}")).cna = 0
        for n in (1, 2, 3):  # L2 cells hold 1 each: working 0 leaves them over working capacity
            s.get(Location, f.loc_id(s, site, f"P1-L2-C{n}")).working_capacity = 0
    html = signed_in("viewer").get("/sites/OPS/roll").text
    assert 'class="depth-1 warn"' in line(html, "P1-L1")
    assert 'class="depth-1 bad"' in line(html, "P1-L2")
    assert 'class="depth-0 warn"' in line(html, "P1")  # the pavilion as a whole still has working places
    assert 'class="depth-0 "' in line(html, "REC")  # rooms have no cell capacity: never coloured
    assert "more people housed than working places" in html


def test_floor_area_per_person_against_the_standards(signed_in, sessions, staff):
    with sessions.begin() as s:
        site, booked = f.ops_site(s, people=18)  # 3 a cell of 12 m²: 4.0 m² a person, the CPT minimum
    html = signed_in("viewer").get("/sites/OPS/roll").text
    assert 'class="num ">4.0<' in line(html, "P1-L1")
    assert figure(html, "m² per person in cells") == "4.0"
    with sessions.begin() as s:
        site = repository.site_by_code(s, "OPS")
        for n in (1, 2, 3):
            s.get(Location, f.loc_id(s, site, f"P1-L1-C{n}")).floor_area_m2 = 11  # 3.67: below CPT, above ICRC
        for n in (1, 2, 3):
            s.get(Location, f.loc_id(s, site, f"P1-L2-C{n}")).floor_area_m2 = 9  # 3.0: below ICRC
    html = signed_in("viewer").get("/sites/OPS/roll").text
    assert 'class="num below-cpt">3.67<' in line(html, "P1-L1")
    assert 'class="num below-icrc">3.0<' in line(html, "P1-L2")


def test_the_guard_of_the_roll(signed_in, browser_like, ops, monkeypatch):
    r = browser_like().get("/sites/OPS/roll", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert signed_in("viewer").get("/sites/NOPE/roll").status_code == 404
    c = signed_in("viewer")
    monkeypatch.setitem(PERMISSIONS, "viewer", PERMISSIONS["viewer"] - {"movements:read"})
    assert c.get("/sites/OPS/roll").status_code == 403


def test_the_roll_in_spanish(signed_in, ops):
    html = signed_in("viewer").get("/sites/OPS/roll", headers={"Accept-Language": "es"}).text
    assert "Pabellones y sectores" in html and "tribunal: <strong>1</strong>" in html and "parte de apertura" in html
