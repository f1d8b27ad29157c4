"""Accounts carry a session version (shared.core.migrations.add_account_session_version)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:50:00.000000
"""
from shared.core.migrations import add_account_session_version, drop_account_session_version


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    add_account_session_version()


def downgrade():
    drop_account_session_version()
