"""Infrastructure every process needs, web or worker: settings, clock, money, the database and its
unit of work, migrations, event contracts, the outbox and its relay, idempotent consumers, the
broker, logs and the one refusal type.

It imports nothing from `shared.web` or `shared.accounts`, and nothing from Flask.
"""
