"""Plain keyword factories for tests."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from habeas.intake.schemas import BookingIn
from habeas.kit import clock
from habeas.kit.context import Actor
from habeas.sites.layout import parse_layout
from habeas.sites.service import load_site

_seq = itertools.count(1)

ACTOR = Actor(username="tester", role="admin")

SMALL_LAYOUT = """
version: 1
site: {code: T1, name: Test prison, operational_capacity: 20}
locations:
  - {code: REC, type: reception, floor_area_m2: 50, capacity: {working: 10, max: 12}}
  - code: A
    type: pavilion
    attributes: {sex: male}
    children:
      - code: "C{n}"
        repeat: 4
        type: cell
        floor_area_m2: 12
        capacity: {cna_area_per_person_m2: 4, working: 4, max: 5}
        toilets: 1
        sinks: 1
  - {code: VL1, type: video_link_room, room_use: court, floor_area_m2: 10, capacity: {working: 2, max: 3}}
"""


def layout(**overrides: Any) -> str:
    text = SMALL_LAYOUT
    for k, v in overrides.items():
        text = text.replace(k, v)
    return text


def load(session, text: str = SMALL_LAYOUT, actor: Actor = ACTOR):
    return load_site(session, actor, parse_layout(text.encode(), "test.yaml"), filename="test.yaml")


def booking(**overrides: Any) -> BookingIn:
    n = next(_seq)
    today = clock.today()
    data: dict[str, Any] = {
        "external_ref": f"X-{n}",
        "surname": "Pérez",
        "given_names": f"Juan {n}",
        "date_of_birth": date(1990, 1, 1) + timedelta(days=n),
        "sex": "M",
        "nationality": "SLV",
        "national_id": f"ID-{n:06d}",
        "legal_status": "remand",
        "legal_bases": [{
            "type": "remand_order", "reference": f"RO-{n}", "issuing_authority": "Juzgado Primero",
            "issue_date": today - timedelta(days=3), "review_due": today + timedelta(days=60),
        }],
        "admission": {"commitment_reason": "remand pending trial", "visible_injuries": "none"},
    }
    data.update(overrides)
    return BookingIn.model_validate(data)


# A site for operations tests: two landings, an exercise area, a segregation cell, rooms.
OPS_LAYOUT = """
version: 1
site: {code: OPS, name: Operations test prison, timezone: America/El_Salvador, operational_capacity: 24}
locations:
  - {code: REC, type: reception, floor_area_m2: 60, capacity: {working: 20, max: 30}}
  - {code: VL1, type: video_link_room, room_use: court, floor_area_m2: 10, capacity: {working: 2, max: 3}}
  - {code: VL2, type: video_link_room, room_use: legal_visit, floor_area_m2: 8, capacity: {working: 2, max: 2}}
  - {code: MED, type: medical_unit, floor_area_m2: 20, capacity: {working: 4, max: 4}}
  - code: P1
    type: pavilion
    attributes: {sex: male}
    children:
      - {code: EX, type: exercise_area, floor_area_m2: 100, capacity: {working: 20, max: 25}}
      - code: "L{n}"
        repeat: 2
        type: landing
        children:
          - code: "C{n}"
            repeat: 3
            type: cell
            floor_area_m2: 12
            capacity: {cna_area_per_person_m2: 4, working: 4, max: 5}
      - code: SEG
        type: unit
        use: segregation
        children:
          - {code: S1, type: cell, floor_area_m2: 7, capacity: {cna: 1, working: 1, max: 1}}
"""


def ops_site(session, *, people: int = 0, housed: bool = True, actor: Actor = ACTOR):
    """Load OPS_LAYOUT and book ``people`` people; house them round-robin in P1 cells (at the current clock)."""
    from habeas.intake.service import book_many
    from habeas.movements.service import MoveRequest, move_many
    from habeas.sites import repository

    load(session, OPS_LAYOUT, actor)
    site = repository.site_by_code(session, "OPS")
    booked = book_many(session, actor, "OPS", [(None, booking()) for _ in range(people)]) if people else []
    if housed and booked:
        cells = [repository.location_by_code(session, site.id, f"P1-L{landing}-C{n}") for landing in (1, 2) for n in (1, 2, 3)]
        move_many(session, actor, site.id, [MoveRequest(prisoner_id=b.prisoner_id, to_location_id=cells[i % len(cells)].id, reason="housing")
                                           for i, b in enumerate(booked)])
    return site, booked


def booked_ops_site(sessions, *, at, people: int) -> tuple:
    """A committed OPS site with ``people`` booked and housed at ``at`` (the clock is left there):
    (site, their prisoner ids)."""
    from habeas.kit import clock

    clock.freeze(at)
    with sessions.begin() as s:
        site, booked = ops_site(s, people=people)
    return site, [b.prisoner_id for b in booked]


def loc_id(session, site, code: str) -> int:
    from habeas.sites import repository

    return repository.location_by_code(session, site.id, code).id
