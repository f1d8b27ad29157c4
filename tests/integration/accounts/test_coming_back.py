"""A person comes back to the page they came from: signing up from a campaign's pledge form (the
backer role offered first), through the confirmation email and signing in; taking a role in one
click on the account page. A page elsewhere is never where they are sent. The crowdfunding knows
a role taken this way at once, from the new cookie, before the accounts' event reaches it."""
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from services.crowdfunding.models import Account
from shared.core.outbox import OutboxMessage
from tests.pages import post_form, text
from tests.people import PASSWORD, bearer, person, sign_in

PLEDGE = "http://127.0.0.1:8000/financement-participatif/campaigns/3/pledge"


def _confirm_url(app):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.name == "account.registered")
                               .order_by(OutboxMessage.id.desc())).first().payload["confirm_url"]


def test_signing_up_from_a_pledge_form_comes_back_to_it(accounts_app):
    client = accounts_app.test_client()
    form = client.get(f"/signup?next={PLEDGE}&role=backer")
    assert '<option value="backer" selected>' in form.get_data(as_text=True)
    assert "/signin?next=http" in form.get_data(as_text=True)  # "I already have an account" keeps the way back
    signed_up = post_form(client, f"/signup?next={PLEDGE}", {
        "name": "Béa", "email": "bea@example.org", "password": PASSWORD, "language": "fr", "role": "backer"})
    assert signed_up.status_code == 302
    assert parse_qs(urlsplit(signed_up.headers["Location"]).query)["next"] == [PLEDGE]

    confirm_url = _confirm_url(accounts_app)
    assert parse_qs(urlsplit(confirm_url).query)["next"] == [PLEDGE]
    confirmed = client.get(confirm_url.removeprefix(accounts_app.config["SETTINGS"].public_url))
    assert confirmed.status_code == 302
    sign_in_page = confirmed.headers["Location"]
    assert parse_qs(urlsplit(sign_in_page).query)["next"] == [PLEDGE]
    signed_in = post_form(client, sign_in_page, {"email": "bea@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == PLEDGE


def test_a_page_elsewhere_is_never_where_a_sign_up_leads(accounts_app):
    client = accounts_app.test_client()
    signed_up = post_form(client, "/signup?next=https://evil.example/pledge", {
        "name": "Eve", "email": "eve@example.org", "password": PASSWORD, "language": "fr"})
    assert signed_up.status_code == 302 and "evil" not in signed_up.headers["Location"]
    assert "next=" not in _confirm_url(accounts_app) and "evil" not in _confirm_url(accounts_app)


def test_taking_a_role_from_the_account_page_goes_back(accounts_app):
    client = accounts_app.test_client()
    ana = person(accounts_app, "ana@example.org", ["applicant"], "Ana")
    sign_in(client, ana)
    page = client.get(f"/account?role=backer&next={PLEDGE}")
    assert "La page d'où vous venez demande ce rôle" in text(page)
    taken = post_form(client, f"/account?role=backer&next={PLEDGE}", {"action": "role", "role": "backer"},
                      form_path=f"/account?role=backer&next={PLEDGE}")
    assert taken.status_code == 302 and taken.headers["Location"] == PLEDGE
    # Without a page to go back to, the account page itself.
    again = post_form(client, "/account", {"action": "role", "role": "campaign_owner"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/account")


def test_another_service_knows_a_role_from_the_new_cookie_before_the_event(crowdfunding_app):
    client = crowdfunding_app.test_client()
    ana = person(crowdfunding_app, "ana@example.org", ["applicant"], "Ana")
    # Her copy was last brought up to date a minute ago, by an event.
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        session.get(Account, ana.id).synced_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    sign_in(client, ana)
    assert client.get("/pledges", headers={"Accept": "text/html"}).status_code == 403
    # The accounts service gave her a new cookie with the role; its event has not arrived.
    ana.roles = ["applicant", "backer"]
    sign_in(client, ana)
    assert client.get("/pledges", headers={"Accept": "text/html"}).status_code == 200
    # An older cookie does not take the role back: the copy now knows it from the newer one.
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert "backer" in session.get(Account, ana.id).roles


def test_the_accounts_service_never_takes_roles_from_a_token(accounts_app):
    """Its table is the accounts themselves, not a copy: a token naming a role the account does not
    have (made up, or from before the role was taken away) gives nothing."""
    ana = person(accounts_app, "ana@example.org", ["applicant"], "Ana")
    ana.roles = ["applicant", "fund_manager"]
    refused = accounts_app.test_client().post("/api/invitations", headers=bearer(ana), json={
        "email": "juror@example.org", "name": "Juror", "roles": ["juror"]})
    assert refused.status_code == 403
