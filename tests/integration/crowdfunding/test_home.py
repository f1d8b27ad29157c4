"""The crowdfunding site's home page: where a visitor arrives and a backer lands after signing in."""
from tests.pages import text
from tests.people import person, sign_in

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_visitor_finds_a_page_pointing_to_the_grants_and_to_sign_up(crowdfunding_app, monkeypatch):
    monkeypatch.setenv("GRANTS_PUBLIC_URL", "https://aides.example.org")
    page = crowdfunding_app.test_client().get("/", headers=BROWSER)

    assert page.status_code == 200 and page.mimetype == "text/html"
    body = text(page)
    assert "Les campagnes arrivent" in body
    assert 'href="https://aides.example.org/"' in body and "Voir les appels à projets ouverts" in body
    # Signing up and in is the accounts service's, for the whole platform.
    accounts = crowdfunding_app.config["SETTINGS"].public_url_of("accounts")
    assert f'href="{accounts}/signup"' in body and f'href="{accounts}/signin?next=' in body
    assert "Campaigns are coming" in text(crowdfunding_app.test_client().get("/?lang=en"))


def test_a_backer_who_signs_in_lands_on_a_page(crowdfunding_app):
    client = crowdfunding_app.test_client()
    sign_in(client, person(crowdfunding_app, "bea@example.org", ["backer"], "Béa"))
    landed = client.get("/", headers=BROWSER)
    assert landed.status_code == 200 and landed.mimetype == "text/html"
    assert "Votre compte est prêt pour les premières campagnes." in text(landed) and "Béa" in text(landed)
