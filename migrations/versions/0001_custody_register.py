"""custody register

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 18:38:55.943658
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# BIGINT on PostgreSQL, the rowid alias on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.BIGINT(), "postgresql").with_variant(sa.INTEGER(), "sqlite")

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('amendments',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=40), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendments'))
    )
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.create_index('ix_amendments_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('seq', BIG_ID, autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_actor', ['actor', 'seq'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity_type', 'entity_id', 'seq'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('sequences',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sequences'))
    )
    op.create_table('sites',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('operational_capacity', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('layout_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    op.create_table('users',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('user_id', BIG_ID, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('locations',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('parent_id', BIG_ID, nullable=True),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('local_code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('use', sa.String(length=32), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('residential', sa.Boolean(), nullable=False),
    sa.Column('floor_area_m2', sa.Float(), nullable=True),
    sa.Column('ceiling_height_m', sa.Float(), nullable=True),
    sa.Column('cna', sa.Integer(), nullable=False),
    sa.Column('working_capacity', sa.Integer(), nullable=False),
    sa.Column('max_capacity', sa.Integer(), nullable=False),
    sa.Column('toilets', sa.Integer(), nullable=False),
    sa.Column('sinks', sa.Integer(), nullable=False),
    sa.Column('water_containers', sa.Integer(), nullable=False),
    sa.Column('outdoor', sa.Boolean(), nullable=False),
    sa.Column('natural_light', sa.Boolean(), nullable=True),
    sa.Column('room_use', sa.String(length=32), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('effective_attributes', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['locations.id'], name=op.f('fk_locations_parent_id_locations')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_locations_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('site_id', 'code', name=op.f('uq_locations_site_id_code'))
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index('ix_locations_site_parent', ['site_id', 'parent_id'], unique=False)
        batch_op.create_index('ix_locations_site_type', ['site_id', 'type'], unique=False)

    op.create_table('prisoners',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_number', sa.String(length=16), nullable=False),
    sa.Column('surname', sa.String(length=120), nullable=False),
    sa.Column('given_names', sa.String(length=160), nullable=False),
    sa.Column('surname_norm', sa.String(length=120).with_variant(sa.VARCHAR(length=120, collation='C'), 'postgresql'), nullable=False),
    sa.Column('given_names_norm', sa.String(length=160).with_variant(sa.VARCHAR(length=160, collation='C'), 'postgresql'), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('nationality', sa.String(length=3), nullable=True),
    sa.Column('national_id', sa.String(length=40), nullable=True),
    sa.Column('security_level', sa.String(length=16), nullable=False),
    sa.Column('legal_status', sa.String(length=16), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('in_custody', sa.Boolean(), nullable=False),
    sa.Column('current_site_id', BIG_ID, nullable=True),
    sa.Column('current_location_id', BIG_ID, nullable=True),
    sa.Column('current_episode_id', BIG_ID, nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['current_location_id'], ['locations.id'], name=op.f('fk_prisoners_current_location_id_locations')),
    sa.ForeignKeyConstraint(['current_site_id'], ['sites.id'], name=op.f('fk_prisoners_current_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prisoners')),
    sa.UniqueConstraint('nationality', 'national_id', name=op.f('uq_prisoners_nationality_national_id')),
    sa.UniqueConstraint('prisoner_number', name=op.f('uq_prisoners_prisoner_number'))
    )
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.create_index('ix_prisoners_dob', ['date_of_birth'], unique=False)
        batch_op.create_index('ix_prisoners_location', ['current_location_id'], unique=False)
        batch_op.create_index('ix_prisoners_site', ['current_site_id', 'in_custody'], unique=False)
        batch_op.create_index('ix_prisoners_sort', ['surname_norm', 'given_names_norm', 'id'], unique=False)

    op.create_table('affiliations',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('group_name', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_affiliations_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliations'))
    )
    with op.batch_alter_table('affiliations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_affiliations_prisoner_id'), ['prisoner_id'], unique=False)

    op.create_table('custody_episodes',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('legal_status', sa.String(length=16), nullable=False),
    sa.Column('admitted_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('arrested_at', sa.DateTime(), nullable=True),
    sa.Column('arrest_place', sa.String(length=200), nullable=True),
    sa.Column('arresting_authority', sa.String(length=200), nullable=True),
    sa.Column('commitment_reason', sa.Text(), nullable=False),
    sa.Column('commitment_authority', sa.String(length=200), nullable=False),
    sa.Column('visible_injuries', sa.Text(), nullable=True),
    sa.Column('ill_treatment_complaint', sa.Text(), nullable=True),
    sa.Column('property_record', sa.Text(), nullable=True),
    sa.Column('next_of_kin_name', sa.String(length=200), nullable=True),
    sa.Column('next_of_kin_relationship', sa.String(length=80), nullable=True),
    sa.Column('next_of_kin_contact', sa.String(length=200), nullable=True),
    sa.Column('legal_representative', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_custody_episodes_prisoner_id_prisoners')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_custody_episodes_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_episodes'))
    )
    with op.batch_alter_table('custody_episodes', schema=None) as batch_op:
        batch_op.create_index('ix_custody_episodes_prisoner', ['prisoner_id', 'admitted_at'], unique=False)
        batch_op.create_index('ix_custody_episodes_source_ref', ['site_id', 'source_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_custody_episodes_site_id'), ['site_id'], unique=False)

    op.create_table('distinguishing_marks',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body_location', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_distinguishing_marks_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distinguishing_marks'))
    )
    with op.batch_alter_table('distinguishing_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distinguishing_marks_prisoner_id'), ['prisoner_id'], unique=False)

    op.create_table('prisoner_aliases',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_prisoner_aliases_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prisoner_aliases'))
    )
    with op.batch_alter_table('prisoner_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prisoner_aliases_prisoner_id'), ['prisoner_id'], unique=False)

    op.create_table('prisoner_name_tokens',
    sa.Column('token', sa.String(length=64).with_variant(sa.VARCHAR(length=64, collation='C'), 'postgresql'), nullable=False),
    sa.Column('sort_key', sa.String(length=320).with_variant(sa.VARCHAR(length=320, collation='C'), 'postgresql'), nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_prisoner_name_tokens_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('token', 'sort_key', name=op.f('pk_prisoner_name_tokens')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_prisoner_name_tokens_prisoner', 'prisoner_name_tokens', ['prisoner_id', 'token'], unique=False)
    op.create_table('legal_bases',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('episode_id', BIG_ID, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('issuing_authority', sa.String(length=200), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('review_due', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episodes.id'], name=op.f('fk_legal_bases_episode_id_custody_episodes')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_legal_bases_prisoner_id_prisoners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_bases'))
    )
    with op.batch_alter_table('legal_bases', schema=None) as batch_op:
        batch_op.create_index('ix_legal_bases_episode', ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_bases_expiry_date'), ['expiry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_bases_prisoner_id'), ['prisoner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_bases_review_due'), ['review_due'], unique=False)

    op.create_table('movements',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('prisoner_id', BIG_ID, nullable=False),
    sa.Column('episode_id', BIG_ID, nullable=True),
    sa.Column('site_id', BIG_ID, nullable=False),
    sa.Column('from_location_id', BIG_ID, nullable=True),
    sa.Column('to_location_id', BIG_ID, nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('escort', sa.String(length=200), nullable=True),
    sa.Column('moved_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episodes.id'], name=op.f('fk_movements_episode_id_custody_episodes')),
    sa.ForeignKeyConstraint(['from_location_id'], ['locations.id'], name=op.f('fk_movements_from_location_id_locations')),
    sa.ForeignKeyConstraint(['prisoner_id'], ['prisoners.id'], name=op.f('fk_movements_prisoner_id_prisoners')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_movements_site_id_sites')),
    sa.ForeignKeyConstraint(['to_location_id'], ['locations.id'], name=op.f('fk_movements_to_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movements'))
    )
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index('ix_movements_prisoner_time', ['prisoner_id', 'moved_at', 'id'], unique=False)
        batch_op.create_index('ix_movements_to_time', ['to_location_id', 'moved_at'], unique=False)

    # The audit chain starts from a fixed genesis hash; prisoner numbers start at 1.
    op.bulk_insert(
        sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger), sa.column("hash", sa.String)),
        [{"id": 1, "seq": 0, "hash": "0" * 64}],
    )
    op.bulk_insert(
        sa.table("sequences", sa.column("name", sa.String), sa.column("value", sa.Integer)),
        [{"name": "prisoner_number", "value": 0}],
    )


def downgrade() -> None:
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index('ix_movements_to_time')
        batch_op.drop_index('ix_movements_prisoner_time')

    op.drop_table('movements')
    with op.batch_alter_table('legal_bases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_bases_review_due'))
        batch_op.drop_index(batch_op.f('ix_legal_bases_prisoner_id'))
        batch_op.drop_index(batch_op.f('ix_legal_bases_expiry_date'))
        batch_op.drop_index('ix_legal_bases_episode')

    op.drop_table('legal_bases')
    op.drop_table('prisoner_name_tokens')
    with op.batch_alter_table('prisoner_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prisoner_aliases_prisoner_id'))

    op.drop_table('prisoner_aliases')
    with op.batch_alter_table('distinguishing_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distinguishing_marks_prisoner_id'))

    op.drop_table('distinguishing_marks')
    with op.batch_alter_table('custody_episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custody_episodes_site_id'))
        batch_op.drop_index('ix_custody_episodes_prisoner')

    op.drop_table('custody_episodes')
    with op.batch_alter_table('affiliations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_affiliations_prisoner_id'))

    op.drop_table('affiliations')
    with op.batch_alter_table('prisoners', schema=None) as batch_op:
        batch_op.drop_index('ix_prisoners_sort')
        batch_op.drop_index('ix_prisoners_site')
        batch_op.drop_index('ix_prisoners_location')
        batch_op.drop_index('ix_prisoners_dob')

    op.drop_table('prisoners')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index('ix_locations_site_type')
        batch_op.drop_index('ix_locations_site_parent')

    op.drop_table('locations')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('sites')
    op.drop_table('sequences')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_actor')

    op.drop_table('audit_events')
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.drop_index('ix_amendments_entity')

    op.drop_table('amendments')
