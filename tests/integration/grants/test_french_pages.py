"""The grants pages read in French as a person would: names instead of codes, plurals, sizes, and
French whatever language the browser asks for, unless the person picks English."""
import re

import pytest

from services.grants.models import FundingSource
from tests.integration.grants.applicant_setup import a_call
from tests.integration.grants.grants_manager_setup import account, fund, open_call
from tests.integration.grants.test_applicant_pages import signed_in, start_draft
from tests.integration.grants.test_manager_pages import _sign_in
from tests.integration.grants.test_review_api import organisation, submitted
from tests.pages import text

ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


def visible(response) -> str:
    """The page's words without its markup, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


@pytest.fixture
def one_application(grants_app):
    api = grants_app.test_client()
    _, headers = account(grants_app, "api-manager@example.org", ["fund_manager"])
    applicant_id, _ = account(grants_app, "ana@example.org", ["applicant"], "Ana")
    call = open_call(api, headers, fund(api, headers)["id"])
    with grants_app.extensions["db"].unit_of_work() as session:
        studio = organisation(applicant_id)
        session.add(studio)
        session.flush()
        application = submitted(call["id"], applicant_id, studio, 1)
        application.snapshot["funding_sources"].append(
            {"kind": "crowdfunding", "amount_cents": 100_000, "description": "Campagne Ulule"})
        application.funding_sources.append(
            FundingSource(kind="crowdfunding", amount_cents=100_000, description="Campagne Ulule"))
        session.add(application)
        session.flush()
        return call, application.id


def test_an_application_shows_names_not_codes_to_the_fund_manager(grants_app, one_application):
    call, application_id = one_application
    manager = _sign_in(grants_app, "manager@example.org", ["fund_manager"])

    # The snapshot as stored (JSON, folded away under <details>) is meant to show the codes.
    page = visible(manager.get(f"/manage/applications/{application_id}")).split("L'instantané déposé, tel qu'enregistré")[0]

    assert "Fonds propres 11 999,50 €" in page and "Financement participatif 1 000,00 €" in page
    assert "own_funds" not in page and "crowdfunding" not in page
    assert "Budget prévisionnel : budget.pdf" in page and "budget:" not in page
    assert "Secteur : Musique" in page and "Sector" not in page
    english = visible(manager.get(f"/manage/applications/{application_id}?lang=en"))
    assert "Own funds" in english and "Crowdfunding" in english and "Provisional budget : budget.pdf" in english
    assert "Sector: Music" in english


def test_the_count_of_applications_agrees_with_its_number(grants_app, one_application):
    call, _ = one_application
    manager = _sign_in(grants_app, "manager@example.org", ["fund_manager"])

    assert "1 candidature" in visible(manager.get(f"/manage/calls/{call['id']}/applications"))
    assert "1 candidatures" not in visible(manager.get(f"/manage/calls/{call['id']}/applications"))
    none = visible(manager.get(f"/manage/calls/{call['id']}/applications?status=withdrawn"))
    assert "0 candidature" in none and "0 candidatures" not in none
    assert "1 application" in visible(manager.get(f"/manage/calls/{call['id']}/applications?lang=en"))


def test_the_largest_document_size_is_written_in_french(grants_app, tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    call = a_call(grants_app)
    client = signed_in(grants_app)

    draft = start_draft(client, call["id"])

    page = visible(client.get(draft))
    assert "Documents (PDF, 10 Mo au plus chacun)" in page and "10.0" not in page
    monkeypatch.setenv("MAX_DOCUMENT_BYTES", str(int(2.5 * 1024 * 1024)))
    assert "Documents (PDF, 2,5 Mo au plus chacun)" in visible(client.get(draft))


def test_pages_are_in_french_whatever_the_browser_asks_until_english_is_chosen(grants_app):
    browser = grants_app.test_client()

    assert "Appels à projets ouverts" in visible(browser.get("/", headers=ENGLISH_BROWSER))
    chosen = browser.get("/?lang=en", headers=ENGLISH_BROWSER)
    assert "Calls for projects open now" in visible(chosen)
    assert "Calls for projects open now" in visible(browser.get("/", headers=ENGLISH_BROWSER))  # kept in a cookie
    assert "Appels à projets ouverts" in visible(browser.get("/?lang=fr", headers=ENGLISH_BROWSER))
