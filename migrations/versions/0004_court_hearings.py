"""court cases hearings video-link rooms

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 20:23:40.969779
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# BIGINT on PostgreSQL, the rowid alias on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('room_blocks',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('room_id', BIG_ID, nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['locations.id'], name=op.f('fk_room_blocks_room_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_blocks'))
    )
    with op.batch_alter_table('room_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_room_blocks_room_time', ['room_id', 'starts_at'], unique=False)

    op.create_table('court_cases',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('court', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_court_cases_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_court_cases'))
    )
    with op.batch_alter_table('court_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_court_cases_prisoner_id'), ['prisoner_id'], unique=False)

    op.create_table('charges',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('offence', sa.String(length=300), nullable=False),
    sa.Column('offence_date', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('outcome_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['court_cases.id'], name=op.f('fk_charges_case_id_court_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charges'))
    )
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charges_case_id'), ['case_id'], unique=False)

    op.create_table('hearings',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('court', sa.String(length=200), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['court_cases.id'], name=op.f('fk_hearings_case_id_court_cases')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_hearings_prisoner_id_prisoners')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_hearings_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hearings'))
    )
    with op.batch_alter_table('hearings', schema=None) as batch_op:
        batch_op.create_index('ix_hearings_prisoner_time', ['prisoner_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_hearings_site_time', ['site_id', 'starts_at'], unique=False)

    op.create_table('room_bookings',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('hearing_id', BIG_ID, nullable=False),
    sa.Column('room_id', BIG_ID, nullable=False),
    sa.Column('slot', sa.String(length=8), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['hearing_id'], ['hearings.id'], name=op.f('fk_room_bookings_hearing_id_hearings')),
    sa.ForeignKeyConstraint(['room_id'], ['locations.id'], name=op.f('fk_room_bookings_room_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_bookings'))
    )
    with op.batch_alter_table('room_bookings', schema=None) as batch_op:
        batch_op.create_index('ix_room_bookings_hearing', ['hearing_id'], unique=False)
        batch_op.create_index('ix_room_bookings_room_time', ['room_id', 'starts_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('room_bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_room_bookings_room_time')
        batch_op.drop_index('ix_room_bookings_hearing')

    op.drop_table('room_bookings')
    with op.batch_alter_table('hearings', schema=None) as batch_op:
        batch_op.drop_index('ix_hearings_site_time')
        batch_op.drop_index('ix_hearings_prisoner_time')

    op.drop_table('hearings')
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charges_case_id'))

    op.drop_table('charges')
    with op.batch_alter_table('court_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_court_cases_prisoner_id'))

    op.drop_table('court_cases')
    with op.batch_alter_table('room_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_room_blocks_room_time')

    op.drop_table('room_blocks')
