"""The decision reaches every applicant by email, in their language, through the real relay,
Redis, the notifications worker (dramatiq) and a real SMTP server: the award letter with the
amount, the conditions and the link to accept; the polite letter with the jury's anonymised
comments per criterion when the manager releases them; a cancellation."""
from __future__ import annotations

from services.grants.models import Application
from tests.conftest import wait_until
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.award_setup import decide, grant, reviewed_call


def _body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _acknowledged(relay, inbox, applications: int) -> None:
    """The events before the decision (submissions...) go out first; their receipts are set aside."""
    relay.relay_batch()
    wait_until(lambda: len(inbox.messages) >= applications, timeout=30, message="the receipts of the applications")
    inbox.messages.clear()


def _to(inbox, address):
    return [message for message in inbox.messages if address in message["To"]]


def test_the_decision_emails_each_applicant_in_their_language(grants_app, grants, notifications_app,
                                                               notifications_worker, relay, inbox):
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air", "Studio mobile"],
                         languages={0: "fr", 1: "en", 2: "fr"}, comments="Un propos singulier")
    _acknowledged(relay, inbox, 3)
    with grants_app.extensions["db"].unit_of_work() as session:
        first = session.get(Application, call.applications[0])
        first.snapshot = {**first.snapshot, "requested_cents": 800_001}
    headers = manager(grants_app)
    granted = grant(grants, headers, call.applications[0], 800_001, conditions_fr="Citer le fonds sur les affiches.",
                    conditions_en="Credit the fund on the posters.")
    assert granted.status_code == 201, granted.get_json()
    award = granted.get_json()
    assert decide(grants, headers, call.call_id, release_comments=True).status_code == 200
    assert relay.relay_batch() == 3

    wait_until(lambda: len(inbox.messages) >= 3, timeout=30, message="the three decision emails")
    [awarded] = _to(inbox, "applicant0@example.org")
    # (A subject is one line: its spaces, the non-breaking ones too, become plain spaces.)
    assert awarded["Subject"] == "Bonne nouvelle : une aide de 8 000,01 € pour « Tournée des Volcans »"
    assert awarded["Content-Language"] == "fr"
    text = _body(awarded)
    assert "Montant de l'aide : 8\u202f000,01\xa0€" in text
    assert "Citer le fonds sur les affiches." in text and "Credit the fund" not in text
    assert "- Tranche 1 : 5\u202f600,01\xa0€ (70\xa0%), à l'acceptation de l'aide" in text
    assert "- Tranche 2 : 2\u202f400,00\xa0€ (30\xa0%), à la remise du rapport final" in text
    assert f"/subventions/awards/{award['id']}" in text
    assert f'href="http://127.0.0.1:8000/subventions/awards/{award["id"]}"' in awarded.get_body(("html",)).get_content()

    [english] = _to(inbox, "applicant1@example.org")
    assert english["Subject"] == 'Call "Creation grant 2026": your application was not selected'
    assert english["Content-Language"] == "en"
    text = _body(english)
    assert "Here are the jury's comments, criterion by criterion:" in text
    assert "Artistic quality\n- Un propos singulier (qualité)" in text
    assert "Economic viability\n- Un propos singulier (viabilité)" in text
    assert "Overall\n- Un propos singulier, dans l'ensemble." in text
    assert f"/applications/{call.applications[1]}/decision" in text

    [french] = _to(inbox, "applicant2@example.org")
    assert french["Subject"] == "Appel « Aide à la création 2026 » : votre candidature n'a pas été retenue"
    assert "Qualité artistique\n- Un propos singulier (qualité)" in _body(french)
    # Anonymised: no juror's name nor organisation in any letter.
    for message in inbox.messages:
        assert "Léa" not in message.as_string() and "Sono Mondes" not in message.as_string()


def test_without_the_comments_released_the_letter_is_polite_and_brief(grants_app, grants, notifications_app,
                                                                      notifications_worker, relay, inbox):
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air"], languages={1: "en"})
    _acknowledged(relay, inbox, 2)
    headers = manager(grants_app)
    award_id = grant(grants, headers, call.applications[0], 800_000).get_json()["id"]
    assert decide(grants, headers, call.call_id).status_code == 200
    # A cancellation after the decision is told too, and replaces the letter if not yet sent.
    cancelled = grants.post(f"/api/manage/awards/{award_id}/cancel", json={"reason": "Le projet est abandonné."},
                            headers=headers)
    assert cancelled.status_code == 200
    relay.relay_batch()
    wait_until(lambda: len(_to(inbox, "applicant1@example.org")) == 1 and _to(inbox, "applicant0@example.org") and any(
        "annulée" in m["Subject"] for m in _to(inbox, "applicant0@example.org")), timeout=30,
        message="the letter not selected and the cancellation")
    [english] = _to(inbox, "applicant1@example.org")
    text = _body(english)
    assert "was not selected this time" in text and "jury's comments" not in text
    [cancellation] = [m for m in _to(inbox, "applicant0@example.org") if "annulée" in m["Subject"]]
    assert cancellation["Subject"] == "Votre aide pour « Tournée des Volcans » est annulée"
    assert "Motif : Le projet est abandonné." in _body(cancellation)
