"""Organisations of the area's creative industries: their kinds, their sectors, and their French
identifiers (SIREN/SIRET checked with python-stdnum, RNA, postal code).

Both halves of the platform check them the same way: the grants' applicants and the
crowdfunding's campaign owners give their organisation, and a campaign linked to an award is
matched to it by SIREN/SIRET. Messages are plain English sentences kept stable so they can become
translation keys.
"""

import re

from stdnum.exceptions import ValidationError
from stdnum.fr import siren, siret

ORGANISATION_KINDS = ("company", "association", "sole_trader", "project_holder")

ORGANISATION_KIND_LABELS = {
    "company": {"fr": "Entreprise", "en": "Company"},
    "association": {"fr": "Association", "en": "Association"},
    "sole_trader": {"fr": "Entrepreneur individuel", "en": "Sole trader"},
    "project_holder": {"fr": "Porteur de projet", "en": "Project holder"},
}

SECTORS = (
    "music",
    "film",
    "audiovisual",
    "documentary",
    "animation",
    "video_games",
    "composition_publishing",
    "photography",
    "other",
)

SECTOR_LABELS = {
    "music": {"fr": "Musique", "en": "Music"},
    "film": {"fr": "Cinéma", "en": "Film"},
    "audiovisual": {"fr": "Audiovisuel", "en": "Audiovisual"},
    "documentary": {"fr": "Documentaire", "en": "Documentary"},
    "animation": {"fr": "Animation", "en": "Animation"},
    "video_games": {"fr": "Jeu vidéo", "en": "Video games"},
    "composition_publishing": {
        "fr": "Composition et édition musicale",
        "en": "Composition and music publishing",
    },
    "photography": {"fr": "Photographie", "en": "Photography"},
    "other": {"fr": "Autre", "en": "Other"},
}

# Kinds registered with INSEE, hence holding a SIREN.
_KINDS_NEEDING_SIREN = ("company", "sole_trader")

_RNA = re.compile(r"W\d{9}")
_POSTAL_CODE = re.compile(r"\d{5}")


class InvalidIdentifier(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidPostalCode(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_siren_or_siret(value: str) -> str:
    """The compact SIREN (9 digits) or SIRET (14 digits), or InvalidIdentifier."""
    number = siren.compact(value or "")
    if not number.isdigit() or len(number) not in (9, 14):
        raise InvalidIdentifier("A SIREN has 9 digits and a SIRET has 14 digits.")
    try:
        if len(number) == 9:
            return siren.validate(number)
        # stdnum handles La Poste's establishments, which use a digit-sum check, not Luhn.
        return siret.validate(number)
    except ValidationError:
        kind = "SIREN" if len(number) == 9 else "SIRET"
        raise InvalidIdentifier(f"This {kind} number is not valid: check for a typing mistake.") from None


def check_rna(value: str) -> str:
    """The RNA number of an association (W followed by 9 digits), or InvalidIdentifier."""
    number = "".join((value or "").split()).upper()
    if not _RNA.fullmatch(number):
        raise InvalidIdentifier("An RNA number is a W followed by 9 digits.")
    return number


def check_postal_code(value: str) -> str:
    """A French postal code (5 digits), or InvalidPostalCode."""
    code = (value or "").strip()
    # No French postal code starts with 00: the first two digits are a department.
    if not _POSTAL_CODE.fullmatch(code) or code.startswith("00"):
        raise InvalidPostalCode("A French postal code has 5 digits.")
    return code


def check_organisation_identifiers(kind: str, siren_or_siret: str | None, rna: str | None) -> dict[str, str]:
    """Per-field error messages ("siret", "rna"); empty when the identifiers fit the kind.

    An identifier that is not required is still checked when given.
    """
    if kind not in ORGANISATION_KINDS:
        return {"kind": "Unknown kind of organisation."}
    errors: dict[str, str] = {}

    if _is_blank(siren_or_siret):
        if kind in _KINDS_NEEDING_SIREN:
            errors["siret"] = "A SIREN or SIRET number is required for this kind of organisation."
    else:
        try:
            check_siren_or_siret(siren_or_siret)
        except InvalidIdentifier as error:
            errors["siret"] = error.message

    if _is_blank(rna):
        if kind == "association":
            errors["rna"] = "An RNA number is required for an association."
    else:
        try:
            check_rna(rna)
        except InvalidIdentifier as error:
            errors["rna"] = error.message

    return errors


def _is_blank(value: str | None) -> bool:
    return value is None or not value.strip()
