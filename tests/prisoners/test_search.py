"""Name search returns exactly what a naive scan would, in name order, page by page."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habeas.intake.service import book_many
from habeas.kit.text import normalise, tokens
from habeas.prisoners import repository, service

from tests import factories as f

# Few words with shared prefixes, so that many people share words and prefixes match several words.
SURNAMES = ["Hernández", "Hernan", "Herrera", "Ramos", "Ramírez", "Rivas", "Ana", "Anaya", "Zepeda", "López Ramos"]
GIVEN = ["José", "Josefa", "Ana", "Anabel", "Juan", "Juana", "Luis", "Luisa", "Hernán"]
ALIASES = ["El Flaco", "Chepe", "La Ana", ""]
PREFIXES = sorted({w[:n] for name in SURNAMES + GIVEN + ALIASES for w in tokens(name) for n in range(1, len(w) + 1)})


@pytest.fixture
def population(sessions):
    rng = random.Random(7)
    with sessions.begin() as s:
        f.load(s, f.layout(**{"working: 10, max: 12": "working: 400, max: 400"}))
        rows = []
        for i in range(120):
            alias = rng.choice(ALIASES)
            rows.append((None, f.booking(surname=rng.choice(SURNAMES), given_names=rng.choice(GIVEN),
                                         aliases=[alias] if alias else [], date_of_birth=date(1980 + i % 3, 1, 1))))
        book_many(s, f.ACTOR, "T1", rows)
    with sessions() as s:
        people = [(p.id, p.prisoner_number, p.surname_norm, p.given_names_norm, p.date_of_birth,
                   set(tokens(p.surname, p.given_names, *[a.name for a in repository.aliases(s, p.id)])))
                  for p in s.execute(repository.select(repository.Prisoner)).scalars()]
    return people


def expected(people, words, dob):
    hits = [p for p in people if all(any(t.startswith(w) for t in p[5]) for w in words) and (dob is None or p[4] == dob)]
    return [p[1] for p in sorted(hits, key=lambda p: (p[2], p[3], p[0]))]


@pytest.mark.parametrize("stream_words", [32, 1])  # 1: prefixes of several words take the fallback plan
def test_search_matches_a_naive_scan(sessions, population, monkeypatch, stream_words):
    monkeypatch.setattr(repository, "STREAM_WORDS", stream_words)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=3), st.integers(1, 4), st.integers(1, 7),
           st.sampled_from([None, date(1981, 1, 1)]))
    def check(words, page, page_size, dob):
        want = expected(population, list(dict.fromkeys(words)), dob)
        offset = (page - 1) * page_size
        with sessions() as s:
            got = service.search(s, q=" ".join(words), dob=dob, offset=offset, limit=page_size)
        assert [p["prisoner_number"] for p in got.items] == want[offset : offset + page_size]
        assert got.more == (len(want) > offset + page_size)
        if got.total is not None:
            assert got.total == len(want) and not got.total_capped
        else:
            assert got.more and len(set(words)) > 1

    check()


def test_renamed_person_is_found_under_the_new_name_in_order(sessions, population):
    first = next(p[1] for p in sorted(population, key=lambda p: (p[2], p[3], p[0]))
                 if p[2].startswith("hern") and sum(t.startswith("hern") for t in p[5]) == 1)
    with sessions.begin() as s:
        service.amend(s, f.ACTOR, first, {"surname": "Zzyzx"}, "name on the court order")
    with sessions() as s:
        assert first not in [p["prisoner_number"] for p in service.search(s, q="hern", limit=200).items]
        assert [p["prisoner_number"] for p in service.search(s, q="zzy").items] == [first]
        last = service.search(s, q="z", limit=200).items[-1]
        assert last["prisoner_number"] == first and normalise(last["surname"]) == "zzyzx"
