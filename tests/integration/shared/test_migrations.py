"""Each service's migrations make exactly the tables its models describe, on PostgreSQL and SQLite."""
import importlib

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from shared.core.db import CoreBase
from shared.core.migrations import alembic_config, upgrade

SERVICES = ("grants", "crowdfunding", "notifications", "accounts")


def _differences(url, service):
    models = importlib.import_module(f"services.{service}.models")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, [CoreBase.metadata, models.Base.metadata])
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_postgresql_schema_matches_the_models(databases, service):
    assert _differences(databases[service], service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_sqlite_upgrade_downgrade_upgrade(tmp_path, service):
    url = f"sqlite:///{tmp_path / service}.db"
    migrations = importlib.import_module(f"services.{service}.config").MIGRATIONS_DIR
    upgrade(migrations, url)
    assert _differences(url, service) == []
    command.downgrade(alembic_config(migrations, url), "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(migrations, url)
    assert _differences(url, service) == []
