"""Alembic, run the same way for every service.

Each service keeps its own `migrations/` folder; its `env.py` calls `run_env` with its metadata.
`upgrade` is what the start commands call, under a PostgreSQL advisory lock so that several
processes starting together migrate once.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from shared.core import consumer, outbox  # noqa: F401  (their tables are on CoreBase)
from shared.core.db import CoreBase, make_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported by the functions that use it, not here: every web process imports this
# module (for its `migrate` command), and alembic with mako and pygments weighs about 11 MB in
# each of them, which only the migration command needs.

_LOCK_ID = 724_001  # any constant: serialises concurrent `upgrade` calls on one database


def alembic_config(migrations_dir: Path, url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, url: str) -> None:
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            config = alembic_config(migrations_dir, url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def run_env(service_metadata) -> None:
    """Body of each service's migrations/env.py."""
    from alembic import context

    target = [CoreBase.metadata, service_metadata]
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, target)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        _run(connection, target)
    engine.dispose()


def _run(connection, target) -> None:
    from alembic import context

    context.configure(
        connection=connection,
        target_metadata=target,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# --- The core tables every service has (outbox, processed events, accounts) -----------------
# Each service's first migration calls these, so the databases get the same shape from
# one definition. A later change to a core table is a new function here, called by a new
# migration in each service.


def create_core_tables() -> None:
    """The first migration's tables (before the platform had one account, each service kept its
    own accounts; later migrations turn that table into the service's copy of people)."""
    create_accounts_table()
    create_event_tables()


def create_accounts_table() -> None:
    """The accounts table as it began in every service (the accounts service's own starts so too)."""
    from alembic import op
    import sqlalchemy as sa

    op.create_table('accounts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_accounts_email'))
    )


def create_event_tables() -> None:
    """The outbox and the processed events, which every service's database has."""
    from alembic import op
    import sqlalchemy as sa

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('producer', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )


def drop_core_tables() -> None:
    from alembic import op

    drop_event_tables()
    op.drop_table('accounts')


def drop_event_tables() -> None:
    from alembic import op

    op.drop_table('processed_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))
    op.drop_table('outbox')


# --- Later changes to the core `accounts` table, the same in each service's database ---------------


def add_account_session_version() -> None:
    """Accounts carry a session version: moving it on ends every session and token issued before."""
    from alembic import op
    import sqlalchemy as sa

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def drop_account_session_version() -> None:
    from alembic import op

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('session_version')


def accounts_become_copies() -> None:
    """A service's accounts become its copy of the platform's accounts (kept by the accounts
    service): no password needed any more (an old one stays until `adopt-accounts` has read it),
    and the time the copy was last brought up to date."""
    from alembic import op
    import sqlalchemy as sa

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=200), nullable=True)
        batch_op.add_column(sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True))


def accounts_become_their_own() -> None:
    from alembic import op
    import sqlalchemy as sa

    op.execute("UPDATE accounts SET password_hash = '' WHERE password_hash IS NULL")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('synced_at')
        batch_op.alter_column('password_hash', existing_type=sa.String(length=200), nullable=False)
