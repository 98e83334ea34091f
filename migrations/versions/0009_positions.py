"""positions: each person's current place in a narrow table of its own, apart from their record

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")
COLUMNS = ('current_location_id', 'cell_id', 'away', 'last_movement_id', 'last_moved_at')


def _columns() -> list[sa.Column]:
    return [sa.Column('current_location_id', BIG_ID, nullable=True),
            sa.Column('cell_id', BIG_ID, nullable=True),
            sa.Column('away', sa.String(length=16), nullable=True),
            sa.Column('last_movement_id', BIG_ID, nullable=True),
            sa.Column('last_moved_at', sa.DateTime(), nullable=True)]


def upgrade() -> None:
    # Every movement rewrote the person's whole record (two dozen columns, two foreign keys checked)
    # to change five of them. The five move to a row of their own, written by the ledger alone.
    op.create_table(
        'positions',
        sa.Column('prisoner_id', BIG_ID, autoincrement=False, nullable=False),
        *_columns(),
        sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_positions_prisoner_id_prisoners')),
        sa.PrimaryKeyConstraint('prisoner_id', name=op.f('pk_positions')),
    )
    op.execute(f"INSERT INTO positions (prisoner_id, {', '.join(COLUMNS)}) SELECT id, {', '.join(COLUMNS)} FROM prisoners")
    op.create_index('ix_positions_location', 'positions', ['current_location_id'], unique=False)
    op.create_index('ix_positions_cell', 'positions', ['cell_id'], unique=False)
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.drop_index('ix_prisoners_location')
        batch_op.drop_index('ix_prisoners_cell')
        batch_op.drop_constraint('fk_prisoners_current_location_id_locations', type_='foreignkey')
        batch_op.drop_constraint('fk_prisoners_cell_id_locations', type_='foreignkey')
        for name in COLUMNS:
            batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        for column in _columns():
            batch_op.add_column(column)
    op.execute("UPDATE prisoners SET " + ", ".join(f"{c} = (SELECT q.{c} FROM positions q WHERE q.prisoner_id = prisoners.id)" for c in COLUMNS))
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_prisoners_current_location_id_locations', 'locations', ['current_location_id'], ['id'])
        batch_op.create_foreign_key('fk_prisoners_cell_id_locations', 'locations', ['cell_id'], ['id'])
        batch_op.create_index('ix_prisoners_location', ['current_location_id', 'in_custody'], unique=False)
        batch_op.create_index('ix_prisoners_cell', ['cell_id'], unique=False)
    op.drop_index('ix_positions_cell', table_name='positions')
    op.drop_index('ix_positions_location', table_name='positions')
    op.drop_table('positions')
