"""movement write path: only closed stays are stored; the people-by-location index covers the custody flag

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

FOREIGN_KEYS = {'movement': 'movements', 'prisoner': 'prisoners', 'site': 'sites', 'location': 'locations'}


def upgrade() -> None:
    # A stay still open is the person's current location (prisoners.current_location_id since
    # last_moved_at): the ledger writes a stay once, when it ends, instead of writing it open and
    # updating it later. The open rows say nothing the people's rows do not, and would now be
    # counted twice.
    op.execute("DELETE FROM location_stays WHERE end_at IS NULL")
    # A stay is copied from its opening movement, whose keys the ledger checked: the stay's own
    # foreign keys only slowed every movement down.
    with op.batch_alter_table('location_stays', schema=None) as batch_op:
        batch_op.alter_column('end_at', existing_type=sa.DateTime(), nullable=False)
        for name in FOREIGN_KEYS:
            batch_op.drop_constraint(f'fk_location_stays_{name}_id_{FOREIGN_KEYS[name]}', type_='foreignkey')
    # "How many people in custody are in these places" is asked before every batch of movements
    # (capacity) and by the roll: answered from the index alone, without reading each person's row.
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.drop_index('ix_prisoners_location')
        batch_op.create_index('ix_prisoners_location', ['current_location_id', 'in_custody'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('location_stays', schema=None) as batch_op:
        batch_op.alter_column('end_at', existing_type=sa.DateTime(), nullable=True)
        for name, table in FOREIGN_KEYS.items():
            batch_op.create_foreign_key(f'fk_location_stays_{name}_id_{table}', table, [f'{name}_id'], ['id'])
    op.execute("INSERT INTO location_stays (movement_id, prisoner_id, site_id, location_id, start_at, end_at, span_level) "
               "SELECT m.id, m.prisoner_id, m.site_id, m.to_location_id, m.moved_at, NULL, 99 FROM prisoners p "
               "JOIN movements m ON m.id = p.last_movement_id WHERE p.current_location_id IS NOT NULL")
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.drop_index('ix_prisoners_location')
        batch_op.create_index('ix_prisoners_location', ['current_location_id'], unique=False)
