"""Pages anyone reads: the open calls and a call's page, in French by default, in English on request."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from services.grants.models import Call
from shared.core.clock import format_paris, paris_to_utc
from shared.core.money import format_money
from tests.integration.grants.grants_manager_setup import account, call_payload, fund, open_call
from tests.pages import text


def _setting(app):
    client = app.test_client()
    _, manager = account(app, "manager@example.org", ["fund_manager"], "Manon")
    fund_id = fund(client, manager)["id"]
    # 18:00 on a winter day in Paris is 17:00 UTC.
    call = open_call(client, manager, fund_id, closes_at="2027-01-15T18:00")
    draft = client.post("/api/calls", json=call_payload(fund_id, title_fr="Brouillon secret"), headers=manager)
    return app.test_client(), call, draft.get_json()


def test_open_calls_in_french_by_default_and_in_english_on_request(grants_app):
    client, call, _draft = _setting(grants_app)
    home = client.get("/")
    assert home.status_code == 200 and "text/html" in home.content_type
    page = text(home)
    assert 'lang="fr"' in page and "Appels à projets ouverts" in page
    assert "Aide à la création 2026" in page and "Brouillon secret" not in page
    assert "Clôture le 15 janv. 2027, 18:00 (heure de Paris)." in page
    assert format_money(1_000_000, "fr") in page  # the maximum award, the French way: "10 000,00 €"

    english = text(client.get("/?lang=en"))
    assert 'lang="en"' in english and "Calls for projects open now" in english
    assert "Creation grant 2026" in english and "Closes on 15 Jan 2027, 18:00 (Paris time)." in english
    # The choice is kept.
    assert "Calls for projects open now" in text(client.get("/"))


def test_a_calls_page_shows_its_rules_documents_dates_and_the_way_to_apply(grants_app):
    client, call, draft = _setting(grants_app)
    response = client.get(f"/calls/{call['id']}")
    assert response.status_code == 200
    page = text(response)
    assert "Aide à la création 2026" in page and "Pour les projets des industries créatives" in page
    assert "63000, 63100" in page
    assert "Musique, Cinéma" in page and "Entreprise, Association" in page
    assert "Au moins 20 % du budget du projet doit être financé par d'autres sources." in page
    assert "Budget prévisionnel" in page and "Présentation du projet" in page
    assert "Qualité artistique" in page and "Remarquable" in page
    closes = format_paris(paris_to_utc(datetime(2027, 1, 15, 18, 0)), "fr")
    assert closes == "15 janv. 2027, 18:00" and closes in page
    assert f'href="/applications/new?call={call["id"]}"' in page

    english = text(client.get(f"/calls/{call['id']}?lang=en"))
    assert "Provisional budget" in english and "Music, Film" in english and "Artistic quality" in english
    assert "Apply" in english

    # A draft does not exist for the public.
    hidden = client.get(f"/calls/{draft['id']}")
    assert hidden.status_code == 404 and "<html" in text(hidden)


def test_a_call_past_its_closing_time_takes_no_more_applications(grants_app):
    client, call, _draft = _setting(grants_app)
    with grants_app.extensions["db"].unit_of_work() as session:
        session.execute(update(Call).values(closes_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    page = text(client.get(f"/calls/{call['id']}"))
    assert "/applications/new" not in page
    assert "Cet appel est clos" in page and "Clos" in page
    assert "Aucun appel n'est ouvert pour le moment" in text(client.get("/"))


def test_the_menu_leads_each_role_to_its_pages(grants_app):
    from tests.people import person, sign_in

    _setting(grants_app)
    visitor = text(grants_app.test_client().get("/"))
    assert 'href="/applications"' not in visitor and 'href="/manage/calls"' not in visitor
    for email, roles, shown, hidden in (("ana@example.org", ["applicant"], "/applications", "/manage/calls"),
                                        ("boss@example.org", ["fund_manager"], "/manage/calls", "/applications")):
        client = grants_app.test_client()
        sign_in(client, person(grants_app, email, roles))
        page = text(client.get("/"))
        assert f'href="{shown}"' in page and f'href="{hidden}"' not in page
