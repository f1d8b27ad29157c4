"""Campaigns, their owners' organisations, reward tiers, moderation decisions, pledges, news,
and what is kept of Stripe (backers' customers, webhook events processed)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 19:31:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=255), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    op.create_index(op.f('ix_stripe_events_object_id'), 'stripe_events', ['object_id'], unique=False)
    op.create_table('owners',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('rna', sa.String(length=10), nullable=True),
    sa.Column('postal_code', sa.String(length=5), nullable=False),
    sa.Column('city', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_owners_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners')),
    sa.UniqueConstraint('account_id', name=op.f('uq_owners_account_id'))
    )
    op.create_table('stripe_customers',
    sa.Column('account_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('customer_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_stripe_customers_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_stripe_customers')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_stripe_customers_customer_id'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title_fr', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('pitch_fr', sa.Text(), nullable=False),
    sa.Column('pitch_en', sa.Text(), nullable=True),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('goal_cents', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('funding_model', sa.String(length=20), nullable=False),
    sa.Column('budget', sa.JSON(), nullable=False),
    sa.Column('grant_receipt_number', sa.String(length=40), nullable=True),
    sa.Column('cover_sha256', sa.String(length=64), nullable=True),
    sa.Column('cover_format', sa.String(length=4), nullable=True),
    sa.Column('cover_widths', sa.JSON(), nullable=False),
    sa.Column('cover_alt_fr', sa.String(length=300), nullable=True),
    sa.Column('cover_alt_en', sa.String(length=300), nullable=True),
    sa.Column('moderation_reason', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_campaigns_account_id_accounts')),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_campaigns_owner_id_owners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_index(op.f('ix_campaigns_account_id'), 'campaigns', ['account_id'], unique=False)
    op.create_index(op.f('ix_campaigns_ends_at'), 'campaigns', ['ends_at'], unique=False)
    op.create_index(op.f('ix_campaigns_owner_id'), 'campaigns', ['owner_id'], unique=False)
    op.create_index(op.f('ix_campaigns_status'), 'campaigns', ['status'], unique=False)
    op.create_table('moderation_decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_moderation_decisions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by'], ['accounts.id'], name=op.f('fk_moderation_decisions_decided_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_decisions'))
    )
    op.create_index(op.f('ix_moderation_decisions_campaign_id'), 'moderation_decisions', ['campaign_id'], unique=False)
    op.create_table('news_posts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('posted_by', sa.Integer(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_news_posts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posted_by'], ['accounts.id'], name=op.f('fk_news_posts_posted_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_posts'))
    )
    op.create_index(op.f('ix_news_posts_campaign_id'), 'news_posts', ['campaign_id'], unique=False)
    op.create_table('reward_tiers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('title_fr', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('description_fr', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('minimum_cents', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('delivery_month', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_reward_tiers_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_tiers'))
    )
    op.create_index(op.f('ix_reward_tiers_campaign_id'), 'reward_tiers', ['campaign_id'], unique=False)
    op.create_table('pledges',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('public_name', sa.Boolean(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_setup_intent_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_payment_method_id', sa.String(length=255), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.Column('card_error', sa.String(length=500), nullable=True),
    sa.Column('card_detached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transfer_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transfer_received_by', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_pledges_account_id_accounts')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_pledges_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['tier_id'], ['reward_tiers.id'], name=op.f('fk_pledges_tier_id_reward_tiers')),
    sa.ForeignKeyConstraint(['transfer_received_by'], ['accounts.id'], name=op.f('fk_pledges_transfer_received_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges')),
    sa.UniqueConstraint('reference', name=op.f('uq_pledges_reference')),
    sa.UniqueConstraint('stripe_setup_intent_id', name=op.f('uq_pledges_stripe_setup_intent_id'))
    )
    op.create_index(op.f('ix_pledges_account_id'), 'pledges', ['account_id'], unique=False)
    op.create_index(op.f('ix_pledges_campaign_id'), 'pledges', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_pledges_status'), 'pledges', ['status'], unique=False)
    op.create_index(op.f('ix_pledges_tier_id'), 'pledges', ['tier_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_pledges_tier_id'), table_name='pledges')
    op.drop_index(op.f('ix_pledges_status'), table_name='pledges')
    op.drop_index(op.f('ix_pledges_campaign_id'), table_name='pledges')
    op.drop_index(op.f('ix_pledges_account_id'), table_name='pledges')
    op.drop_table('pledges')
    op.drop_index(op.f('ix_reward_tiers_campaign_id'), table_name='reward_tiers')
    op.drop_table('reward_tiers')
    op.drop_index(op.f('ix_news_posts_campaign_id'), table_name='news_posts')
    op.drop_table('news_posts')
    op.drop_index(op.f('ix_moderation_decisions_campaign_id'), table_name='moderation_decisions')
    op.drop_table('moderation_decisions')
    op.drop_index(op.f('ix_campaigns_status'), table_name='campaigns')
    op.drop_index(op.f('ix_campaigns_owner_id'), table_name='campaigns')
    op.drop_index(op.f('ix_campaigns_ends_at'), table_name='campaigns')
    op.drop_index(op.f('ix_campaigns_account_id'), table_name='campaigns')
    op.drop_table('campaigns')
    op.drop_table('stripe_customers')
    op.drop_table('owners')
    op.drop_index(op.f('ix_stripe_events_object_id'), table_name='stripe_events')
    op.drop_table('stripe_events')
