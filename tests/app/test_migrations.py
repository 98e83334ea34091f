"""The schema exists only through migrations: they build exactly what the models declare,
and they can be undone and redone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from habeas.migrate import current_revision, downgrade, upgrade
from habeas.models import Base


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_round_trip(engine):
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine, "head")
    assert current_revision(engine) is not None


def test_a_populated_database_migrates_down_and_up_keeping_its_records(engine):
    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from habeas.intake.service import book_many
    from habeas.models import LegalBasis, Movement, Prisoner
    from tests import factories as f

    sessions = sessionmaker(bind=engine)
    with sessions.begin() as s:
        site, booked = f.ops_site(s, people=5)
    with sessions() as s:
        where = {p.id: (p.current_location_id, p.cell_id, p.away, p.last_movement_id, p.last_moved_at)
                 for p in s.execute(select(Prisoner)).scalars()}
    assert all(w[0] is not None and w[3] is not None for w in where.values())
    downgrade(engine, "0002")
    upgrade(engine, "head")
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Prisoner)).scalar_one() == 5
        # each person's position went back into their record and out again
        assert {p.id: (p.current_location_id, p.cell_id, p.away, p.last_movement_id, p.last_moved_at)
                for p in s.execute(select(Prisoner)).scalars()} == where
        assert s.execute(select(func.count()).select_from(Movement)).scalar_one() == 10
        assert all(p.basis_until is not None for p in s.execute(select(Prisoner)).scalars())
        assert s.execute(select(func.count()).select_from(LegalBasis)).scalar_one() == 5
    with sessions.begin() as s:
        book_many(s, f.ACTOR, "OPS", [(None, f.booking())])
