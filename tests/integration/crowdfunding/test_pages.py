"""The crowdfunding's pages, without JavaScript (a Flask test client is a browser that runs none):
the live campaigns and their sector filter, a campaign's page and its progress bar's words, the
pledge form from a visitor's first look to a transfer's IBAN and reference, the card page's card
field, changing and cancelling, "my pledges"; the owner's organisation, editor, rewards, cover,
submission, preview, pledges and news; the fund manager's moderation and transfers. In French by
default, in English with ?lang=en; each person sees only what is theirs."""
import io
import re
from datetime import datetime, timedelta

import pytest

from tests.integration.crowdfunding.campaign_setup import (
    ORGANISATION,
    backer,
    campaign_data,
    draft,
    image,
    live,
    manager,
    owner,
)
from tests.conftest import recorded_statements
from tests.pages import text
from tests.people import person, sign_in
from tests.stripe_js import confirm_card_setup

HTML = {"Accept": "text/html"}


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _post(client, address, form, page_address=None):
    page = client.get(page_address or address, headers=HTML)
    return client.post(address, data={"csrf_token": _csrf(page), **form}, headers=HTML)


@pytest.fixture
def campaign(crowdfunding_app):
    return live(crowdfunding_app)


def test_a_campaigns_page_reads_its_owner_and_tiers_with_it(crowdfunding_app, campaign):
    """No lazy load on the public page: the campaign, its owner's organisation and its reward
    tiers come in one statement; the rest are the page's own sums and lists."""
    with recorded_statements(crowdfunding_app.extensions["db"].engine) as statements:
        page = crowdfunding_app.test_client().get(f"/campaigns/{campaign['id']}", headers=HTML)
    assert page.status_code == 200
    assert "Label Dôme SARL" in text(page)
    first = statements[0]
    assert "FROM campaigns" in first and "JOIN owners" in first and "reward_tiers" in first
    assert not any(statement.lstrip().startswith(("SELECT owners", "SELECT reward_tiers")) for statement in statements[1:])


def test_the_live_campaigns_their_sector_filter_and_a_campaigns_page(crowdfunding_app, campaign, monkeypatch):
    monkeypatch.setenv("GRANTS_PUBLIC_URL", "https://aides.example.org")
    client = crowdfunding_app.test_client()
    listing = client.get("/", headers=HTML)
    assert listing.status_code == 200
    body = text(listing)
    assert "Un disque pour la Criée" in body and "Label Dôme SARL" in body
    assert 'href="https://aides.example.org/"' in listing.get_data(as_text=True)  # back to the grants
    assert "Un disque pour la Criée" not in text(client.get("/?sector=film", headers=HTML))
    assert "Un disque pour la Criée" in text(client.get("/?sector=music", headers=HTML))

    page = client.get(f"/campaigns/{campaign['id']}", headers=HTML)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The progress bar and the words that say all it shows.
    assert re.search(r'<progress id="progress-campaign" max="100" value="0" aria-label="Progression vers l&#39;objectif"'
                     r' aria-describedby="progress-text-campaign">', html)
    words = " ".join(re.search(r'<p id="progress-text-campaign">(.*?)</p>', html, re.S).group(1).split())
    assert "0,00 € collectés" in words.replace("\u202f", " ").replace("\xa0", " ")
    assert "sur un objectif de 5 000,00 € (0 %)" in words.replace("\u202f", " ").replace("\xa0", " ")
    assert "0 contributeur" in words and "jours restants" in words
    assert "Le disque" in text(page) and "10 places restantes sur 10" in text(page)
    assert "juin 2027" in text(page)  # the reward's estimated delivery month
    assert 'alt="Le groupe au studio"' in html and 'srcset="' in html
    cover = re.search(r'src="([^"]*/covers/[^"]+)"', html).group(1)
    image_answer = client.get(cover.replace("http://localhost", ""))
    assert image_answer.status_code == 200 and image_answer.mimetype == "image/png"
    assert client.get("/covers/..%2Fsecret.png").status_code == 404
    english = text(client.get(f"/campaigns/{campaign['id']}?lang=en", headers=HTML))
    assert "A record for La Criée" in english and "10 places left of 10" in english


def test_a_campaign_not_public_is_not_found(crowdfunding_app):
    client = crowdfunding_app.test_client()
    _olga, headers = owner(crowdfunding_app)
    assert client.put("/api/owner/organisation", json=ORGANISATION, headers=headers).status_code == 200
    draft = client.post("/api/campaigns", json=campaign_data(), headers=headers).get_json()
    assert client.get(f"/campaigns/{draft['id']}", headers=HTML).status_code == 404
    assert client.get(f"/campaigns/{draft['id']}/pledge", headers=HTML).status_code == 404


def test_a_visitor_is_offered_to_sign_in_or_up_and_come_back(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    page = client.get(f"/campaigns/{campaign['id']}/pledge", headers=HTML)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    accounts = crowdfunding_app.config["SETTINGS"].public_url_of("accounts")
    assert f'href="{accounts}/signin?next=' in html
    assert re.search(rf'href="{re.escape(accounts)}/signup\?next=[^"]+pledge&amp;role=backer"', html)
    # A person without the backer role is told how to take it and come back.
    applicant = person(crowdfunding_app, "ana@example.org", ["applicant"], "Ana")
    sign_in(client, applicant)
    page = client.get(f"/campaigns/{campaign['id']}/pledge", headers=HTML)
    assert f'href="{accounts}/account?next=' in page.get_data(as_text=True) and "role=backer" in page.get_data(as_text=True)
    refused = _post(client, f"/campaigns/{campaign['id']}/pledge", {"amount": "20", "method": "transfer", "tier_id": "none"})
    assert refused.status_code == 403


def test_a_backer_pledges_by_transfer_changes_and_cancels_without_javascript(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    bea, _headers = backer(crowdfunding_app, "bea@example.org", "Béa Durand")
    sign_in(client, bea)
    tier_id = campaign["tier_ids"][0]
    form = client.get(f"/campaigns/{campaign['id']}/pledge?tier={tier_id}", headers=HTML)
    assert 'value="20"' in form.get_data(as_text=True)  # the reward's minimum, in euros
    below = _post(client, f"/campaigns/{campaign['id']}/pledge",
                  {"amount": "19,99", "tier_id": str(tier_id), "method": "transfer"})
    assert below.status_code == 422 and "Cette contrepartie demande au moins 20,00" in text(below)
    bad = _post(client, f"/campaigns/{campaign['id']}/pledge", {"amount": "12,345", "tier_id": "none", "method": "transfer"})
    assert bad.status_code == 422 and "Saisissez un montant en euros" in text(bad)

    created = _post(client, f"/campaigns/{campaign['id']}/pledge",
                    {"amount": "25,50", "tier_id": str(tier_id), "method": "transfer", "public_name": "on"})
    assert created.status_code == 302
    page = client.get(created.headers["Location"], headers=HTML)
    body = text(page)
    assert "FR76 3000 6000 0112 3456 7890 189" in body and "Virement attendu" in body
    reference = re.search(r'<dd id="reference">(CF-[A-Z0-9]+)</dd>', page.get_data(as_text=True)).group(1)
    address = created.headers["Location"]

    changed = _post(client, address, {"amount": "30", "tier_id": str(tier_id), "public_name": "on"})
    assert changed.status_code == 302
    assert "30,00" in text(client.get(address, headers=HTML))
    mine = client.get("/pledges", headers=HTML)
    assert reference in text(mine) and "Un disque pour la Criée" in text(mine)

    # Another backer finds nothing at that address.
    carl = person(crowdfunding_app, "carl@example.org", ["backer"], "Carl")
    other = crowdfunding_app.test_client()
    sign_in(other, carl)
    assert other.get(address, headers=HTML).status_code == 404
    assert reference not in text(other.get("/pledges", headers=HTML))

    cancelled = _post(client, f"{address}/cancel", {}, page_address=address)
    assert cancelled.status_code == 302
    assert "Annulé" in text(client.get(address, headers=HTML))


def test_a_card_pledge_page_has_the_card_field_and_the_server_confirms(crowdfunding_app, campaign, localstripe):
    client = crowdfunding_app.test_client()
    bea, _headers = backer(crowdfunding_app, "bea@example.org", "Béa Durand")
    sign_in(client, bea)
    created = _post(client, f"/campaigns/{campaign['id']}/pledge", {"amount": "40", "tier_id": "none", "method": "card"})
    assert created.status_code == 302 and created.headers["Location"].endswith("/card")
    card = client.get(created.headers["Location"], headers=HTML)
    html = card.get_data(as_text=True)
    assert card.status_code == 200
    assert f'<script src="{localstripe}/js.stripe.com/v3/"></script>' in html
    assert '<div id="card-element"' in html and "<noscript>" in html
    assert f"script-src 'self' {localstripe}" in card.headers["Content-Security-Policy"]
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    setup = {"client_secret": secret, "setup_intent_id": secret.split("_secret_")[0],
             "publishable_key": re.search(r'data-publishable-key="([^"]+)"', html).group(1),
             "js_url": f"{localstripe}/js.stripe.com/v3/"}
    # Without the card entered, the form says so.
    early = _post(client, created.headers["Location"], {})
    assert early.status_code == 302 and early.headers["Location"].endswith("/card")
    assert confirm_card_setup(setup)["status"] == "succeeded"
    saved = _post(client, created.headers["Location"], {})
    assert saved.status_code == 302
    confirmed = client.get(saved.headers["Location"], headers=HTML)
    assert "Merci ! Votre contribution est confirmée" in text(confirmed)
    assert "Carte se terminant par 4242" in text(confirmed)


def test_an_owner_writes_a_campaign_in_pages(crowdfunding_app):
    client = crowdfunding_app.test_client()
    olga = person(crowdfunding_app, "olga@example.org", ["backer"], "Olga Martin")
    sign_in(client, olga)
    become = client.get("/owner", headers=HTML)
    assert "Devenir porteur·se de campagne" in text(become) and "role=campaign_owner" in become.get_data(as_text=True)
    olga = person(crowdfunding_app, "olga@example.org", ["backer", "campaign_owner"], "Olga Martin")
    sign_in(client, olga)
    assert client.get("/owner/campaigns/new", headers=HTML).status_code == 302  # the organisation first

    wrong = _post(client, "/owner/organisation", {**ORGANISATION, "siret": "732 829 320 00075"})
    assert wrong.status_code == 422 and "SIRET" in text(wrong)
    assert _post(client, "/owner/organisation", ORGANISATION).status_code == 302

    start = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    too_late = (datetime.now() + timedelta(days=70)).strftime("%Y-%m-%dT18:00")
    form = {"title_fr": "Court métrage", "pitch_fr": "Un film tourné à Thiers.", "sector": "film", "goal": "3 000",
            "starts_at": start, "ends_at": too_late, "funding_model": "keep_it_all",
            "budget-0-label": "Tournage", "budget-0-amount": "2500", "budget-1-label": "Montage", "budget-1-amount": "500"}
    long = _post(client, "/owner/campaigns/new", form)
    assert long.status_code == 422 and "Une campagne dure au plus 60 jours." in text(long)
    created = _post(client, "/owner/campaigns/new",
                    {**form, "ends_at": (datetime.now() + timedelta(days=31)).strftime("%Y-%m-%dT18:00")})
    assert created.status_code == 302
    editor = created.headers["Location"]
    page = client.get(editor, headers=HTML)
    assert 'value="3000"' in page.get_data(as_text=True) and "Tournage" in page.get_data(as_text=True)
    assert f'value="{start}"' in page.get_data(as_text=True)  # shown back in Paris time, as entered
    assert "Ajoutez une image de couverture." in text(page)

    tier = _post(client, f"{editor}/tiers", {"title_fr": "Une affiche", "description_fr": "L'affiche du film.",
                                             "minimum": "15", "quantity": "", "delivery_month": "2027-05"}, editor)
    assert tier.status_code == 302
    assert "Une affiche" in text(client.get(editor, headers=HTML))
    not_image = client.post(f"{editor}/cover", headers=HTML, content_type="multipart/form-data", data={
        "csrf_token": _csrf(client.get(editor, headers=HTML)), "file": (io.BytesIO(b"GIF89a..."), "cover.png"),
        "alt_fr": "L'équipe"})
    assert not_image.status_code == 415 and "Seules les images PNG et JPEG sont acceptées." in text(not_image)
    cover = client.post(f"{editor}/cover", headers=HTML, content_type="multipart/form-data", data={
        "csrf_token": _csrf(client.get(editor, headers=HTML)), "file": (io.BytesIO(image()), "cover.png"),
        "alt_fr": "L'équipe du film"})
    assert cover.status_code == 302

    preview = client.get(f"{editor}/preview", headers=HTML)
    assert preview.status_code == 200 and "Aperçu" in text(preview) and "Court métrage" in text(preview)
    submitted = _post(client, f"{editor}/submit", {}, editor)
    assert submitted.status_code == 302
    assert "En modération" in text(client.get(editor, headers=HTML))

    # Another owner finds nothing there.
    otto = person(crowdfunding_app, "otto@example.org", ["campaign_owner"], "Otto")
    other = crowdfunding_app.test_client()
    sign_in(other, otto)
    assert other.get(editor, headers=HTML).status_code == 404
    assert other.get(f"{editor}/preview", headers=HTML).status_code == 404


def test_the_fund_manager_moderates_and_marks_transfers_in_pages(crowdfunding_app):
    client = crowdfunding_app.test_client()
    _olga, headers = owner(crowdfunding_app)
    campaign_id = draft(crowdfunding_app.test_client(), headers)
    assert crowdfunding_app.test_client().post(f"/api/campaigns/{campaign_id}/submit", headers=headers).status_code == 200
    manon, _manager_headers = manager(crowdfunding_app)
    sign_in(client, manon)
    listing = client.get("/manage/campaigns", headers=HTML)
    assert "Un disque pour la Criée" in text(listing) and "En attente de modération" in text(listing)
    review = f"/manage/campaigns/{campaign_id}"
    no_reason = _post(client, review, {"decision": "changes_requested"})
    assert no_reason.status_code == 422 and "Dites pourquoi" in text(no_reason)
    assert _post(client, review, {"decision": "approved"}).status_code == 302
    assert "En ligne" in text(client.get(review, headers=HTML))

    bea, bea_headers = backer(crowdfunding_app, "bea@example.org")
    pledge = crowdfunding_app.test_client().post(f"/api/campaigns/{campaign_id}/pledges", headers=bea_headers, json={
        "amount_cents": 4_000, "method": "transfer"}).get_json()
    transfers = client.get("/manage/transfers", headers=HTML)
    assert pledge["reference"] in text(transfers)
    marked = _post(client, f"/manage/pledges/{pledge['id']}/transfer-received", {}, "/manage/transfers")
    assert marked.status_code == 302
    after = client.get("/manage/transfers", headers=HTML)
    assert "marqué reçu : la contribution compte" in text(after)  # the word flashed
    assert f"<td>{pledge['reference']}</td>" not in after.get_data(as_text=True)
    pledges_page = client.get(f"/manage/campaigns/{campaign_id}/pledges", headers=HTML)
    assert "bea@example.org" in text(pledges_page) and "Confirmé" in text(pledges_page)
    assert client.get(f"/manage/campaigns/{campaign_id}/pledges.csv").mimetype == "text/csv"

    # Nobody else moderates.
    other = crowdfunding_app.test_client()
    sign_in(other, bea)
    assert other.get("/manage/campaigns", headers=HTML).status_code == 403
    assert other.get("/manage/transfers", headers=HTML).status_code == 403
    assert other.get(review, headers=HTML).status_code == 403


def test_the_owner_reads_pledges_exports_them_and_posts_news(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    bea, bea_headers = backer(crowdfunding_app, "bea@example.org", "Béa Durand")
    crowdfunding_app.test_client().post(f"/api/campaigns/{campaign['id']}/pledges", headers=bea_headers, json={
        "amount_cents": 2_000, "tier_id": campaign["tier_ids"][0], "method": "transfer"})
    olga = person(crowdfunding_app, "olga@example.org", ["campaign_owner"], "Olga Martin")
    sign_in(client, olga)
    pledges = client.get(f"/owner/campaigns/{campaign['id']}/pledges", headers=HTML)
    assert "bea@example.org" in text(pledges) and "Virement attendu" in text(pledges)
    sheet = client.get(f"/owner/campaigns/{campaign['id']}/pledges.csv")
    assert sheet.mimetype == "text/csv" and "bea@example.org" in sheet.get_data().decode("utf-8-sig")
    news = f"/owner/campaigns/{campaign['id']}/news"
    empty = _post(client, news, {"text": ""})
    assert empty.status_code == 422
    assert _post(client, news, {"text": "Le mixage est fini !"}).status_code == 302
    assert "Le mixage est fini !" in text(client.get(f"/campaigns/{campaign['id']}", headers=HTML))
    assert bea.email in sheet.get_data().decode("utf-8-sig")
