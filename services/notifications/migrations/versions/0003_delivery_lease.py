"""Deliveries get a lease while a worker sends them, and the time a worker was last woken for them

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 05:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('woken_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # A delivery being sent goes back to the queue: the older code knows no `sending`.
    op.execute("UPDATE deliveries SET status = 'queued' WHERE status = 'sending'")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('woken_at')
        batch_op.drop_column('lease_until')
