"""The platform's accounts, its invitations, and the outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-23 06:10:00.000000
"""
from alembic import op
import sqlalchemy as sa

from shared.core.migrations import (
    add_account_session_version,
    create_accounts_table,
    create_event_tables,
    drop_event_tables,
)


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_event_tables()
    create_accounts_table()
    add_account_session_version()
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=300), nullable=True),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_invitations_account_id_accounts')),
    sa.ForeignKeyConstraint(['invited_by'], ['accounts.id'], name=op.f('fk_invitations_invited_by_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_email'))
    op.drop_table('invitations')
    op.drop_table('accounts')
    drop_event_tables()
