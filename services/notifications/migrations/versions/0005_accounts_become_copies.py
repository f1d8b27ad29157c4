"""The service's accounts become its copy of the platform's accounts (kept by the accounts
service): no password needed any more (an old one stays until `adopt-accounts` has read it), and
the time the copy was last brought up to date

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=200), nullable=True)
        batch_op.add_column(sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.execute("UPDATE accounts SET password_hash = '' WHERE password_hash IS NULL")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('synced_at')
        batch_op.alter_column('password_hash', existing_type=sa.String(length=200), nullable=False)
