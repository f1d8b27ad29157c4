"""The indicators report in Chromium, on the running platform: the fund manager signs in and opens
the report on a seeded history; the survival curve is drawn (an SVG step path with its band,
laid out with a size), the figures are in the tables, the print stylesheet leaves the forms out;
the referent opens the advice queue. axe finds no violation on every page."""
from tests.e2e.browser.test_award_journey import platform_person, sign_in
from tests.integration.grants.test_impact_api import seed_history


def test_the_fund_manager_reads_the_report_with_its_curves(platform, accounts_app, grants_app, page, audit):
    platform_person(accounts_app, grants_app, "manager@example.org", ["fund_manager"], "Manon")
    seed_history(grants_app, compared=15)
    grants = platform.public_urls["grants"]

    page.goto(f"{grants}/manage/impact?from=2019&to=2026")
    audit.check()
    sign_in(page, audit, "manager@example.org")
    main = page.get_by_role("main")
    assert "Rapport d'indicateurs 2019–2026" in main.inner_text()

    chart = page.get_by_role("img", name="Survie des entreprises soutenues depuis leur premier soutien")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    curve = chart.locator("path.curve").first
    assert curve.get_attribute("d").count("V") >= 1  # steps down where firms closed
    drawn = curve.bounding_box()
    assert drawn and drawn["width"] > 100  # painted across the plot
    assert chart.locator("path.band").count() == 2
    assert page.get_by_role("img", name="Subventions accordées au regard de l'objectif, par an").is_visible()
    row = page.locator("#row-supported")
    assert "75\u00a0%" in row.inner_text() and "intervalle à 95 %" in row.inner_text()

    page.emulate_media(media="print")
    assert not page.locator("form.years").is_visible()
    assert chart.is_visible()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Entreprises soutenues").first.click()
    audit.check()
    assert "Firme 0" in page.get_by_role("main").inner_text()


def test_the_referent_finds_the_advice_page_and_the_queue(platform, accounts_app, grants_app, page, audit):
    platform_person(accounts_app, grants_app, "rita@example.org", ["referent"], "Rita")
    grants = platform.public_urls["grants"]
    page.goto(f"{grants}/advice")
    audit.check()
    assert "Mécénat" in page.get_by_role("main").inner_text()
    page.goto(f"{grants}/referent/advice")
    audit.check()
    sign_in(page, audit, "rita@example.org")
    assert "Aucune demande en attente." in page.get_by_role("main").inner_text()
