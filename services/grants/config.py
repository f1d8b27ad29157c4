"""The grants service's settings: shared ones from the environment (see shared.core.config)."""
import os
from pathlib import Path

from shared.core.config import VAR, load_settings

SERVICE = "grants"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def settings():
    return load_settings(SERVICE)


def documents_dir() -> Path:
    """Where applications' PDFs are kept, outside the database (read at call time: tests set it)."""
    return Path(os.environ.get("GRANTS_DOCUMENTS_DIR", VAR / "documents"))


def max_document_bytes() -> int:
    return int(os.environ.get("MAX_DOCUMENT_BYTES", 10 * 1024 * 1024))
