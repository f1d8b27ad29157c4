"""The crowdfunding site's home page, the live campaigns: where a visitor arrives and a backer
lands after signing in."""
from tests.pages import text
from tests.people import person, sign_in

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_visitor_finds_the_campaigns_a_way_to_the_grants_and_to_sign_up(crowdfunding_app, monkeypatch):
    monkeypatch.setenv("GRANTS_PUBLIC_URL", "https://aides.example.org")
    page = crowdfunding_app.test_client().get("/", headers=BROWSER)

    assert page.status_code == 200 and page.mimetype == "text/html"
    body = text(page)
    assert "Aucune campagne n'est en cours pour le moment" in body
    assert 'href="https://aides.example.org/"' in body and "voir les appels à projets ouverts" in body
    # Signing up and in is the accounts service's, for the whole platform.
    accounts = crowdfunding_app.config["SETTINGS"].public_url_of("accounts")
    assert f'href="{accounts}/signup?next=' in body and f'href="{accounts}/signin?next=' in body
    assert "No campaign is live at the moment" in text(crowdfunding_app.test_client().get("/?lang=en"))


def test_a_backer_who_signs_in_lands_on_the_campaigns_with_their_menu(crowdfunding_app):
    client = crowdfunding_app.test_client()
    sign_in(client, person(crowdfunding_app, "bea@example.org", ["backer"], "Béa"))
    landed = client.get("/", headers=BROWSER)
    assert landed.status_code == 200 and landed.mimetype == "text/html"
    assert "Béa" in text(landed) and "Mes contributions" in text(landed)
    assert "Mes campagnes" not in text(landed) and "Modération" not in text(landed)
