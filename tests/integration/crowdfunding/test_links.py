"""The grants' pages link to the campaigns, and the campaigns' pages link back, at the addresses
the `*_PUBLIC_URL` settings give."""
from tests.pages import text

HTML = {"Accept": "text/html"}


def test_the_grants_pages_link_to_the_campaigns(grants_app, monkeypatch):
    monkeypatch.setenv("CROWDFUNDING_PUBLIC_URL", "https://dons.example.org")
    client = grants_app.test_client()
    for path in ("/home", "/"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200
        assert 'href="https://dons.example.org/"' in page.get_data(as_text=True), path
    assert "des campagnes locales collectent des fonds" in text(client.get("/home", headers=HTML))
    assert "See the crowdfunding campaigns" in text(client.get("/?lang=en", headers=HTML))


def test_the_campaigns_pages_link_back_to_the_grants(crowdfunding_app, monkeypatch):
    monkeypatch.setenv("GRANTS_PUBLIC_URL", "https://aides.example.org")
    page = crowdfunding_app.test_client().get("/", headers=HTML)
    assert 'href="https://aides.example.org/"' in page.get_data(as_text=True)
    assert 'href="https://aides.example.org/"' in page.get_data(as_text=True).split("<main>")[0]  # the header's too
