"""The crowdfunding service's tables (the outbox and processed events come from shared)."""
from shared.accounts.projection import PersonColumns
from shared.core.db import service_base

Base = service_base()


class Account(PersonColumns, Base):
    """The service's copy of a platform account (see shared.accounts.projection)."""

    __tablename__ = "accounts"
