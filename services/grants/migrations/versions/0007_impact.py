"""Impact: supported firms and their supports, registry checks, manual statuses, campaign outcomes, advice requests and sessions, alternative funding

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_outcomes',
    sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('goal_cents', sa.Integer(), nullable=False),
    sa.Column('pledged_cents', sa.Integer(), nullable=False),
    sa.Column('backers', sa.Integer(), nullable=False),
    sa.Column('matched_cents', sa.Integer(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_campaign_outcomes'))
    )
    op.create_table('supported_firms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('follow_key', sa.String(length=40), nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('rna', sa.String(length=10), nullable=True),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=True),
    sa.Column('first_support_on', sa.Date(), nullable=True),
    sa.Column('comparison_since', sa.Date(), nullable=True),
    sa.Column('has_grant', sa.Boolean(), nullable=False),
    sa.Column('has_crowdfunding', sa.Boolean(), nullable=False),
    sa.Column('registry_status', sa.String(length=10), nullable=True),
    sa.Column('registry_closed_on', sa.Date(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=True),
    sa.Column('last_checked_on', sa.Date(), nullable=True),
    sa.Column('manual_status', sa.String(length=10), nullable=True),
    sa.Column('manual_closed_on', sa.Date(), nullable=True),
    sa.Column('manual_on', sa.Date(), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supported_firms')),
    sa.UniqueConstraint('follow_key', name=op.f('uq_supported_firms_follow_key')),
    sa.UniqueConstraint('siren', name=op.f('uq_supported_firms_siren'))
    )
    op.create_index('ix_supported_firms_next_check_at', 'supported_firms', ['next_check_at'], unique=False)
    op.create_table('advice_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=300), nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('project', sa.Text(), nullable=False),
    sa.Column('mechanisms', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_advice_requests_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_requests'))
    )
    op.create_index(op.f('ix_advice_requests_account_id'), 'advice_requests', ['account_id'], unique=False)
    op.create_index(op.f('ix_advice_requests_status'), 'advice_requests', ['status'], unique=False)
    op.create_table('manual_statuses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('known_on', sa.Date(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['firm_id'], ['supported_firms.id'], name=op.f('fk_manual_statuses_firm_id_supported_firms')),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts.id'], name=op.f('fk_manual_statuses_recorded_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_statuses'))
    )
    op.create_index(op.f('ix_manual_statuses_firm_id'), 'manual_statuses', ['firm_id'], unique=False)
    op.create_table('registry_checks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['supported_firms.id'], name=op.f('fk_registry_checks_firm_id_supported_firms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_checks'))
    )
    op.create_index(op.f('ix_registry_checks_firm_id'), 'registry_checks', ['firm_id'], unique=False)
    op.create_table('supports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['supported_firms.id'], name=op.f('fk_supports_firm_id_supported_firms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supports')),
    sa.UniqueConstraint('source_key', name=op.f('uq_supports_source_key'))
    )
    op.create_index(op.f('ix_supports_firm_id'), 'supports', ['firm_id'], unique=False)
    op.create_table('advice_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('organisation', sa.String(length=300), nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('mechanisms', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('referent_id', sa.Integer(), nullable=True),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referent_id'], ['accounts.id'], name=op.f('fk_advice_sessions_referent_id_accounts')),
    sa.ForeignKeyConstraint(['request_id'], ['advice_requests.id'], name=op.f('fk_advice_sessions_request_id_advice_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_sessions')),
    sa.UniqueConstraint('request_id', name=op.f('uq_advice_sessions_request_id'))
    )
    op.create_table('alternative_funding',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('organisation', sa.String(length=300), nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('obtained_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('referent_id', sa.Integer(), nullable=True),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referent_id'], ['accounts.id'], name=op.f('fk_alternative_funding_referent_id_accounts')),
    sa.ForeignKeyConstraint(['session_id'], ['advice_sessions.id'], name=op.f('fk_alternative_funding_session_id_advice_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alternative_funding'))
    )


def downgrade():
    op.drop_table('alternative_funding')
    op.drop_table('advice_sessions')
    op.drop_index(op.f('ix_supports_firm_id'), table_name='supports')
    op.drop_table('supports')
    op.drop_index(op.f('ix_registry_checks_firm_id'), table_name='registry_checks')
    op.drop_table('registry_checks')
    op.drop_index(op.f('ix_manual_statuses_firm_id'), table_name='manual_statuses')
    op.drop_table('manual_statuses')
    op.drop_index(op.f('ix_advice_requests_status'), table_name='advice_requests')
    op.drop_index(op.f('ix_advice_requests_account_id'), table_name='advice_requests')
    op.drop_table('advice_requests')
    op.drop_index('ix_supported_firms_next_check_at', table_name='supported_firms')
    op.drop_table('supported_firms')
    op.drop_table('campaign_outcomes')
