"""The service's accounts become its copy of the platform's accounts
(shared.core.migrations.accounts_become_copies)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:10:00.000000
"""
from shared.core.migrations import accounts_become_copies, accounts_become_their_own


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    accounts_become_copies()


def downgrade():
    accounts_become_their_own()
