"""The browser tests' accessibility audit fails on what axe finds, in words a developer can act
on, and knows which loaded pages were never checked; pages with errors and the services' home
pages pass it too."""
import pytest

SITE = "http://pages.test"
PAGES = {
    "/good": '<!doctype html><html lang="fr"><head><title>Bien</title></head><body><main><h1>Bien</h1>'
             '<label for="n">Nom</label><input id="n"><a href="/bad">Suite</a></main></body></html>',
    "/bad": '<!doctype html><html lang="fr"><head><title>Mal</title></head><body><main><h1>Mal</h1>'
            '<img src="/logo.png"><input name="siret"></main></body></html>',
}


@pytest.fixture
def site(page):
    """Pages served by the browser itself: no server is needed to test the audit."""
    page.route(f"{SITE}/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=PAGES.get(route.request.url.removeprefix(SITE), "")))
    return SITE


def test_a_page_without_violation_passes(site, page, audit):
    page.goto(f"{site}/good")
    audit.check()
    assert audit.checked == [f"{site}/good"] and audit.pages_left_unchecked() == []


def test_violations_are_named_with_the_elements_and_the_fix(site, page, audit):
    page.goto(f"{site}/bad")
    with pytest.raises(AssertionError) as failure:
        audit.check()
    report = str(failure.value)
    assert report.startswith(f"axe on {site}/bad:\nFound 2 accessibility violations:")
    assert "image-alt" in report and '<img src="/logo.png">' in report
    assert "label" in report and '<input name="siret">' in report
    assert "Element does not have an alt attribute" in report


def test_pages_loaded_and_not_checked_are_named(site, page, audit):
    page.goto(f"{site}/good")
    page.get_by_role("link", name="Suite").click()
    page.wait_for_url(f"{site}/bad")
    page.goto(f"{site}/good")
    audit.check()
    assert audit.pages_left_unchecked() == [f"{site}/good", f"{site}/bad"]


def test_pages_with_errors_pass_too(platform, page, audit):
    grants, accounts = platform.public_urls["grants"], platform.public_urls["accounts"]
    page.goto(f"{accounts}/signup")
    audit.check()
    page.get_by_label("Adresse e-mail").fill("not an address")
    page.get_by_label("Mot de passe (au moins 10 caractères)").fill("short")
    page.get_by_role("button", name="Créer un compte").click()
    audit.check()
    assert page.locator(".field-error").count() >= 3  # name, address and password
    page.goto(f"{grants}/calls/999999")
    audit.check()
    assert page.get_by_role("heading", level=1).inner_text() == "404"
    assert audit.pages_left_unchecked() == []


def test_each_service_home_page_passes_and_leads_to_the_others(platform, page, audit):
    urls = platform.public_urls
    assert urls["grants"] == f"{platform.address}/subventions"  # through the proxy, as people come
    page.goto(f"{platform.address}/")
    audit.check()
    page.goto(f"{urls['notifications']}/")
    audit.check()
    page.get_by_role("link", name="Financement participatif").click()
    audit.check()
    assert page.url == f"{urls['crowdfunding']}/"
    page.get_by_role("link", name="Voir les appels à projets ouverts").click()
    audit.check()
    assert page.url == f"{urls['grants']}/"
    assert audit.pages_left_unchecked() == []
