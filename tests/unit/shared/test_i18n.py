"""French catalogs: every text a page shows has its French, and plurals follow French's rule."""
from pathlib import Path

import pytest
from jinja2.ext import babel_extract

from shared.web.i18n import Catalog

ROOT = Path(__file__).resolve().parents[3]
SHARED_TRANSLATIONS = (ROOT / "shared" / "web" / "translations", ROOT / "shared" / "accounts" / "translations")
SHARED_TEMPLATES = (ROOT / "shared" / "web" / "templates", ROOT / "shared" / "accounts" / "templates")
SERVICES = ("grants", "crowdfunding", "notifications")


def catalog_of(service: str) -> Catalog:
    return Catalog(*SHARED_TRANSLATIONS, ROOT / "services" / service / "translations")


def page_texts(service: str):
    """(template, line, function, message) for every constant text of the service's page templates."""
    templates = ROOT / "services" / service / "templates"
    for directory in (*SHARED_TEMPLATES, templates):
        for path in sorted(directory.rglob("*.html")):
            if "email" in path.relative_to(directory).parts:
                continue  # emails are written in each language, not translated
            with path.open("rb") as handle:
                for line, function, message, _comments in babel_extract(handle, ["_", "ngettext"], [], {}):
                    if function == "ngettext" or isinstance(message, str):
                        yield path.relative_to(ROOT), line, function, message


@pytest.mark.parametrize("service", SERVICES)
def test_every_text_of_a_page_has_its_french(service):
    catalog = catalog_of(service)
    untranslated = []
    for path, line, function, message in page_texts(service):
        if function == "ngettext":
            singular, plural = message[:2]
            known = catalog.translate_plural(singular, plural, 2, "fr") != plural % {"count": 2}
        else:
            known = catalog.knows(message)
        if not known:
            untranslated.append(f"{path}:{line} {message!r}")
    assert untranslated == []


def test_plurals_follow_french_rule_zero_and_one_are_singular():
    catalog = catalog_of("grants")
    forms = ("%(count)s application", "%(count)s applications")
    assert [catalog.translate_plural(*forms, n, "fr") for n in (0, 1, 2, 10)] == [
        "0 candidature", "1 candidature", "2 candidatures", "10 candidatures"]
    assert [catalog.translate_plural(*forms, n, "en") for n in (0, 1, 2)] == [
        "0 applications", "1 application", "2 applications"]


def test_a_text_missing_from_the_catalog_stays_in_english():
    catalog = catalog_of("grants")
    assert catalog.translate("No such text", "fr") == "No such text"
    assert catalog.translate_plural("%(count)s cat", "%(count)s cats", 3, "fr") == "3 cats"
    assert catalog.translate("", "fr") == ""
    assert catalog.translate("Sector", "fr") == "Secteur" and catalog.translate("Sector", "en") == "Sector"


@pytest.mark.parametrize("service", (*SERVICES, "accounts"))
def test_a_text_has_one_french_across_a_services_catalogs(service):
    # The catalogs of a service are merged into one: a text given two French words in two files
    # would be shown in whichever file is read last, on every page of the service.
    from babel.messages.pofile import read_po

    directories = (*SHARED_TRANSLATIONS, ROOT / "services" / service / "translations")
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for directory in directories:
        for path in sorted((directory / "fr").glob("*.po")):
            with path.open("rb") as handle:
                for message in read_po(handle, locale="fr"):
                    if not message.id or not message.string or message.fuzzy:
                        continue
                    earlier = seen.setdefault(str(message.id), (path.name, str(message.string)))
                    if earlier[1] != str(message.string):
                        clashes.append(f"{message.id!r}: {earlier[0]} {earlier[1]!r}, {path.name} {message.string!r}")
    assert clashes == []
