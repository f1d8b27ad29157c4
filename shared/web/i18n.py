"""French and English for people's pages and messages.

Texts are written in English in the code and templates (`_("Save draft")`); French comes from
gettext `.po` catalogs read with Babel (`<package>/translations/fr/*.po`, one file per area so
that areas do not edit the same file). A text that depends on a number is written with both
English forms (`ngettext("%(count)s application", "%(count)s applications", n)`) and its
catalog entry gives the French forms; gettext picks one with French's plural rule (1 is
singular, and so is 0).

Pages are in French, the platform's language, unless the person chose English with
`?lang=en` (kept in a cookie). The browser's Accept-Language is not followed: many people here
browse with an English browser, the calls are written in French first, and a page that changed
language by itself would surprise them; the switch is on every page.
"""
from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask, g, request
from markupsafe import Markup

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
COOKIE = "lang"

SHARED_TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class Catalog:
    """The French translations of several packages, singular and plural forms."""

    def __init__(self, *directories: Path):
        # Starts from an empty catalog for French, which carries French's plural rule (Babel's
        # CLDR data): the messages of each package are merged into it.
        self._french = _compiled(BabelCatalog(locale="fr"))
        self._known: set = set()
        for directory in directories:
            self.add(directory)

    def add(self, directory: Path) -> None:
        """Read the French catalogs of one package (`<directory>/fr/*.po`)."""
        for path in sorted((directory / "fr").glob("*.po")):
            with path.open("rb") as handle:
                messages = read_po(handle, locale="fr")
            self._french.merge(_compiled(messages))
            self._known.update(m.id for m in messages if m.id and m.string and not m.fuzzy)

    def knows(self, text: str) -> bool:
        """Whether French is given for `text`, be it the same word ("Description")."""
        return text in self._known

    def translate(self, text: str, language: str, **values) -> str:
        # gettext("") would be the catalog's header.
        translated = self._french.gettext(text) if language == "fr" and text else text
        return translated % values if values else translated

    def translate_plural(self, singular: str, plural: str, count: int, language: str, **values) -> str:
        """The form for `count`; `%(count)s` in it is the number."""
        if language == "fr":
            chosen = self._french.ngettext(singular, plural, count)
        else:
            chosen = singular if count == 1 else plural
        return chosen % {"count": count, **values}


def _compiled(catalog: BabelCatalog) -> Translations:
    """A catalog as gettext reads it; fuzzy and untranslated messages are left out."""
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def choose_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGUAGES:
        return kept
    return DEFAULT_LANGUAGE


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

    def ngettext(singular: str, plural: str, count: int, **values) -> str:
        return catalog.translate_plural(singular, plural, count, current_language(), **values)

    app.jinja_env.globals.update(_=_, ngettext=ngettext, current_language=current_language, LANGUAGES=LANGUAGES)

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
