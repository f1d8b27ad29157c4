"""The awards: tranche plans, awards and their tranches, outcomes, reports, payments, repayments and the awards' log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tranche_plans',
    sa.Column('call_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tranches', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_tranche_plans_call_id_calls')),
    sa.ForeignKeyConstraint(['updated_by'], ['accounts.id'], name=op.f('fk_tranche_plans_updated_by_accounts')),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_tranche_plans'))
    )
    op.create_table('awards',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('conditions_fr', sa.Text(), nullable=False),
    sa.Column('conditions_en', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=True),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('terms_version', sa.String(length=20), nullable=True),
    sa.Column('signatory_name', sa.String(length=200), nullable=True),
    sa.Column('signatory_role', sa.String(length=200), nullable=True),
    sa.Column('iban', sa.String(length=34), nullable=True),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_awards_account_id_accounts')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_awards_application_id_applications')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_awards_call_id_calls')),
    sa.ForeignKeyConstraint(['cancelled_by'], ['accounts.id'], name=op.f('fk_awards_cancelled_by_accounts')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_awards_fund_id_funds')),
    sa.ForeignKeyConstraint(['granted_by'], ['accounts.id'], name=op.f('fk_awards_granted_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    sa.UniqueConstraint('application_id', name=op.f('uq_awards_application_id'))
    )
    op.create_index(op.f('ix_awards_account_id'), 'awards', ['account_id'], unique=False)
    op.create_index(op.f('ix_awards_call_id'), 'awards', ['call_id'], unique=False)
    op.create_index('ix_awards_fund_id_status', 'awards', ['fund_id', 'status'], unique=False)
    op.create_table('award_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['accounts.id'], name=op.f('fk_award_log_actor_id_accounts')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_log_award_id_awards')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_award_log_call_id_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_log'))
    )
    op.create_index(op.f('ix_award_log_call_id'), 'award_log', ['call_id'], unique=False)
    op.create_table('award_reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_reports_award_id_awards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_reports')),
    sa.UniqueConstraint('award_id', 'kind', 'number', name=op.f('uq_award_reports_award_id'))
    )
    op.create_index(op.f('ix_award_reports_award_id'), 'award_reports', ['award_id'], unique=False)
    op.create_table('award_tranches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due', sa.String(length=20), nullable=False),
    sa.Column('share_bp', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_tranches_award_id_awards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_tranches')),
    sa.UniqueConstraint('award_id', 'number', name=op.f('uq_award_tranches_award_id'))
    )
    op.create_index(op.f('ix_award_tranches_award_id'), 'award_tranches', ['award_id'], unique=False)
    op.create_table('outcomes',
    sa.Column('application_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=15), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comments_released', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_outcomes_application_id_applications')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_outcomes_award_id_awards')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_outcomes_call_id_calls')),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_outcomes'))
    )
    op.create_index(op.f('ix_outcomes_call_id'), 'outcomes', ['call_id'], unique=False)
    op.create_table('repayments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('received_reference', sa.String(length=35), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_repayments_award_id_awards')),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts.id'], name=op.f('fk_repayments_recorded_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repayments'))
    )
    op.create_index(op.f('ix_repayments_award_id'), 'repayments', ['award_id'], unique=False)
    op.create_table('payments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('tranche_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('bank_reference', sa.String(length=35), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_payments_award_id_awards')),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts.id'], name=op.f('fk_payments_recorded_by_accounts')),
    sa.ForeignKeyConstraint(['tranche_id'], ['award_tranches.id'], name=op.f('fk_payments_tranche_id_award_tranches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('tranche_id', 'bank_reference', name=op.f('uq_payments_tranche_id'))
    )
    op.create_index(op.f('ix_payments_award_id'), 'payments', ['award_id'], unique=False)
    op.create_index(op.f('ix_payments_tranche_id'), 'payments', ['tranche_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_payments_tranche_id'), table_name='payments')
    op.drop_index(op.f('ix_payments_award_id'), table_name='payments')
    op.drop_table('payments')
    op.drop_index(op.f('ix_repayments_award_id'), table_name='repayments')
    op.drop_table('repayments')
    op.drop_index(op.f('ix_outcomes_call_id'), table_name='outcomes')
    op.drop_table('outcomes')
    op.drop_index(op.f('ix_award_tranches_award_id'), table_name='award_tranches')
    op.drop_table('award_tranches')
    op.drop_index(op.f('ix_award_reports_award_id'), table_name='award_reports')
    op.drop_table('award_reports')
    op.drop_index(op.f('ix_award_log_call_id'), table_name='award_log')
    op.drop_table('award_log')
    op.drop_index('ix_awards_fund_id_status', table_name='awards')
    op.drop_index(op.f('ix_awards_call_id'), table_name='awards')
    op.drop_index(op.f('ix_awards_account_id'), table_name='awards')
    op.drop_table('awards')
    op.drop_table('tranche_plans')
