"""The crowdfunding service's tables (the outbox, processed events and accounts come from shared)."""
from shared.accounts.models import Account  # noqa: F401  (its table is in this database too)
from shared.core.db import service_base

Base = service_base()
