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
