"""One account for the platform: nobody learns who has one, racing sign-ups make one, roles are
taken with one click, and jurors, referents and fund managers come by invitation only."""
import threading

from sqlalchemy import func, select

from services.accounts.accounts import create_account
from services.accounts.models import Account, Invitation
from shared.accounts.auth import SESSION_COOKIE
from shared.core.outbox import OutboxMessage
from tests.pages import post_form, text

PASSWORD = "a long password"


def _count(app, model, *where):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _payloads(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.name == name).order_by(OutboxMessage.id))]


def _account(app, email, roles, name="Someone"):
    with app.extensions["db"].unit_of_work() as session:
        create_account(session, app.config["SETTINGS"], email=email, name=name, password=PASSWORD,
                       roles=list(roles), confirmed=True)


def _token(app, email, password=PASSWORD):
    answer = app.test_client().post("/api/auth/token", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def test_twenty_sign_ups_at_once_with_one_address_make_one_account_and_one_answer(accounts_app, monkeypatch):
    monkeypatch.setenv("EMAILS_PER_ADDRESS", "100/hour")  # the race, not the limit, is under test
    answers, start = [], threading.Barrier(20)

    def sign_up(number):
        client = accounts_app.test_client()
        start.wait()
        answer = client.post("/api/accounts", json={"email": "same@example.org", "name": f"N{number}",
                                                    "password": f"{PASSWORD} {number}"})
        answers.append((answer.status_code, answer.get_json()))

    threads = [threading.Thread(target=sign_up, args=(number,)) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 20 and len({str(answer) for answer in answers}) == 1 and answers[0][0] == 202
    assert _count(accounts_app, Account) == 1
    assert len(_payloads(accounts_app, "account.registered")) == 1
    assert len(_payloads(accounts_app, "account.sign_up_attempted")) == 19


def test_an_applicant_becomes_a_campaign_owner_with_one_click(accounts_app):
    _account(accounts_app, "ana@example.org", ["applicant"], "Ana")
    api = accounts_app.test_client()
    headers = _token(accounts_app, "ana@example.org")
    taken = api.post("/api/accounts/me/roles", json={"role": "campaign_owner"}, headers=headers)
    assert taken.status_code == 200
    new = {"Authorization": f"Bearer {taken.get_json()['access_token']}"}
    assert api.get("/api/accounts/me", headers=new).get_json()["roles"] == ["applicant", "campaign_owner"]
    assert _payloads(accounts_app, "account.updated")[-1]["roles"] == ["applicant", "campaign_owner"]
    refused = api.post("/api/accounts/me/roles", json={"role": "juror"}, headers=new)
    assert refused.status_code == 422 and "role" in refused.get_json()["errors"]["json"]

    browser = accounts_app.test_client()
    post_form(browser, "/signin", {"email": "ana@example.org", "password": PASSWORD})
    assert "Devenir" in text(browser.get("/account")) or "Become" in text(browser.get("/account?lang=en"))


def test_jurors_come_by_invitation_and_choose_a_password(accounts_app):
    _account(accounts_app, "manon@example.org", ["fund_manager"], "Manon")
    _account(accounts_app, "ana@example.org", ["applicant"], "Ana")
    api = accounts_app.test_client()
    invite = {"email": "jules@example.org", "name": "Jules", "organisation": "Les Films du Puy",
              "siren": "732829320", "roles": ["juror"]}
    assert api.post("/api/invitations", json=invite, headers=_token(accounts_app, "ana@example.org")).status_code == 403
    assert api.post("/api/invitations", json=invite).status_code == 401
    assert api.post("/api/invitations", json={**invite, "roles": ["admin"]},
                    headers=_token(accounts_app, "manon@example.org")).status_code == 422
    created = api.post("/api/invitations", json=invite, headers=_token(accounts_app, "manon@example.org"))
    assert created.status_code == 201 and created.get_json()["accepted_at"] is None
    [sent] = _payloads(accounts_app, "account.invited")
    assert (sent["email"], sent["roles"], sent["invited_by"], sent["siren"]) == (
        "jules@example.org", ["juror"], "Manon", "732829320")

    path = "/invitations/" + sent["accept_url"].rsplit("/", 1)[1]
    browser = accounts_app.test_client()
    page = browser.get(path)
    assert page.status_code == 200 and "jules@example.org" in text(page)
    weak = post_form(browser, path, {"password": "1234567890"})
    assert weak.status_code == 422 and _count(accounts_app, Account, Account.email == "jules@example.org") == 0
    accepted = post_form(browser, path, {"password": "une phrase de juré", "language": "fr"})
    assert accepted.status_code == 302 and browser.get_cookie(SESSION_COOKIE) is not None
    with accounts_app.extensions["db"].unit_of_work() as session:
        jules = session.scalar(select(Account).where(Account.email == "jules@example.org"))
        assert jules.roles == ["juror"] and jules.confirmed_at is not None
        assert session.scalars(select(Invitation)).one().account_id == jules.id
    again = post_form(accounts_app.test_client(), path, {"password": "une phrase de juré"}, form_path="/signin")
    assert again.status_code == 409


def test_an_invitation_adds_its_roles_to_an_existing_account(accounts_app):
    _account(accounts_app, "manon@example.org", ["fund_manager"], "Manon")
    _account(accounts_app, "ana@example.org", ["applicant"], "Ana")
    created = accounts_app.test_client().post(
        "/api/invitations", json={"email": "ana@example.org", "name": "Ana", "roles": ["referent"]},
        headers=_token(accounts_app, "manon@example.org"))
    token = _payloads(accounts_app, "account.invited")[-1]["accept_url"].rsplit("/", 1)[1]
    assert created.status_code == 201
    accepted = accounts_app.test_client().post("/api/invitations/accept", json={"token": token})
    assert accepted.status_code == 200
    with accounts_app.extensions["db"].unit_of_work() as session:
        ana = session.scalar(select(Account).where(Account.email == "ana@example.org"))
        assert ana.roles == ["applicant", "referent"]
    assert _token(accounts_app, "ana@example.org")  # her own password still
    # Announced for the services that keep something of invited people (grants: jurors only).
    [accepted] = _payloads(accounts_app, "invitation.accepted")
    assert (accepted["account_id"], accepted["roles"], accepted["invited_roles"]) == (
        ana.id, ["applicant", "referent"], ["referent"])
    names = [row for row in _payloads(accounts_app, "account.updated") if row["account_id"] == ana.id]
    assert names[-1]["roles"] == ["applicant", "referent"]


def test_a_fund_manager_invites_a_juror_from_the_invitation_page(accounts_app):
    _account(accounts_app, "manon@example.org", ["fund_manager"], "Manon")
    _account(accounts_app, "ana@example.org", ["applicant"], "Ana")
    browser = accounts_app.test_client()
    post_form(browser, "/signin", {"email": "manon@example.org", "password": PASSWORD})
    back = "http://127.0.0.1:8000/subventions/manage/calls/3/jury"
    page = browser.get(f"/invitations/new?next={back}")
    assert page.status_code == 200 and f'href="{back}"' in page.get_data(as_text=True)
    assert 'value="juror" selected' in page.get_data(as_text=True)
    bad = post_form(browser, "/invitations/new", {"role": "juror", "name": "Jules", "email": "jules@example.org",
                                                  "siren": "12345"})
    assert bad.status_code == 422 and 'id="error-siren"' in bad.get_data(as_text=True)
    assert _payloads(accounts_app, "account.invited") == []
    sent = post_form(browser, "/invitations/new", {"role": "juror", "name": "Jules", "email": "jules@example.org",
                                                   "organisation": "Les Films du Puy", "siren": "552100554"})
    assert sent.status_code == 302
    [payload] = _payloads(accounts_app, "account.invited")
    assert (payload["roles"], payload["organisation"], payload["siren"]) == (["juror"], "Les Films du Puy", "552100554")
    assert "jules@example.org" in text(browser.get("/invitations/new"))

    applicant = accounts_app.test_client()
    post_form(applicant, "/signin", {"email": "ana@example.org", "password": PASSWORD})
    assert applicant.get("/invitations/new").status_code == 403
    assert accounts_app.test_client().get("/invitations/new").status_code == 302
