"""legal lifecycle, sentences, release calculations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 20:11:02.975178
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

# BIGINT on PostgreSQL, the rowid alias on SQLite.
OPEN_END = date(9999, 12, 31)  # habeas.legal.service.OPEN_END
BIG_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rules_files',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('first_used_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_rules_files'))
    )
    op.create_table('release_calculations',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('episode_id', BIG_ID, nullable=False),
    sa.Column('trigger', sa.String(length=200), nullable=False),
    sa.Column('release_date', sa.Date(), nullable=True),
    sa.Column('sentence_expiry', sa.Date(), nullable=True),
    sa.Column('eligibility_date', sa.Date(), nullable=True),
    sa.Column('immediate', sa.Boolean(), nullable=False),
    sa.Column('life', sa.Boolean(), nullable=False),
    sa.Column('beyond_calendar', sa.Boolean(), nullable=False),
    sa.Column('release_year', sa.Integer(), nullable=True),
    sa.Column('rules_digest', sa.String(length=64), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('computed_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episodes.id'], name=op.f('fk_release_calculations_episode_id_custody_episodes')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_release_calculations_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_calculations'))
    )
    with op.batch_alter_table('release_calculations', schema=None) as batch_op:
        batch_op.create_index('ix_release_calculations_episode', ['episode_id', 'id'], unique=False)

    op.create_table('remand_periods',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('episode_id', BIG_ID, nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episodes.id'], name=op.f('fk_remand_periods_episode_id_custody_episodes')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_remand_periods_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remand_periods'))
    )
    with op.batch_alter_table('remand_periods', schema=None) as batch_op:
        batch_op.create_index('ix_remand_periods_episode', ['episode_id'], unique=False)

    op.create_table('sentence_adjustments',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('episode_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episodes.id'], name=op.f('fk_sentence_adjustments_episode_id_custody_episodes')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_sentence_adjustments_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sentence_adjustments'))
    )
    with op.batch_alter_table('sentence_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_sentence_adjustments_episode', ['episode_id'], unique=False)

    op.create_table('sentences',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('episode_id', BIG_ID, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('sentence_date', sa.Date(), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('life', sa.Boolean(), nullable=False),
    sa.Column('minimum_years', sa.Integer(), nullable=True),
    sa.Column('minimum_months', sa.Integer(), nullable=True),
    sa.Column('minimum_days', sa.Integer(), nullable=True),
    sa.Column('consecutive_to', sa.String(length=40), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('offence', sa.String(length=300), nullable=True),
    sa.Column('court', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episodes.id'], name=op.f('fk_sentences_episode_id_custody_episodes')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_sentences_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sentences'))
    )
    with op.batch_alter_table('sentences', schema=None) as batch_op:
        batch_op.create_index('ix_sentences_episode', ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sentences_prisoner_id'), ['prisoner_id'], unique=False)

    op.create_table('legal_basis_events',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('basis_id', BIG_ID, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('related_id', BIG_ID, nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['basis_id'], ['legal_bases.id'], name=op.f('fk_legal_basis_events_basis_id_legal_bases')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_legal_basis_events_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_basis_events'))
    )
    with op.batch_alter_table('legal_basis_events', schema=None) as batch_op:
        batch_op.create_index('ix_legal_basis_events_basis', ['basis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_basis_events_prisoner_id'), ['prisoner_id'], unique=False)

    with op.batch_alter_table('custody_episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('release_calculation_id', BIG_ID, nullable=True))
        batch_op.add_column(sa.Column('readmitted_from_id', BIG_ID, nullable=True))
        batch_op.create_index(batch_op.f('ix_custody_episodes_release_date'), ['release_date'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_custody_episodes_readmitted_from_id_custody_episodes'), 'custody_episodes', ['readmitted_from_id'], ['id'])

    with op.batch_alter_table('legal_bases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by_id', BIG_ID, nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.Text(), nullable=True))
        batch_op.create_index('ix_legal_bases_status_review', ['status', 'review_due'], unique=False)
        batch_op.create_index('ix_legal_bases_status_expiry', ['status', 'expiry_date'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_legal_bases_superseded_by_id_legal_bases'), 'legal_bases', ['superseded_by_id'], ['id'])

    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('basis_until', sa.Date(), nullable=True))
        batch_op.create_index('ix_prisoners_basis', ['current_site_id', 'basis_until'], unique=False)
        batch_op.create_index('ix_prisoners_episode', ['current_episode_id'], unique=False)

    _derive_basis_until()


def _derive_basis_until() -> None:
    """Each person's last day covered by an active basis, from the bases recorded before this revision."""
    conn = op.get_bind()
    lb = sa.table("legal_bases", sa.column("prisoner_id"), sa.column("expiry_date"), sa.column("status"))
    until: dict = {}
    for pid, expiry in conn.execute(sa.select(lb.c.prisoner_id, lb.c.expiry_date).where(lb.c.status == "active")):
        end = expiry or OPEN_END
        until[pid] = max(until.get(pid, end), end)
    p = sa.table("prisoners", sa.column("id"), sa.column("basis_until"))
    if until:
        conn.execute(p.update().where(p.c.id == sa.bindparam("pid")).values(basis_until=sa.bindparam("until")),
                     [{"pid": k, "until": v} for k, v in until.items()])



def downgrade() -> None:
    op.drop_table('rules_files')
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.drop_index('ix_prisoners_episode')
        batch_op.drop_index('ix_prisoners_basis')
        batch_op.drop_column('basis_until')

    with op.batch_alter_table('legal_bases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_legal_bases_superseded_by_id_legal_bases'), type_='foreignkey')
        batch_op.drop_index('ix_legal_bases_status_expiry')
        batch_op.drop_index('ix_legal_bases_status_review')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('superseded_by_id')

    with op.batch_alter_table('custody_episodes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_custody_episodes_readmitted_from_id_custody_episodes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_custody_episodes_release_date'))
        batch_op.drop_column('readmitted_from_id')
        batch_op.drop_column('release_calculation_id')
        batch_op.drop_column('release_date')

    with op.batch_alter_table('legal_basis_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_basis_events_prisoner_id'))
        batch_op.drop_index('ix_legal_basis_events_basis')

    op.drop_table('legal_basis_events')
    with op.batch_alter_table('sentences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sentences_prisoner_id'))
        batch_op.drop_index('ix_sentences_episode')

    op.drop_table('sentences')
    with op.batch_alter_table('sentence_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_sentence_adjustments_episode')

    op.drop_table('sentence_adjustments')
    with op.batch_alter_table('remand_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_remand_periods_episode')

    op.drop_table('remand_periods')
    with op.batch_alter_table('release_calculations', schema=None) as batch_op:
        batch_op.drop_index('ix_release_calculations_episode')

    op.drop_table('release_calculations')
