"""transfers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 20:43:58.936219
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# BIGINT on PostgreSQL, the rowid alias on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transfers',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('origin_site_id', BIG_ID, nullable=True),
    sa.Column('origin_agency', sa.String(length=200), nullable=True),
    sa.Column('destination_site_id', BIG_ID, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('departed_at', sa.DateTime(), nullable=True),
    sa.Column('arrived_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['destination_site_id'], ['sites.id'], name=op.f('fk_transfers_destination_site_id_sites')),
    sa.ForeignKeyConstraint(['origin_site_id'], ['sites.id'], name=op.f('fk_transfers_origin_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index('ix_transfers_destination_status', ['destination_site_id', 'status'], unique=False)

    op.create_table('transfer_alerts',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('transfer_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_alerts_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_alerts'))
    )
    with op.batch_alter_table('transfer_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_alerts_transfer', ['transfer_id'], unique=False)

    op.create_table('transfer_items',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('transfer_id', BIG_ID, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=True),
    sa.Column('external_ref', sa.String(length=80), nullable=True),
    sa.Column('booking', sa.JSON(), nullable=True),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('reserved_cell_id', BIG_ID, nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_transfer_items_prisoner_id_prisoners')),
    sa.ForeignKeyConstraint(['reserved_cell_id'], ['locations.id'], name=op.f('fk_transfer_items_reserved_cell_id_locations')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_items_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_items'))
    )
    with op.batch_alter_table('transfer_items', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_items_prisoner', ['prisoner_id'], unique=False)
        batch_op.create_index('ix_transfer_items_transfer', ['transfer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transfer_items', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_items_transfer')
        batch_op.drop_index('ix_transfer_items_prisoner')

    op.drop_table('transfer_items')
    with op.batch_alter_table('transfer_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_alerts_transfer')

    op.drop_table('transfer_alerts')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_transfers_destination_status')

    op.drop_table('transfers')
