"""People's pages of the notifications service: the unsubscribe link, and the local mailbox."""
import smtplib

import pytest
from sqlalchemy import select

from services.notifications import preferences
from services.notifications.devsmtp import MailDirectory
from services.notifications.models import Preference
from services.notifications.rendering import render_email
from tests.pages import text


@pytest.fixture
def link(notifications_app):
    settings = notifications_app.config["SETTINGS"]

    def make(email="ana@example.org", category="reminders", secret=None):
        url = preferences.unsubscribe_url(secret or settings.secret_key, settings.public_url, email, category)
        return url.removeprefix(settings.public_url)

    return make


def _choices(app):
    with app.extensions["db"].unit_of_work() as session:
        return [(p.email, p.category, p.subscribed) for p in session.scalars(select(Preference))]


def test_link_opens_a_confirmation_page_in_french_then_english(notifications_app, client, link):
    page = client.get(link())

    assert page.status_code == 200
    assert "Ne plus envoyer de rappels sur vos candidatures à ana@example.org ?" in text(page)
    assert '<form method="post">' in text(page)
    english = client.get(link() + "?lang=en")
    assert "Stop sending reminders about your applications to ana@example.org?" in text(english)
    assert _choices(notifications_app) == []  # opening the link changes nothing


def test_one_click_post_unsubscribes_that_address_from_that_category(notifications_app, client, link):
    # What a mail client sends (RFC 8058): no cookie, no form token.
    response = client.post(link(), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert "ana@example.org ne recevra plus de rappels sur vos candidatures." in text(response)
    assert _choices(notifications_app) == [("ana@example.org", "reminders", False)]
    with notifications_app.extensions["db"].unit_of_work() as session:
        assert preferences.preferences_of(session, "ana@example.org") == {"reminders": False, "campaign_news": True}
        assert preferences.preferences_of(session, "bob@example.org") == {"reminders": True, "campaign_news": True}
    # A second click is harmless.
    assert client.post(link()).status_code == 200
    assert _choices(notifications_app) == [("ana@example.org", "reminders", False)]


def test_a_link_that_is_not_signed_by_us_changes_nothing(notifications_app, client, link):
    genuine = link("ana@example.org")
    token = genuine.rsplit("/", 1)[1]
    payload, signature = token.rsplit(".", 1)
    forged_for_bob = link("bob@example.org").rsplit("/", 1)[1].rsplit(".", 1)[0] + "." + signature
    refused = [
        f"/unsubscribe/{payload}.{signature[:-2]}xx",  # altered signature
        f"/unsubscribe/{forged_for_bob}",  # someone else's address with ana's signature
        link("bob@example.org", secret="another-secret-of-the-same-length-000000"),  # signed by someone else
        link("ana@example.org", category="receipts"),  # transactional: not a category one can leave
        "/unsubscribe/nothing",
    ]

    for path in refused:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 404, path
            assert "lien de désabonnement n'est pas valide" in text(response)
    assert _choices(notifications_app) == []


@pytest.fixture
def mailbox(tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("MAILBOX_DIR", str(tmp_path))
    port = smtp_server(MailDirectory(tmp_path))
    message = render_email(
        "draft_reminder", "en",
        {"call_title": "Open call", "closes_at": "Mar 3", "application_url": "http://x.test/a/1"},
        sender="no-reply@tremplin.local", recipient="ana@example.org", recipient_name="Ana",
        unsubscribe_url="http://127.0.0.1:8003/unsubscribe/tok",
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)
    return tmp_path


def test_mailbox_page_lists_and_shows_the_messages(mailbox, notifications_app):
    client = notifications_app.test_client()
    listing = client.get("/mailbox?lang=en")

    assert listing.status_code == 200
    assert 'Reminder: the call "Open call" closes on Mar 3' in text(listing)
    assert "Ana <ana@example.org>" in text(listing)
    message_path = next(
        part.split('"')[0] for part in listing.get_data(as_text=True).split('href="') if part.startswith("/mailbox/")
    )
    shown = client.get(message_path)
    assert shown.status_code == 200
    assert "List-Unsubscribe" in text(shown)
    assert "Resume my application:" in text(shown)  # the text part
    assert "<iframe sandbox" in shown.get_data(as_text=True)  # the HTML part, kept from running scripts
    assert client.get("/mailbox/20260101T000000000000Z-" + "0" * 32).status_code == 404
    assert client.get("/mailbox/..%2F..%2Fetc%2Fpasswd").status_code == 404


@pytest.mark.parametrize(
    "environment, served",
    [
        ({"MAILBOX_PAGE": "0"}, False),
        ({"SMTP_HOST": "mailpit"}, False),  # mail leaves this machine: no page unless asked
        ({"SMTP_HOST": "mailpit", "MAILBOX_PAGE": "1"}, True),
        ({}, True),  # make run: the local devsmtp
    ],
)
def test_mailbox_page_is_served_only_where_mail_stays_local(mailbox, monkeypatch, environment, served):
    from services.notifications.app import create_app

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True})
    try:
        assert app.test_client().get("/mailbox").status_code == (200 if served else 404)
    finally:
        app.extensions["db"].dispose()



@pytest.mark.parametrize("environment, mailbox_link", [({}, True), ({"MAILBOX_PAGE": "0"}, False)])
def test_the_home_page_links_to_the_mailbox_when_served_and_to_the_sites(monkeypatch, environment, mailbox_link):
    from services.notifications.app import create_app

    for name, value in {**environment, "GRANTS_PUBLIC_URL": "https://aides.example.org"}.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True})
    try:
        page = app.test_client().get("/", headers={"Accept": "text/html"})
    finally:
        app.extensions["db"].dispose()

    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Les e-mails de Tremplin" in text(page) and 'href="https://aides.example.org/"' in text(page)
    assert ('href="/mailbox"' in text(page)) is mailbox_link


def test_the_mailbox_logo_leads_to_a_page(mailbox, notifications_app):
    client = notifications_app.test_client()
    # The logo leads to the platform's home page, at the one address (the proxy).
    assert 'class="brand" href="http://127.0.0.1:8000/"' in text(client.get("/mailbox"))
    home = client.get("/")
    assert home.status_code == 200 and "Ouvrir la boîte aux lettres" in text(home)
