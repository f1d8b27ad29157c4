"""Existing deployments: before the platform had one account, each service kept its own accounts.
`adopt-accounts` moves them into the accounts service once, and is harmless to run again.

1. Every service's rows that still hold a password (the old accounts) are read, and grouped by
   address: one platform account per address. A confirmed row's password is kept (an
   unconfirmed row proves nothing about who owns the address); the roles are put together.
   An address that already has a platform account keeps it and gains the roles.
2. Each service's `accounts` table becomes its copy of those platform accounts, under their new
   ids, and every row that pointed at an old id points at the new one. Ids are moved in two
   steps (old -> negative -> new) so that an old id equal to another person's new id never
   collides; the foreign keys are found by reading the database, so none is forgotten.

This is the one time the accounts service reads other services' databases, as an operator's
command run once during the upgrade, never at request time.
"""
from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import create_engine, inspect, text

from services.accounts.accounts import announce, find_by_email, normalise_email
from services.accounts.models import Account
from shared.core import events
from shared.core.config import Settings
from shared.core.db import Database

COLUMNS = "id, email, name, password_hash, roles, language, confirmed_at, created_at"


def adopt_accounts(database: Database, settings: Settings, service_urls: dict[str, str]) -> dict[str, int]:
    old_rows = {service: _old_accounts(url) for service, url in service_urls.items()}
    by_address: dict[str, list[dict]] = defaultdict(list)
    for service, rows in old_rows.items():
        for row in rows:
            by_address[normalise_email(row["email"])].append(row)

    new_ids: dict[str, int] = {}
    with database.unit_of_work() as session:
        for address, rows in by_address.items():
            account = find_by_email(session, address)
            roles = sorted({role for row in rows for role in _roles(row)})
            confirmed = [row for row in rows if row["confirmed_at"] is not None]
            if account is None:
                chosen = max(confirmed or rows, key=lambda row: str(row["created_at"]))
                account = Account(
                    email=address, name=chosen["name"], password_hash=chosen["password_hash"], roles=roles,
                    language=chosen["language"] or "fr", session_version=0,
                    confirmed_at=events.utcnow() if confirmed else None,
                )
                session.add(account)
                session.flush()
            else:
                account.roles = [*account.roles, *[role for role in roles if role not in account.roles]]
            announce(session, account)
            new_ids[address] = account.id
        facts = {address: session.get(Account, account_id) for address, account_id in new_ids.items()}
        copies = {address: {"id": a.id, "email": a.email, "name": a.name, "roles": list(a.roles),
                            "language": a.language, "sv": a.session_version} for address, a in facts.items()}

    report = {}
    for service, url in service_urls.items():
        mapping = {row["id"]: copies[normalise_email(row["email"])] for row in old_rows[service]}
        _repoint(url, mapping)
        report[service] = len(mapping)
    return report


def _roles(row: dict) -> list[str]:
    roles = row["roles"]
    if isinstance(roles, str):  # JSON read back as text on SQLite
        roles = json.loads(roles)
    return list(roles)


def _old_accounts(url: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(f"SELECT {COLUMNS} FROM accounts WHERE password_hash IS NOT NULL"))
            return [dict(row._mapping) for row in result]
    finally:
        engine.dispose()


def _references(connection) -> list[tuple[str, str]]:
    """(table, column) of every foreign key that points at accounts.id."""
    found = []
    inspector = inspect(connection)
    for table in inspector.get_table_names():
        for key in inspector.get_foreign_keys(table):
            if key["referred_table"] == "accounts" and key["referred_columns"] == ["id"]:
                found.append((table, key["constrained_columns"][0]))
    return found


def _repoint(url: str, mapping: dict[int, dict]) -> None:
    """The service's old accounts become copies under their new ids, its rows following them."""
    if not mapping:
        return
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            references = _references(connection)
            # Step 1: every old id moves to its negative, so no new id can collide with it.
            for old_id in mapping:
                _move(connection, references, old_id, -old_id, f"moving-{old_id}@invalid")
            # Step 2: to the new ids, with what the platform account says of the person.
            for old_id, account in mapping.items():
                _move(connection, references, -old_id, account["id"], account["email"], account)
    finally:
        engine.dispose()


def _move(connection, references, from_id: int, to_id: int, email: str, account: dict | None = None) -> None:
    existing = connection.execute(text("SELECT id FROM accounts WHERE id = :id"), {"id": to_id}).first()
    if existing is None:
        connection.execute(text(
            f"INSERT INTO accounts ({COLUMNS}, session_version) "
            f"SELECT :to_id, :email, name, NULL, roles, language, confirmed_at, created_at, 0 FROM accounts WHERE id = :from_id"
        ), {"to_id": to_id, "email": f"tmp-{to_id}@invalid", "from_id": from_id})
    for table, column in references:
        connection.execute(text(f"UPDATE {table} SET {column} = :to_id WHERE {column} = :from_id"),
                           {"to_id": to_id, "from_id": from_id})
    connection.execute(text("DELETE FROM accounts WHERE id = :from_id"), {"from_id": from_id})
    values = {"id": to_id, "email": email}
    assignments = "email = :email"
    if account is not None:
        values.update(name=account["name"], roles=json.dumps(account["roles"]), language=account["language"],
                      sv=account["sv"])
        assignments += ", name = :name, roles = :roles, language = :language, session_version = :sv"
    connection.execute(text(f"UPDATE accounts SET {assignments} WHERE id = :id"), values)
