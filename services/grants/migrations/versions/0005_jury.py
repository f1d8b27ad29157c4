"""The jury: jurors' profiles, each call's jury and panel, assignments, declarations of
conflicts, flags of obvious conflicts, reviews and the jury's log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:27:01.374774
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('juror_profiles',
    sa.Column('account_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=300), nullable=True),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_juror_profiles_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_juror_profiles'))
    )
    op.create_table('juries',
    sa.Column('call_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('reviews_per_application', sa.Integer(), nullable=False),
    sa.Column('review_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_days_before', sa.Integer(), nullable=False),
    sa.Column('disagreement_threshold', sa.Integer(), nullable=False),
    sa.Column('deliberation_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_juries_call_id_calls')),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_juries'))
    )
    op.create_table('jury_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('juror_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['accounts.id'], name=op.f('fk_jury_log_actor_id_accounts')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_jury_log_call_id_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jury_log'))
    )
    op.create_index(op.f('ix_jury_log_call_id'), 'jury_log', ['call_id'], unique=False)
    op.create_table('panel_members',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('juror_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminder_revision', sa.Integer(), nullable=False),
    sa.Column('announced_remind_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_panel_members_call_id_calls')),
    sa.ForeignKeyConstraint(['juror_id'], ['juror_profiles.account_id'], name=op.f('fk_panel_members_juror_id_juror_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('call_id', 'juror_id', name=op.f('uq_panel_members_call_id'))
    )
    op.create_index(op.f('ix_panel_members_call_id'), 'panel_members', ['call_id'], unique=False)
    op.create_index(op.f('ix_panel_members_juror_id'), 'panel_members', ['juror_id'], unique=False)
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('juror_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_assignments_application_id_applications')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_assignments_call_id_calls')),
    sa.ForeignKeyConstraint(['juror_id'], ['juror_profiles.account_id'], name=op.f('fk_assignments_juror_id_juror_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('application_id', 'juror_id', name=op.f('uq_assignments_application_id'))
    )
    op.create_index(op.f('ix_assignments_application_id'), 'assignments', ['application_id'], unique=False)
    op.create_index(op.f('ix_assignments_call_id'), 'assignments', ['call_id'], unique=False)
    op.create_index(op.f('ix_assignments_juror_id'), 'assignments', ['juror_id'], unique=False)
    op.create_table('conflict_flags',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('juror_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_conflict_flags_application_id_applications')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_conflict_flags_call_id_calls')),
    sa.ForeignKeyConstraint(['decided_by'], ['accounts.id'], name=op.f('fk_conflict_flags_decided_by_accounts')),
    sa.ForeignKeyConstraint(['juror_id'], ['juror_profiles.account_id'], name=op.f('fk_conflict_flags_juror_id_juror_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflict_flags')),
    sa.UniqueConstraint('application_id', 'juror_id', 'rule', name=op.f('uq_conflict_flags_application_id'))
    )
    op.create_index(op.f('ix_conflict_flags_application_id'), 'conflict_flags', ['application_id'], unique=False)
    op.create_index(op.f('ix_conflict_flags_call_id'), 'conflict_flags', ['call_id'], unique=False)
    op.create_index(op.f('ix_conflict_flags_juror_id'), 'conflict_flags', ['juror_id'], unique=False)
    op.create_table('declarations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('juror_id', sa.Integer(), nullable=False),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_declarations_application_id_applications')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_declarations_call_id_calls')),
    sa.ForeignKeyConstraint(['juror_id'], ['juror_profiles.account_id'], name=op.f('fk_declarations_juror_id_juror_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declarations')),
    sa.UniqueConstraint('application_id', 'juror_id', name=op.f('uq_declarations_application_id'))
    )
    op.create_index(op.f('ix_declarations_application_id'), 'declarations', ['application_id'], unique=False)
    op.create_index(op.f('ix_declarations_call_id'), 'declarations', ['call_id'], unique=False)
    op.create_index(op.f('ix_declarations_juror_id'), 'declarations', ['juror_id'], unique=False)
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('juror_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('recommendation', sa.String(length=10), nullable=True),
    sa.Column('overall_comment', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_reviews_application_id_applications')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_reviews_call_id_calls')),
    sa.ForeignKeyConstraint(['juror_id'], ['juror_profiles.account_id'], name=op.f('fk_reviews_juror_id_juror_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('application_id', 'juror_id', name=op.f('uq_reviews_application_id'))
    )
    op.create_index(op.f('ix_reviews_application_id'), 'reviews', ['application_id'], unique=False)
    op.create_index('ix_reviews_call_id_status', 'reviews', ['call_id', 'status'], unique=False)
    op.create_index(op.f('ix_reviews_juror_id'), 'reviews', ['juror_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_reviews_juror_id'), table_name='reviews')
    op.drop_index('ix_reviews_call_id_status', table_name='reviews')
    op.drop_index(op.f('ix_reviews_application_id'), table_name='reviews')
    op.drop_table('reviews')
    op.drop_index(op.f('ix_declarations_juror_id'), table_name='declarations')
    op.drop_index(op.f('ix_declarations_call_id'), table_name='declarations')
    op.drop_index(op.f('ix_declarations_application_id'), table_name='declarations')
    op.drop_table('declarations')
    op.drop_index(op.f('ix_conflict_flags_juror_id'), table_name='conflict_flags')
    op.drop_index(op.f('ix_conflict_flags_call_id'), table_name='conflict_flags')
    op.drop_index(op.f('ix_conflict_flags_application_id'), table_name='conflict_flags')
    op.drop_table('conflict_flags')
    op.drop_index(op.f('ix_assignments_juror_id'), table_name='assignments')
    op.drop_index(op.f('ix_assignments_call_id'), table_name='assignments')
    op.drop_index(op.f('ix_assignments_application_id'), table_name='assignments')
    op.drop_table('assignments')
    op.drop_index(op.f('ix_panel_members_juror_id'), table_name='panel_members')
    op.drop_index(op.f('ix_panel_members_call_id'), table_name='panel_members')
    op.drop_table('panel_members')
    op.drop_index(op.f('ix_jury_log_call_id'), table_name='jury_log')
    op.drop_table('jury_log')
    op.drop_table('juries')
    op.drop_table('juror_profiles')
