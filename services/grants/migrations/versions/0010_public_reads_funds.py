"""A call's public page shows its fund: changes to the funds notify the web processes that replay
it from memory (shared.web.public_reads), as changes to the calls do (0009). PostgreSQL only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:00:00
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE TRIGGER funds_public_reads_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON funds
        FOR EACH STATEMENT EXECUTE FUNCTION tremplin_public_reads_changed()
    """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER funds_public_reads_changed ON funds")
