"""The site map: pavilions as grids of cells coloured by occupancy or floor area per person, the
occupants of a cell (htmx fragment or page), the rooms, and the guard."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from habeas.auth.permissions import PERMISSIONS
from habeas.models import Location, Prisoner
from habeas.sites import repository
from habeas.sites.views import occupancy_level, space_level

from tests import factories as f

HX = {"HX-Request": "true"}


def house(s, site_code: str, cell: str, n: int) -> list[str]:
    """Book ``n`` people at the site and move them into ``cell``; their prisoner numbers."""
    from habeas.intake.service import book_many
    from habeas.movements.service import MoveRequest, move_many

    site = repository.site_by_code(s, site_code)
    booked = book_many(s, f.ACTOR, site_code, [(None, f.booking()) for _ in range(n)])
    if cell:
        to = f.loc_id(s, site, cell)
        move_many(s, f.ACTOR, site.id, [MoveRequest(prisoner_id=b.prisoner_id, to_location_id=to, reason="housing") for b in booked])
    return [s.get(Prisoner, b.prisoner_id).prisoner_number for b in booked]


def cell_class(html: str, code: str) -> str:
    m = re.search(rf'<a id="cell-{re.escape(code)}" class="cell ([^"]+)"', html)
    assert m, f"no cell {code} on the map"
    return m.group(1)


@pytest.fixture
def ops(sessions, staff):
    """Site OPS: P1 with landings L1, L2 (3 cells each: 12 m², cna 3, working 4, max 5) and a
    segregation cell; people placed to show every colour."""
    with sessions.begin() as s:
        f.ops_site(s)
        numbers = {"P1-L1-C1": house(s, "OPS", "P1-L1-C1", 3), "P1-L1-C2": house(s, "OPS", "P1-L1-C2", 4),
                   "P1-L1-C3": house(s, "OPS", "P1-L1-C3", 5), "P1-L2-C1": house(s, "OPS", "P1-L2-C1", 1),
                   "REC": house(s, "OPS", "", 2)}
        site = repository.site_by_code(s, "OPS")
        # a cell whose max was lowered below its people (recorded as it is), and one out of service
        s.get(Location, f.loc_id(s, site, "P1-L1-C3")).max_capacity = 4
        s.get(Location, f.loc_id(s, site, "P1-L1-C3")).working_capacity = 4
        s.get(Location, f.loc_id(s, site, "P1-L2-C3")).in_service = False
    return numbers


def test_levels_of_occupancy_and_floor_area():
    assert occupancy_level(0, 3, 4, 5, False) == "occ-empty"
    assert occupancy_level(3, 3, 4, 5, False) == "occ-ok"
    assert occupancy_level(4, 3, 4, 5, False) == "occ-over-cna"
    assert occupancy_level(5, 3, 4, 5, False) == "occ-over-working"
    assert occupancy_level(6, 3, 4, 5, False) == "occ-over-max"
    assert occupancy_level(2, 3, 4, 5, True) == "closed"
    # shared cells: CPT 4 m², ICRC 3.4 m² a person; one person alone: CPT 6 m², ICRC 5.4 m²
    assert space_level(12, 3) == (4.0, "sp-meets")
    assert space_level(7, 2)[1] == "sp-below-cpt"
    assert space_level(12, 4)[1] == "sp-below-icrc"
    assert space_level(6, 1)[1] == "sp-meets"
    assert space_level(5.5, 1)[1] == "sp-below-cpt"
    assert space_level(5, 1)[1] == "sp-below-icrc"
    assert space_level(12, 0) == (None, "sp-none")
    assert space_level(None, 3) == (None, "sp-none")


def test_map_draws_each_pavilion_and_landing_with_cells_coloured_by_occupancy(signed_in, ops):
    c = signed_in("viewer")
    r = c.get("/sites/OPS/map")
    assert r.status_code == 200
    html = r.text
    assert "<h2" in html and "P1" in html and "P1-L1" in html and "P1-L2" in html and "P1-SEG" in html
    assert cell_class(html, "P1-L1-C1") == "occ-ok"
    assert cell_class(html, "P1-L1-C2") == "occ-over-cna"
    assert cell_class(html, "P1-L1-C3") == "occ-over-max"
    assert cell_class(html, "P1-L2-C1") == "occ-ok"
    assert cell_class(html, "P1-L2-C2") == "occ-empty"
    assert cell_class(html, "P1-L2-C3") == "closed"
    # each cell is a link (focusable by keyboard) that opens its occupants, with htmx into the side panel
    assert 'href="/sites/OPS/map/cells/P1-L1-C2" hx-get="/sites/OPS/map/cells/P1-L1-C2"' in html
    assert 'id="cell-panel"' in html and 'hx-target="#cell-panel"' in html
    # the accessible name says what the colour says
    assert re.search(r'aria-label="P1-L1-C2, 4 people: above cna; cna 3, working 4, max 5; 3\.0 m² per person, below the ICRC standard"', html)
    # legend, and the rooms with their current numbers
    assert "above working capacity, within max" in html and "out of service (itself or its landing or pavilion)" in html
    rec = re.search(r'<th scope="row"><a [^>]*>REC</a></th>.*?</tr>', html, re.S).group(0)
    assert '<td class="num">2</td>' in rec
    assert "VL1" in html and "P1-EX" in html


def test_an_overfull_landing_is_still_drawn_and_an_above_working_cell_is_red(signed_in, ops, sessions):
    with sessions.begin() as s:
        site = repository.site_by_code(s, "OPS")
        s.get(Location, f.loc_id(s, site, "P1-L1-C2")).working_capacity = 3  # 4 people: above working, within max 5
    html = signed_in("viewer").get("/sites/OPS/map").text
    assert cell_class(html, "P1-L1-C2") == "occ-over-working"


def test_floor_area_view_colours_against_the_standards(signed_in, ops):
    html = signed_in("viewer").get("/sites/OPS/map?view=space").text
    assert cell_class(html, "P1-L1-C1") == "sp-meets"  # 12 m² / 3 = 4.0
    assert cell_class(html, "P1-L1-C2") == "sp-below-icrc"  # 3.0
    assert cell_class(html, "P1-L2-C1") == "sp-meets"  # 12 m² for one person
    assert cell_class(html, "P1-L2-C2") == "sp-none"
    assert cell_class(html, "P1-L2-C3") == "closed"
    assert 'aria-current="page">Floor area per person' in html
    assert "below the CPT standard, meets the ICRC standard" in html
    m = re.search(r'id="cell-P1-L1-C2"[^>]*>.*?<span class="cn">([^<]+)</span>', html, re.S)
    assert m.group(1) == "3.0"
    # an unknown view falls back to occupancy
    assert cell_class(signed_in("viewer").get("/sites/OPS/map?view=nonsense").text, "P1-L1-C2") == "occ-over-cna"


def test_a_cell_opens_its_occupants_as_a_fragment_or_a_page(signed_in, ops):
    c = signed_in("viewer")
    r = c.get("/sites/OPS/map/cells/P1-L1-C2", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and "<h2" in r.text
    for number in ops["P1-L1-C2"]:
        assert f'<a href="/prisoners/{number}">{number}</a>' in r.text
    assert "Pérez" in r.text and "above cna" in r.text and "3.00 m²" in r.text
    assert 'href="#cell-P1-L1-C2"' in r.text  # back to the cell on the map
    page = c.get("/sites/OPS/map/cells/P1-L1-C2")
    assert page.status_code == 200 and "<html" in page.text and "<h1" in page.text
    assert all(n in page.text for n in ops["P1-L1-C2"]) and 'href="/sites/OPS/map#cell-P1-L1-C2"' in page.text
    # a room works the same way
    rec = c.get("/sites/OPS/map/cells/REC", headers=HX).text
    assert all(n in rec for n in ops["REC"])
    empty = c.get("/sites/OPS/map/cells/P1-L2-C2", headers=HX).text
    assert "Nobody is here now." in empty


def test_a_person_out_of_the_cell_is_listed_where_they_are(signed_in, ops, sessions):
    from habeas.movements.service import MoveRequest, move_many

    number = ops["P1-L1-C1"][0]
    with sessions.begin() as s:
        site = repository.site_by_code(s, "OPS")
        pid = s.query(Prisoner.id).filter(Prisoner.prisoner_number == number).scalar()
        move_many(s, f.ACTOR, site.id, [MoveRequest(prisoner_id=pid, to_location_id=f.loc_id(s, site, "P1-EX"), reason="exercise")])
    c = signed_in("viewer")
    html = c.get("/sites/OPS/map/cells/P1-L1-C1", headers=HX).text
    assert "Here now (2)" in html and "Housed here, elsewhere now (1)" in html
    assert re.search(rf"{number}</a></td><td>[^<]+</td><td>P1-EX</td>", html)
    assert "P1-EX" in c.get("/sites/OPS/map/cells/P1-EX", headers=HX).text


def test_the_side_panel_pages_a_crowded_room(signed_in, sessions, staff, monkeypatch):
    import habeas.sites.views

    monkeypatch.setattr(habeas.sites.views, "PAGE_SIZE", 10)
    with sessions.begin() as s:
        f.ops_site(s)
        house(s, "OPS", "", 25)  # all in reception
    c = signed_in("viewer")
    first = c.get("/sites/OPS/map/cells/REC", headers=HX).text
    assert first.count('<a href="/prisoners/') == 10 and "Page 1 of 3" in first and "page=2" in first
    last = c.get("/sites/OPS/map/cells/REC?page=3", headers=HX).text
    assert last.count('<a href="/prisoners/') == 5 and "page=2" in last
    assert c.get("/sites/OPS/map/cells/REC?page=0").status_code == 422


def test_unknown_site_cell_or_a_landing_answer_404(signed_in, ops):
    c = signed_in("viewer")
    assert c.get("/sites/NOPE/map").status_code == 404
    assert c.get("/sites/OPS/map/cells/P1-L1-C9").status_code == 404
    assert c.get("/sites/OPS/map/cells/P1-L1", headers=HX).status_code == 404  # a landing is not a cell or a room
    assert c.get("/sites/T1/map/cells/P1-L1-C1").status_code == 404  # another site's cell


def test_the_map_reads_in_a_fixed_number_of_queries(signed_in, ops, engine, sessions):
    c = signed_in("viewer")
    c.get("/sites/OPS/map")
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        c.get("/sites/OPS/map")
        small = len(statements)
        with sessions.begin() as s:
            house(s, "OPS", "P1-L2-C2", 3)
            house(s, "OPS", "P1-SEG-S1", 1)
        statements.clear()
        c.get("/sites/OPS/map")
        assert len(statements) == small <= 12
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_guard_of_the_map(signed_in, browser_like, ops, monkeypatch):
    anonymous = browser_like()
    r = anonymous.get("/sites/OPS/map", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    c = signed_in("viewer")
    monkeypatch.setitem(PERMISSIONS, "viewer", PERMISSIONS["viewer"] - {"sites:read"})
    assert c.get("/sites/OPS/map").status_code == 403
    assert c.get("/sites/OPS/map/cells/P1-L1-C1", headers=HX).status_code == 403


def test_the_map_in_spanish(signed_in, ops):
    html = signed_in("viewer").get("/sites/OPS/map", headers={"Accept-Language": "es"}).text
    assert "Plano" in html and "Leyenda" in html and "P1-L1-C2, 4 personas: por encima de la capacidad normal" in html
