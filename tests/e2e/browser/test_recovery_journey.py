"""A payment the bank refused at the close, finished in Chromium on the running platform: the
backer's saved card is localstripe's test card that requires authentication (4000 0027 6000 3184);
the platform's worker closes the campaign at its end and charges it off-session; the bank asks for
3-D Secure, so the pledge waits for its backer. She signs in, opens the recovery page, confirms the
payment in localstripe's stand-in for Stripe.js (its 3-D Secure window), and the server reads the
PaymentIntent at Stripe: paid, once, one PaymentIntent. axe checks every page."""
from datetime import datetime, timezone

import stripe
from sqlalchemy import select

from services.crowdfunding.models import Account, Pledge, StripeEvent
from services.crowdfunding.pledges import new_reference
from shared.accounts import projection
from tests.conftest import wait_until
from tests.e2e.browser.test_award_journey import sign_in
from tests.integration.crowdfunding.campaign_setup import live
from tests.integration.crowdfunding.closing_setup import AUTHENTICATION, end_now, intents_at_localstripe
from tests.people import person


def platform_backer(accounts_app, crowdfunding_app, email, name, roles=("backer",)):
    """Someone with an account at the accounts service (to sign in), whom the crowdfunding knows by the same id."""
    someone = person(accounts_app, email, list(roles), name, "fr")
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        projection.record(session, Account, {
            "account_id": someone.id, "email": someone.email, "name": someone.name, "language": someone.language,
            "roles": list(someone.roles), "session_version": someone.session_version}, datetime.now(timezone.utc))
    return someone


def card_pledge(crowdfunding_app, localstripe, campaign_id, someone, number, amount_cents):
    """A confirmed card pledge whose card is saved at the platform's localstripe."""
    client = stripe.StripeClient("sk_test_tests", base_addresses={"api": localstripe})
    customer = client.v1.customers.create(params={"email": someone.email})
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        pledge = Pledge(campaign_id=campaign_id, account_id=someone.id, amount_cents=amount_cents, public_name=False,
                        method="card", status="confirmed", reference=new_reference(), stripe_customer_id=customer.id,
                        stripe_payment_method_id=method.id, card_last4=number[-4:],
                        confirmed_at=datetime.now(timezone.utc))
        session.add(pledge)
        session.flush()
        return pledge.id, pledge.reference


def _pledge(app, pledge_id):
    with app.extensions["db"].unit_of_work() as session:
        return session.get(Pledge, pledge_id)


def test_a_backer_completes_3d_secure_on_the_recovery_page(platform, accounts_app, crowdfunding_app, page, audit):
    localstripe = f"http://127.0.0.1:{platform.localstripe_port}"
    crowdfunding = platform.public_urls["crowdfunding"]
    bea = platform_backer(accounts_app, crowdfunding_app, "bea@example.org", "Béa Durand")
    campaign = live(crowdfunding_app, goal_cents=1_000)
    pledge_id, reference = card_pledge(crowdfunding_app, localstripe, campaign["id"], bea, AUTHENTICATION, 3_000)
    end_now(crowdfunding_app, campaign["id"])
    # The platform's worker closes the campaign and charges the card off-session: the bank asks.
    wait_until(lambda: _pledge(crowdfunding_app, pledge_id).payment_status == "action_needed", timeout=90,
               message="the charge refused for authentication")

    page.goto(f"{crowdfunding}/pledges/{pledge_id}/pay")
    audit.check()
    sign_in(page, audit, "bea@example.org")
    assert page.url == f"{crowdfunding}/pledges/{pledge_id}/pay"
    assert page.get_by_role("heading", level=1).inner_text() == "Finir de payer ma contribution"
    assert "Votre banque vous demande de confirmer ce paiement" in page.locator("#reason").inner_text()
    page.get_by_role("button", name="Confirmer le paiement de 30,00", exact=False).click()
    # localstripe's stand-in for the bank's 3-D Secure window.
    with page.expect_navigation():
        page.get_by_role("button", name="Complete authentication").click()
    audit.check()
    assert "Merci ! Votre paiement est passé." in page.locator(".flash").inner_text()
    assert "Payé" in page.locator("#payment").inner_text()

    row = _pledge(crowdfunding_app, pledge_id)
    assert (row.payment_status, row.paid_cents) == ("paid", 3_000)
    [intent] = intents_at_localstripe(localstripe, [reference])
    assert intent["status"] == "succeeded" and intent["amount"] == 3_000
    # localstripe's own webhook about it arrives too, and changes nothing.
    def webhook():
        with crowdfunding_app.extensions["db"].unit_of_work() as session:
            return session.scalars(select(StripeEvent).where(StripeEvent.type == "payment_intent.succeeded")).all()

    events = wait_until(webhook, timeout=30, message="payment_intent.succeeded webhook")
    assert events[-1].outcome in (f"pledge {pledge_id}: paid", f"pledge {pledge_id}: already_paid")
    assert _pledge(crowdfunding_app, pledge_id).paid_cents == 3_000
    assert audit.pages_left_unchecked() == []
