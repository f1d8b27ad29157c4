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


# The fund's treasury account, which the SEPA payment files pay grants from. The defaults are a
# local demo's (a valid IBAN of no real account): set the three in production.
TREASURY_DEFAULTS = {
    "TREASURY_NAME": "Tresorerie de la Metropole (demo)",
    "TREASURY_IBAN": "FR7630006000011234567890189",
    "TREASURY_BIC": "BNPAFRPP",
}


def treasury() -> tuple[str, str, str]:
    """The treasury's name, IBAN and BIC (read at call time: tests set them)."""
    return tuple(os.environ.get(name) or default for name, default in TREASURY_DEFAULTS.items())
