"""French and English for people's pages and messages.

Texts are written in English in the code and templates (`_("Save draft")`); French comes from
gettext `.po` catalogs read with Babel (`<package>/translations/fr/*.po`, one file per area so
that areas do not edit the same file). French is the default language; a person picks one with
`?lang=en`, which is kept in a cookie, else their browser's Accept-Language decides.
"""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from flask import Flask, g, request
from markupsafe import Markup

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
COOKIE = "lang"

SHARED_TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class Catalog:
    def __init__(self, *directories: Path):
        self.french: dict[str, str] = {}
        for directory in directories:
            self.add(directory)

    def add(self, directory: Path) -> None:
        """Read the French catalogs of one package (`<directory>/fr/*.po`)."""
        for path in sorted((directory / "fr").glob("*.po")):
            with path.open("rb") as handle:
                for message in read_po(handle, locale="fr"):
                    if message.id and message.string and not message.fuzzy:
                        self.french[message.id] = message.string

    def translate(self, text: str, language: str, **values) -> str:
        translated = self.french.get(text, text) if language == "fr" else text
        return translated % values if values else translated


def choose_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGUAGES:
        return kept
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    if "language" not in g:
        g.language = choose_language()
    return g.language


def init_i18n(app: Flask, translations_dir: Path) -> Catalog:
    catalog = Catalog(SHARED_TRANSLATIONS, translations_dir)
    app.extensions["i18n"] = catalog

    def _(text: str, **values) -> str:
        value = catalog.translate(text, current_language(), **values)
        return Markup(value) if isinstance(text, Markup) else value

    app.jinja_env.globals.update(_=_, current_language=current_language, LANGUAGES=LANGUAGES)

    @app.after_request
    def _keep_choice(response):
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    return catalog


def translate(text: str, **values) -> str:
    """For Python code running in a request (flash messages, form errors)."""
    from flask import current_app

    return current_app.extensions["i18n"].translate(text, current_language(), **values)
