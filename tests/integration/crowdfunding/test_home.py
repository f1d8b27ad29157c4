"""The crowdfunding site's home page: where a visitor arrives and a backer lands after signing in."""
from shared.accounts.models import create_account
from tests.pages import post_form, text

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_visitor_finds_a_page_pointing_to_the_grants_and_to_sign_up(crowdfunding_app, monkeypatch):
    monkeypatch.setenv("GRANTS_PUBLIC_URL", "https://aides.example.org")
    page = crowdfunding_app.test_client().get("/", headers=BROWSER)

    assert page.status_code == 200 and page.mimetype == "text/html"
    body = text(page)
    assert "Les campagnes arrivent" in body
    assert 'href="https://aides.example.org/"' in body and "Voir les appels à projets ouverts" in body
    assert 'href="/signup"' in body and 'href="/signin"' in body
    assert "Campaigns are coming" in text(crowdfunding_app.test_client().get("/?lang=en"))


def test_a_backer_who_signs_in_lands_on_a_page(crowdfunding_app):
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        create_account(session, crowdfunding_app.config["SETTINGS"], email="bea@example.org", name="Béa",
                       password="a long password", roles=["backer"], confirmed=True)
    client = crowdfunding_app.test_client()

    signed_in = post_form(client, "/signin", {"email": "bea@example.org", "password": "a long password"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    landed = client.get("/", headers=BROWSER)
    assert landed.status_code == 200 and landed.mimetype == "text/html"
    assert "Votre compte est prêt pour les premières campagnes." in text(landed) and "Béa" in text(landed)


def test_the_sign_up_form_names_the_roles_in_words(crowdfunding_app):
    client = crowdfunding_app.test_client()

    french = text(client.get("/signup"))
    assert '<option value="backer">contributeur·rice (je soutiens des campagnes)</option>' in french
    assert '<option value="campaign_owner">porteur·se de projet (je collecte des fonds pour mon projet)</option>' in french
    english = text(client.get("/signup?lang=en"))
    assert '<option value="campaign_owner">a campaign owner (I raise funds for my project)</option>' in english
