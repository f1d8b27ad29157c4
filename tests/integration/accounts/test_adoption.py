"""Existing deployments: `adopt-accounts` moves the accounts each service kept into the accounts
service, on databases made by the migrations of before one platform, one account per address,
and every row that pointed at an old id points at the new one."""
import json
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from services.accounts.models import Account
from services.accounts.passwords import hash_password
from shared.core.migrations import alembic_config, upgrade
from tests.conftest import PG_ADMIN_URL

# The last migration of each service before the platform had one account.
BEFORE = {"grants": "0002", "notifications": "0003"}


@pytest.fixture
def old_databases(monkeypatch):
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    urls = {}
    with admin.connect() as connection:
        for service in BEFORE:
            name = f"tremplin_test_old_{service}_{uuid.uuid4().hex[:8]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls[service] = f"{base}/{name}"
            monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", urls[service])
    for service, revision in BEFORE.items():
        migrations = __import__(f"services.{service}.config", fromlist=["MIGRATIONS_DIR"]).MIGRATIONS_DIR
        command.upgrade(alembic_config(migrations, urls[service]), revision)
    yield urls
    with admin.connect() as connection:
        for url in urls.values():
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _execute(url, sql, **values):
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            return connection.execute(text(sql), values).all() if sql.lstrip().upper().startswith("SELECT") else \
                connection.execute(text(sql), values)
    finally:
        engine.dispose()


def _old_account(url, id_, email, name, password, roles, confirmed=True, created="2026-01-01"):
    _execute(url, "INSERT INTO accounts (id, email, name, password_hash, roles, language, confirmed_at, created_at) "
                  "VALUES (:id, :email, :name, :hash, :roles, 'fr', :confirmed, :created)",
             id=id_, email=email, name=name, hash=hash_password(password), roles=json.dumps(roles),
             confirmed="2026-01-02T00:00:00+00:00" if confirmed else None, created=created)


def test_accounts_of_every_service_become_one_account_per_address(old_databases, accounts_app):
    grants, notifications = old_databases["grants"], old_databases["notifications"]
    # Ids that collide across services and with the accounts service's own first account.
    _old_account(grants, 1, "ana@example.org", "Ana", "ana's grants password", ["applicant"], created="2026-01-01")
    _old_account(grants, 2, "bob@example.org", "Bob", "bob's grants password", ["fund_manager"])
    _old_account(notifications, 1, "carl@example.org", "Carl", "carl's password here", ["backer"], confirmed=False)
    _old_account(notifications, 2, "ana@example.org", "Ana N.", "ana's newer password", ["backer"], created="2026-03-01")
    for account_id in (1, 2):
        _execute(grants, "INSERT INTO organisations (account_id, legal_name, kind, address, postal_code, city, sector, "
                         "head_count) VALUES (:id, :name, 'company', 'rue', '63000', 'Clermont', 'music', 1)",
                 id=account_id, name=f"Org of {account_id}")
    _execute(notifications, "INSERT INTO preferences (email, category, subscribed, updated_at) "
                             "VALUES ('ana@example.org', 'reminders', false, '2026-01-01')")
    with accounts_app.extensions["db"].unit_of_work() as session:
        session.add(Account(email="dora@example.org", name="Dora", password_hash=hash_password("dora's password!"),
                            roles=["applicant"], language="fr", session_version=0))
    # The services start on the new version: their migrations run first.
    for service, url in old_databases.items():
        upgrade(__import__(f"services.{service}.config", fromlist=["MIGRATIONS_DIR"]).MIGRATIONS_DIR, url)

    runner = accounts_app.test_cli_runner()
    result = runner.invoke(args=["adopt-accounts", "--service", "grants", "--service", "notifications"])
    assert result.exit_code == 0, result.output
    assert "grants: 2 accounts adopted" in result.output and "notifications: 2 accounts adopted" in result.output

    with accounts_app.extensions["db"].unit_of_work() as session:
        adopted = {account.email: account for account in session.query(Account)}
        assert set(adopted) == {"dora@example.org", "ana@example.org", "bob@example.org", "carl@example.org"}
        ana, bob, carl = adopted["ana@example.org"], adopted["bob@example.org"], adopted["carl@example.org"]
        assert sorted(ana.roles) == ["applicant", "backer"] and ana.confirmed_at is not None
        assert carl.confirmed_at is None  # unconfirmed it was, unconfirmed it stays
        ids = {"ana": ana.id, "bob": bob.id, "carl": carl.id}
    # The newest confirmed password is kept, and it signs in; the older one does not.
    client = accounts_app.test_client()
    assert client.post("/api/auth/token", json={"email": "ana@example.org", "password": "ana's newer password"}).status_code == 200
    assert client.post("/api/auth/token", json={"email": "ana@example.org", "password": "ana's grants password"}).status_code == 401
    assert client.post("/api/auth/token", json={"email": "bob@example.org", "password": "bob's grants password"}).status_code == 200

    # Every service's rows follow their people to the new ids; the copies hold no password.
    rows = _execute(grants, "SELECT o.legal_name, a.id, a.email, a.password_hash FROM organisations o "
                            "JOIN accounts a ON a.id = o.account_id ORDER BY o.legal_name")
    assert rows == [("Org of 1", ids["ana"], "ana@example.org", None), ("Org of 2", ids["bob"], "bob@example.org", None)]
    copies = _execute(notifications, "SELECT id, email, roles FROM accounts ORDER BY id")
    assert [(row[0], row[1]) for row in copies] == sorted([(ids["ana"], "ana@example.org"), (ids["carl"], "carl@example.org")])

    # Run again: nothing left to adopt, nothing changes.
    again = runner.invoke(args=["adopt-accounts", "--service", "grants", "--service", "notifications"])
    assert again.exit_code == 0 and "grants: 0 accounts adopted" in again.output
    assert _execute(grants, "SELECT count(*) FROM accounts")[0][0] == 2
