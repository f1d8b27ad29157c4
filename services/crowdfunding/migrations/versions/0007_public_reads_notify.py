"""Changes to what a campaign's page shows notify the web processes that replay it from memory
(shared.web.public_reads): a trigger per statement on each table it reads sends
NOTIFY tremplin_public_reads at commit. PostgreSQL only: on SQLite (make run) nothing is replayed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:00:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The campaign page's tables, as services/crowdfunding/app.py names them (written here, not
# imported: a migration keeps what it did when it was written).
TABLES = ("campaigns", "owners", "reward_tiers", "pledges", "pledge_matches", "news_posts", "accounts")


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
    for table in TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_public_reads_changed
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION tremplin_public_reads_changed()
        """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_public_reads_changed ON {table}")
    op.execute("DROP FUNCTION tremplin_public_reads_changed()")
