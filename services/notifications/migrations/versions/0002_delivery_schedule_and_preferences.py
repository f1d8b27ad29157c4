"""Deliveries get a due time, a topic and their last attempt; preferences per address and category

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:26:30.321563
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('preferences',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preferences')),
    sa.UniqueConstraint('email', 'category', name=op.f('uq_preferences_email'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_deliveries_topic'), ['topic'], unique=False)



def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_topic'))
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('due_at')
        batch_op.drop_column('topic')

    op.drop_table('preferences')
