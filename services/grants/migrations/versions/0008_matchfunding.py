"""Matchfunding: matching pots set aside from a fund, the campaigns they match, a match per pledge, the payouts to successful campaigns (issue 13).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('match_pots',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('ratio_percent', sa.Integer(), nullable=False),
    sa.Column('cap_per_pledge_cents', sa.Integer(), nullable=False),
    sa.Column('cap_per_campaign_cents', sa.Integer(), nullable=True),
    sa.Column('pledges_per_backer', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], name=op.f('fk_match_pots_created_by_accounts')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_match_pots_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_pots'))
    )
    op.create_index(op.f('ix_match_pots_fund_id'), 'match_pots', ['fund_id'], unique=False)
    op.create_table('matches',
    sa.Column('pledge_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=True),
    sa.Column('backer_account_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('matched_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pot_id'], ['match_pots.id'], name=op.f('fk_matches_pot_id_match_pots')),
    sa.PrimaryKeyConstraint('pledge_id', name=op.f('pk_matches'))
    )
    op.create_index('ix_matches_campaign_id_backer', 'matches', ['campaign_id', 'backer_account_id'], unique=False)
    op.create_index('ix_matches_pot_id_status', 'matches', ['pot_id', 'status'], unique=False)
    op.create_table('match_campaigns',
    sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_account_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=True),
    sa.Column('award_id', sa.Integer(), nullable=True),
    sa.Column('qualified_via', sa.String(length=10), nullable=True),
    sa.Column('linked_by', sa.Integer(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_match_campaigns_award_id_awards')),
    sa.ForeignKeyConstraint(['linked_by'], ['accounts.id'], name=op.f('fk_match_campaigns_linked_by_accounts')),
    sa.ForeignKeyConstraint(['pot_id'], ['match_pots.id'], name=op.f('fk_match_campaigns_pot_id_match_pots')),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_match_campaigns'))
    )
    op.create_index(op.f('ix_match_campaigns_pot_id'), 'match_campaigns', ['pot_id'], unique=False)
    op.create_table('match_payouts',
    sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('bank_reference', sa.String(length=35), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['match_campaigns.campaign_id'], name=op.f('fk_match_payouts_campaign_id_match_campaigns')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_match_payouts_fund_id_funds')),
    sa.ForeignKeyConstraint(['pot_id'], ['match_pots.id'], name=op.f('fk_match_payouts_pot_id_match_pots')),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts.id'], name=op.f('fk_match_payouts_recorded_by_accounts')),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_match_payouts'))
    )
    op.create_index(op.f('ix_match_payouts_fund_id'), 'match_payouts', ['fund_id'], unique=False)
    op.create_index(op.f('ix_match_payouts_pot_id'), 'match_payouts', ['pot_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_match_payouts_pot_id'), table_name='match_payouts')
    op.drop_index(op.f('ix_match_payouts_fund_id'), table_name='match_payouts')
    op.drop_table('match_payouts')
    op.drop_index(op.f('ix_match_campaigns_pot_id'), table_name='match_campaigns')
    op.drop_table('match_campaigns')
    op.drop_index('ix_matches_pot_id_status', table_name='matches')
    op.drop_index('ix_matches_campaign_id_backer', table_name='matches')
    op.drop_table('matches')
    op.drop_index(op.f('ix_match_pots_fund_id'), table_name='match_pots')
    op.drop_table('match_pots')
