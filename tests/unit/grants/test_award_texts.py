"""Every text the awards show a person has its French: the pages' texts (those with values
too), and the sentences of the refusals and messages of the awards' modules."""
import ast
from pathlib import Path

import pytest
from jinja2.ext import babel_extract

from services.grants.web import awards as award_pages
from shared.web.i18n import Catalog

ROOT = Path(__file__).resolve().parents[3]
GRANTS = ROOT / "services" / "grants"
CATALOG = Catalog(ROOT / "shared" / "web" / "translations", ROOT / "shared" / "accounts" / "translations",
                  GRANTS / "translations")
MODULES = ("awards.py", "bank_details.py", "tranches.py", "schemas/awards.py", "web/awards.py")
# Calls whose string arguments are sentences a person reads (a refusal, a page's message, a
# plan's failure, a form's validation).
SENTENCE_CALLS = {"Refusal", "invalid", "about", "not_found", "translate", "PlanFailure", "ValueError",
                  "ValidationError", "Length"}


def template_texts():
    for path in sorted((GRANTS / "templates" / "awards").glob("*.html")):
        with path.open("rb") as handle:
            for line, function, message, _comments in babel_extract(handle, ["_", "ngettext"], [], {}):
                texts = [message] if isinstance(message, str) else [m for m in message if isinstance(m, str)]
                yield f"{path.name}:{line}", function, texts


def module_sentences(relative: str):
    tree = ast.parse((GRANTS / relative).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in SENTENCE_CALLS:
                for argument in [*node.args, *(k.value for k in node.keywords if k.arg in ("error", "message"))]:
                    for value in (argument.body, argument.orelse) if isinstance(argument, ast.IfExp) else (argument,):
                        if isinstance(value, ast.Constant) and isinstance(value.value, str) and " " in value.value:
                            yield node.lineno, value.value
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
              and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper()
              and node.value.value.endswith(".") and " " in node.value.value):
            yield node.lineno, node.value.value


def test_every_text_of_the_awards_pages_has_its_french():
    missing = []
    for where, function, texts in template_texts():
        if function == "ngettext":
            singular, plural = texts[:2]
            if CATALOG.translate_plural(singular, plural, 2, "fr") == plural % {"count": 2}:
                missing.append((where, singular))
        elif not CATALOG.knows(texts[0]):
            missing.append((where, texts[0]))
    assert missing == []


@pytest.mark.parametrize("module", MODULES)
def test_every_sentence_of_the_awards_modules_has_its_french(module):
    assert [(line, text) for line, text in module_sentences(module) if not CATALOG.knows(text)] == []


def test_the_names_the_pages_show_have_their_french():
    names = [*award_pages.AWARD_STATUS_NAMES.values(), *award_pages.TRANCHE_STATUS_NAMES.values(),
             *award_pages.DUE_NAMES.values(), *award_pages.OUTCOME_NAMES.values(), *award_pages.LOG_ACTIONS.values()]
    assert [name for name in names if not CATALOG.knows(name)] == []
