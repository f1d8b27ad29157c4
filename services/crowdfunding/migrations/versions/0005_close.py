"""The close: a campaign's outcome, its pledges' payments (charge attempts, each with its own
PaymentIntent and idempotency key), refunds and refund requests, and the owner's payout

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('close_queued_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('closed_pledged_cents', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('cancelled_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('payout_cents', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('payout_reference', sa.String(length=140), nullable=True))
        batch.add_column(sa.Column('payout_recorded_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('payout_recorded_by', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_campaigns_cancelled_by_accounts'), 'accounts', ['cancelled_by'], ['id'])
        batch.create_foreign_key(op.f('fk_campaigns_payout_recorded_by_accounts'), 'accounts',
                                 ['payout_recorded_by'], ['id'])
        batch.create_index(op.f('ix_campaigns_outcome'), ['outcome'], unique=False)
    with op.batch_alter_table('pledges') as batch:
        batch.add_column(sa.Column('payment_status', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('paid_cents', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('refunded_cents', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('charge_queued_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('action_reason', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('action_since', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('action_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('reminders_sent', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f('ix_pledges_payment_status'), ['payment_status'], unique=False)
    op.create_table('charge_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('off_session', sa.Boolean(), nullable=False),
    sa.Column('customer_id', sa.String(length=255), nullable=False),
    sa.Column('payment_method_id', sa.String(length=255), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('fee_cents', sa.Integer(), nullable=True),
    sa.Column('error_code', sa.String(length=60), nullable=True),
    sa.Column('error_message', sa.String(length=500), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_charge_attempts_pledge_id_pledges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charge_attempts')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_charge_attempts_idempotency_key')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_charge_attempts_payment_intent_id')),
    sa.UniqueConstraint('pledge_id', 'number', name=op.f('uq_charge_attempts_pledge_id'))
    )
    op.create_index(op.f('ix_charge_attempts_pledge_id'), 'charge_attempts', ['pledge_id'], unique=False)
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('stripe_refund_id', sa.String(length=255), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_message', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_refunds_pledge_id_pledges')),
    sa.ForeignKeyConstraint(['requested_by'], ['accounts.id'], name=op.f('fk_refunds_requested_by_accounts')),
    sa.ForeignKeyConstraint(['decided_by'], ['accounts.id'], name=op.f('fk_refunds_decided_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refunds_idempotency_key')),
    sa.UniqueConstraint('stripe_refund_id', name=op.f('uq_refunds_stripe_refund_id'))
    )
    op.create_index(op.f('ix_refunds_pledge_id'), 'refunds', ['pledge_id'], unique=False)
    op.create_index(op.f('ix_refunds_status'), 'refunds', ['status'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_refunds_status'), table_name='refunds')
    op.drop_index(op.f('ix_refunds_pledge_id'), table_name='refunds')
    op.drop_table('refunds')
    op.drop_index(op.f('ix_charge_attempts_pledge_id'), table_name='charge_attempts')
    op.drop_table('charge_attempts')
    with op.batch_alter_table('pledges') as batch:
        batch.drop_index(op.f('ix_pledges_payment_status'))
        for column in ('failed_at', 'reminders_sent', 'action_expires_at', 'action_since', 'action_reason', 'paid_at',
                       'charge_queued_at', 'refunded_cents', 'paid_cents', 'payment_status'):
            batch.drop_column(column)
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_index(op.f('ix_campaigns_outcome'))
        batch.drop_constraint(op.f('fk_campaigns_payout_recorded_by_accounts'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_campaigns_cancelled_by_accounts'), type_='foreignkey')
        for column in ('payout_recorded_by', 'payout_recorded_at', 'payout_reference', 'payout_cents',
                       'cancelled_by', 'cancel_reason', 'cancelled_at', 'closed_pledged_cents',
                       'close_queued_at', 'closed_at', 'outcome'):
            batch.drop_column(column)
