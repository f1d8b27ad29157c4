"""Matchfunding: each pledge's match from the grant fund, as the grants answered (issue 13). Down from 0004: re-chained after 0005 when merged

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pledge_matches',
    sa.Column('pledge_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reserved_cents', sa.Integer(), nullable=False),
    sa.Column('released_cents', sa.Integer(), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_pledge_matches_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_pledge_matches_pledge_id_pledges')),
    sa.PrimaryKeyConstraint('pledge_id', name=op.f('pk_pledge_matches'))
    )
    op.create_index(op.f('ix_pledge_matches_campaign_id'), 'pledge_matches', ['campaign_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_pledge_matches_campaign_id'), table_name='pledge_matches')
    op.drop_table('pledge_matches')
