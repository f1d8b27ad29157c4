"""Changes to the calls notify the web processes that replay the open calls from memory
(shared.web.public_reads): a trigger per statement sends NOTIFY tremplin_public_reads at commit.
PostgreSQL only: on SQLite (make run) nothing is replayed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION tremplin_public_reads_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tremplin_public_reads', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER calls_public_reads_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calls
        FOR EACH STATEMENT EXECUTE FUNCTION tremplin_public_reads_changed()
    """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER calls_public_reads_changed ON calls")
    op.execute("DROP FUNCTION tremplin_public_reads_changed()")
