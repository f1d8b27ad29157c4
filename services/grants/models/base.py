"""The grants service's declarative base: every table of the service is on its metadata."""
from shared.core.db import service_base

Base = service_base()
