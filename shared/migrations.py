"""Alembic, run the same way for every service.

Each service keeps its own `migrations/` folder; its `env.py` calls `run_env` with its metadata.
`upgrade` is what the start commands call, under a PostgreSQL advisory lock so that several
processes starting together migrate once.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import text

from shared.db import CoreBase, make_engine

_LOCK_ID = 724_001  # any constant: serialises concurrent `upgrade` calls on one database


def alembic_config(migrations_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, url: str) -> None:
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
    context.configure(
        connection=connection,
        target_metadata=target,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
