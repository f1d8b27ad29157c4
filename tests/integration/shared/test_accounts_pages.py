"""The account pages: forms protected against forgery, messages in French or English."""
from sqlalchemy import select

from shared.core.outbox import OutboxMessage
from tests.pages import post_form, text


def _last_event(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.name == name).order_by(OutboxMessage.id.desc())).first()


def test_sign_up_confirm_sign_in_and_out(grants_app):
    client = grants_app.test_client()
    page = client.get("/signup")
    assert page.status_code == 200 and "Créez votre compte" in text(page)

    response = post_form(client, "/signup", {"name": "Ana", "email": "ana@example.org", "password": "a long password", "language": "fr"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/signin")
    confirm_url = _last_event(grants_app, "account.registered").payload["confirm_url"]

    refused = post_form(client, "/signin", {"email": "ana@example.org", "password": "a long password"})
    assert refused.status_code == 403 and "Confirmez d'abord votre adresse" in text(refused)

    confirmed = client.get(confirm_url.removeprefix(grants_app.config["SETTINGS"].public_url), follow_redirects=True)
    assert "Votre adresse e-mail est confirmée" in text(confirmed)

    signed_in = post_form(client, "/signin?next=/somewhere", {"email": "ana@example.org", "password": "a long password"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/somewhere"
    home = client.get("/signin")
    assert "Ana" in text(home)

    out = post_form(client, "/signout", {}, form_path="/signin")
    assert out.status_code == 302
    assert "Ana" not in text(client.get("/signin"))


def test_forms_refuse_a_missing_or_forged_csrf_token(grants_app):
    client = grants_app.test_client()
    response = client.post("/signup", data={"name": "X", "email": "x@example.org", "password": "a long password"})
    assert response.status_code == 400
    assert "<html" in text(response) and "rechargez la page" in text(response)
    forged = client.post("/signin", data={"email": "x@example.org", "password": "p", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert _last_event(grants_app, "account.registered") is None


def test_field_errors_shown_in_the_chosen_language(grants_app):
    client = grants_app.test_client()
    french = post_form(client, "/signup", {"name": "", "email": "nope", "password": "short"})
    assert french.status_code == 422
    assert "Ce champ est obligatoire." in text(french) and "Adresse e-mail non valide." in text(french)
    client.get("/signup?lang=en")  # the choice is kept in a cookie
    english = post_form(client, "/signup", {"name": "", "email": "nope", "password": "short"})
    assert "Missing data for required field." in text(english) and "Not a valid email address." in text(english)


def test_sign_in_attempts_are_limited(grants_app):
    client = grants_app.test_client()
    statuses = [
        post_form(client, "/signin", {"email": "victim@example.org", "password": f"guess {n}"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    api = grants_app.test_client().post("/api/auth/token", json={"email": "victim@example.org", "password": "x"})
    assert api.status_code == 429 and api.get_json()["code"] == 429


def test_password_reset_by_email_link(grants_app):
    from shared.accounts.models import create_account

    with grants_app.extensions["db"].unit_of_work() as session:
        create_account(session, grants_app.config["SETTINGS"], email="rita@example.org", name="Rita",
                       password="old password 1", roles=["applicant"], confirmed=True)
    client = grants_app.test_client()
    post_form(client, "/accounts/reset", {"email": "nobody@example.org"})
    assert _last_event(grants_app, "account.password_reset_requested") is None
    response = post_form(client, "/accounts/reset", {"email": "rita@example.org"})
    assert response.status_code == 302
    reset_path = _last_event(grants_app, "account.password_reset_requested").payload["reset_url"].removeprefix(grants_app.config["SETTINGS"].public_url)
    assert post_form(client, reset_path, {"password": "new password 2"}).status_code == 302
    # The link works once: the password it was made for has changed.
    assert post_form(client, reset_path, {"password": "new password 3"}).status_code == 404
    token = grants_app.test_client().post("/api/auth/token", json={"email": "rita@example.org", "password": "new password 2"})
    assert token.status_code == 200


def test_unknown_page_is_a_page_for_people_and_json_for_programs(grants_app):
    client = grants_app.test_client()
    person = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert person.status_code == 404 and "<html" in text(person) and "Cette page n'existe pas" in text(person)
    program = client.get("/api/no/such/thing")
    assert program.status_code == 404 and program.get_json()["code"] == 404
