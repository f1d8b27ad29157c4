"""The grants service's tables (the outbox, processed events and accounts come from shared)."""
from shared.db import service_base

Base = service_base()
