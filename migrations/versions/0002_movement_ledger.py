"""movement ledger, counts, incidents, welfare checks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 19:41:00.487151
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# BIGINT on PostgreSQL, the rowid alias on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
OPEN_LEVEL = 99  # habeas.movements.stays.OPEN_LEVEL

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('count_sessions',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('scope_location_id', BIG_ID, nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('count_time', sa.DateTime(), nullable=False),
    sa.Column('ledger_mark', BIG_ID, nullable=False),
    sa.Column('opened_by', sa.String(length=80), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=80), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['scope_location_id'], ['locations.id'], name=op.f('fk_count_sessions_scope_location_id_locations')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_count_sessions_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_sessions'))
    )
    with op.batch_alter_table('count_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_count_sessions_site_status', ['site_id', 'status'], unique=False)

    op.create_table('welfare_rounds',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('location_id', BIG_ID, nullable=False),
    sa.Column('observed_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('officer', sa.String(length=80), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('late_entry_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_welfare_rounds_location_id_locations')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_welfare_rounds_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_welfare_rounds'))
    )
    with op.batch_alter_table('welfare_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_welfare_rounds_location_time', ['location_id', 'observed_at'], unique=False)
        batch_op.create_index('ix_welfare_rounds_site_time', ['site_id', 'observed_at'], unique=False)

    op.create_table('count_lines',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('count_id', BIG_ID, nullable=False),
    sa.Column('location_id', BIG_ID, nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('expected_ids', sa.JSON(), nullable=False),
    sa.Column('observed', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submissions', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['count_id'], ['count_sessions.id'], name=op.f('fk_count_lines_count_id_count_sessions')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_count_lines_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_lines')),
    sa.UniqueConstraint('count_id', 'location_id', name=op.f('uq_count_lines_count_id_location_id'))
    )
    op.create_table('welfare_requirements',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=True),
    sa.Column('location_id', BIG_ID, nullable=True),
    sa.Column('interval_minutes', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('set_by', sa.String(length=80), nullable=False),
    sa.Column('ended_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_welfare_requirements_location_id_locations')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_welfare_requirements_prisoner_id_prisoners')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_welfare_requirements_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_welfare_requirements'))
    )
    with op.batch_alter_table('welfare_requirements', schema=None) as batch_op:
        batch_op.create_index('ix_welfare_requirements_site', ['site_id', 'ends_at'], unique=False)

    op.create_table('count_submissions',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('line_id', BIG_ID, nullable=False),
    sa.Column('observed', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.String(length=80), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['count_lines.id'], name=op.f('fk_count_submissions_line_id_count_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_submissions'))
    )
    with op.batch_alter_table('count_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_count_submissions_line', ['line_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('movement_id', BIG_ID, nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['movement_id'], ['movements.id'], name=op.f('fk_incidents_movement_id_movements')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_incidents_prisoner_id_prisoners')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_incidents_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_prisoner_id'), ['prisoner_id'], unique=False)
        batch_op.create_index('ix_incidents_site_time', ['site_id', 'occurred_at'], unique=False)

    op.create_table('location_stays',
    sa.Column('movement_id', BIG_ID, autoincrement=False, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('location_id', BIG_ID, nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=True),
    sa.Column('span_level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_stays_location_id_locations')),
    sa.ForeignKeyConstraint(['movement_id'], ['movements.id'], name=op.f('fk_location_stays_movement_id_movements')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_location_stays_prisoner_id_prisoners')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_location_stays_site_id_sites')),
    sa.PrimaryKeyConstraint('movement_id', name=op.f('pk_location_stays'))
    )
    with op.batch_alter_table('location_stays', schema=None) as batch_op:
        batch_op.create_index('ix_location_stays_lookup', ['location_id', 'span_level', 'start_at'], unique=False)

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_service', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('service_note', sa.String(length=200), nullable=True))

    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('destination', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('corrects_id', BIG_ID, nullable=True))
        batch_op.add_column(sa.Column('correction', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_index('ix_movements_to_time')
        batch_op.create_index('ix_movements_site_time', ['site_id', 'moved_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_movements_corrects_id_movements'), 'movements', ['corrects_id'], ['id'])

    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cell_id', BIG_ID, nullable=True))
        batch_op.add_column(sa.Column('away', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_prisoners_cell', ['cell_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_prisoners_cell_id_locations'), 'locations', ['cell_id'], ['id'])
        batch_op.add_column(sa.Column('last_movement_id', BIG_ID, nullable=True))
        batch_op.add_column(sa.Column('last_moved_at', sa.DateTime(), nullable=True))

    _index_existing_movements()


def _index_existing_movements() -> None:
    """Derive the stays and each person's latest movement from a ledger recorded before this revision."""
    conn = op.get_bind()
    m = sa.table("movements", *(sa.column(c) for c in ("id", "prisoner_id", "site_id", "to_location_id", "moved_at")))
    rows = conn.execute(sa.select(m.c.id, m.c.prisoner_id, m.c.site_id, m.c.to_location_id, m.c.moved_at)
                        .order_by(m.c.prisoner_id, m.c.moved_at, m.c.id)).all()
    if not rows:
        return
    stays, last = [], {}
    for i, r in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].prisoner_id == r.prisoner_id else None
        last[r.prisoner_id] = r
        if r.to_location_id is None:
            continue
        end = nxt.moved_at if nxt else None
        if end is None:
            level = OPEN_LEVEL
        else:
            seconds, level = max((end - r.moved_at).total_seconds(), 0), 0
            while 4**level < seconds:
                level += 1
        stays.append({"movement_id": r.id, "prisoner_id": r.prisoner_id, "site_id": r.site_id, "location_id": r.to_location_id,
                      "start_at": r.moved_at, "end_at": end, "span_level": level})
    st = sa.table("location_stays", *(sa.column(c) for c in ("movement_id", "prisoner_id", "site_id", "location_id", "start_at", "end_at", "span_level")))
    conn.execute(st.insert(), stays)
    p = sa.table("prisoners", sa.column("id"), sa.column("last_movement_id"), sa.column("last_moved_at"), sa.column("cell_id"))
    conn.execute(p.update().where(p.c.id == sa.bindparam("pid")).values(last_movement_id=sa.bindparam("mid"), last_moved_at=sa.bindparam("at")),
                 [{"pid": pid, "mid": r.id, "at": r.moved_at} for pid, r in last.items()])
    loc = sa.table("locations", sa.column("id"), sa.column("type"))
    cells = {i for (i,) in conn.execute(sa.select(loc.c.id).where(loc.c.type == "cell"))}
    housed = [{"pid": pid, "cell": r.to_location_id} for pid, r in last.items() if r.to_location_id in cells]
    if housed:
        conn.execute(p.update().where(p.c.id == sa.bindparam("pid")).values(cell_id=sa.bindparam("cell")), housed)



def downgrade() -> None:
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.drop_column('last_moved_at')
        batch_op.drop_column('last_movement_id')
        batch_op.drop_constraint(batch_op.f('fk_prisoners_cell_id_locations'), type_='foreignkey')
        batch_op.drop_index('ix_prisoners_cell')
        batch_op.drop_column('away')
        batch_op.drop_column('cell_id')

    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_movements_corrects_id_movements'), type_='foreignkey')
        batch_op.drop_index('ix_movements_site_time')
        batch_op.drop_column('correction')
        batch_op.drop_column('corrects_id')
        batch_op.create_index('ix_movements_to_time', ['to_location_id', 'moved_at'], unique=False)
        batch_op.drop_column('destination')

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('service_note')
        batch_op.drop_column('in_service')

    with op.batch_alter_table('location_stays', schema=None) as batch_op:
        batch_op.drop_index('ix_location_stays_lookup')

    op.drop_table('location_stays')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_site_time')
        batch_op.drop_index(batch_op.f('ix_incidents_prisoner_id'))

    op.drop_table('incidents')
    with op.batch_alter_table('count_submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_count_submissions_line')

    op.drop_table('count_submissions')
    with op.batch_alter_table('welfare_requirements', schema=None) as batch_op:
        batch_op.drop_index('ix_welfare_requirements_site')

    op.drop_table('welfare_requirements')
    op.drop_table('count_lines')
    with op.batch_alter_table('welfare_rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_welfare_rounds_site_time')
        batch_op.drop_index('ix_welfare_rounds_location_time')

    op.drop_table('welfare_rounds')
    with op.batch_alter_table('count_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_count_sessions_site_status')

    op.drop_table('count_sessions')
