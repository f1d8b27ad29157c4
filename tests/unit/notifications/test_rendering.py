import email
from email import policy
from email.utils import parsedate_to_datetime

import pytest

from services.notifications.rendering import KINDS, render as render_parts, render_email

SENDER = "no-reply@tremplin.local"

CONTEXTS = {
    "account_confirmation": {"confirm_url": "https://tremplin.local/confirm/abc"},
    "password_reset": {"reset_url": "https://tremplin.local/reset/def"},
    "application_received": {
        "call_title": "Aide à l'écriture 2026",
        "project_title": "Les Ateliers du Port",
        "receipt_number": "AP-2026-00042",
        "submitted_at": "3 mars 2026 à 14 h 05",
    },
    "draft_reminder": {
        "call_title": "Aide à l'écriture 2026",
        "closes_at": "31 mars 2026 à 18 h",
        "application_url": "https://tremplin.local/applications/7",
    },
    "review_reminder": {
        "call_title": "Aide à la création 2026",
        "review_deadline": "20 déc. 2026, 18:00",
        "jury_url": "https://tremplin.local/subventions/jury/calls/3",
    },
    "campaign_news": {
        "campaign_title": "Un disque pour la Criée",
        "news_text": "Le mixage est fini.\nMerci à toutes et à tous !",
        "campaign_url": "https://tremplin.local/campaigns/criee",
    },
    "event_recorded": {"event_name": "Pledge captured"},
    "sign_up_attempted": {"sign_in_url": "https://tremplin.local/comptes/signin",
                          "reset_url": "https://tremplin.local/comptes/accounts/reset"},
    "invitation": {"invited_by": "Manon Dupré", "roles_text": "membre du jury", "organisation": "Les Films du Puy",
                   "accept_url": "https://tremplin.local/comptes/invitations/tok"},
    "award_granted": {
        "call_title": "Aide à la création 2026", "project_title": "Tournée des Volcans", "amount": "10 000,01 €",
        "conditions": "Citer le fonds sur les affiches.", "revised": False,
        "tranches": ["Tranche 1 : 7 000,01 € (70 %), à l'acceptation de l'aide",
                     "Tranche 2 : 3 000,00 € (30 %), à la remise du rapport final"],
        "award_url": "https://tremplin.local/subventions/awards/4",
    },
    "award_cancelled": {
        "call_title": "Aide à la création 2026", "project_title": "Tournée des Volcans", "amount": "8 000,00 €",
        "reason": "Le projet est abandonné.", "paid": "5 600,00 €", "anything_paid": True,
        "award_url": "https://tremplin.local/subventions/awards/4",
    },
    "application_not_selected": {
        "call_title": "Aide à la création 2026", "project_title": "Ciné-plein-air",
        "comments": [{"criterion": "Qualité artistique", "comments": ["Un propos fort.", "Une forme à affiner."]}],
        "overall_comments": ["Un beau projet, à représenter."],
        "decision_url": "https://tremplin.local/subventions/applications/7/decision",
    },
}
# Crowdfunding's messages: campaigns and pledges.
CONTEXTS.update({
    "campaign_submitted": {"campaign_title": "Un disque pour la Criée",
                           "campaign_url": "https://tremplin.local/owner/campaigns/3",
                           "submitted_at": "22 nov. 2026, 18:00"},
    "campaign_to_moderate": {"campaign_title": "Un disque pour la Criée", "owner_name": "Olga Martin",
                             "moderation_url": "https://tremplin.local/manage/campaigns/3"},
    "campaign_approved": {"campaign_title": "Un disque pour la Criée",
                          "campaign_url": "https://tremplin.local/owner/campaigns/3",
                          "starts_at": "1 déc. 2026, 09:00", "ends_at": "30 déc. 2026, 18:00"},
    "campaign_changes_requested": {"campaign_title": "Un disque pour la Criée",
                                   "campaign_url": "https://tremplin.local/owner/campaigns/3",
                                   "reason": "Précisez le budget du pressage."},
    "campaign_rejected": {"campaign_title": "Un disque pour la Criée", "reason": "Hors du territoire."},
    "campaign_published": {"campaign_title": "Un disque pour la Criée",
                           "campaign_url": "https://tremplin.local/campaigns/3", "ends_at": "30 déc. 2026, 18:00",
                           "goal": "5 000,00 €", "model_text": "tout ou rien"},
    "pledge_confirmed": {"campaign_title": "Un disque pour la Criée", "amount": "25,00 €", "reward": "Le disque",
                         "reference": "CF-7K3M9Q2XAB", "pledge_url": "https://tremplin.local/pledges/12",
                         "payment_text": "Rien n'est débité aujourd'hui."},
    "pledge_changed": {"campaign_title": "Un disque pour la Criée", "amount": "30,00 €", "previous_amount": "25,00 €",
                       "reward": "Le disque", "reference": "CF-7K3M9Q2XAB",
                       "pledge_url": "https://tremplin.local/pledges/12"},
    "pledge_cancelled": {"campaign_title": "Un disque pour la Criée", "amount": "25,00 €", "reference": "CF-7K3M9Q2XAB",
                         "reason_text": "Vous l'avez annulée.", "campaign_url": "https://tremplin.local/campaigns/3"},
})
# The close, charges and refunds (issue 13).
_PLEDGE = {"campaign_title": "Un disque pour la Criée", "amount": "25,00 €", "reference": "CF-7K3M9Q2XAB"}
CONTEXTS.update({
    "campaign_succeeded": {"campaign_title": "Un disque pour la Criée", "campaign_url": "https://tremplin.local/campaigns/3",
                           "pledged": "6 200,00 €", "goal": "5 000,00 €", "backers": 48, "matched": "1 400,00 €",
                           "closed_at": "30 déc. 2026, 18:00"},
    "campaign_failed_owner": {"campaign_title": "Un disque pour la Criée",
                              "campaign_url": "https://tremplin.local/campaigns/3", "pledged": "3 100,00 €",
                              "goal": "5 000,00 €"},
    "campaign_failed_backer": {"campaign_title": "Un disque pour la Criée",
                               "campaign_url": "https://tremplin.local/campaigns/3"},
    "campaign_cancelled_owner": {"campaign_title": "Un disque pour la Criée", "reason": "Le projet est abandonné.",
                                 "cancelled_at": "4 janv. 2027, 10:00"},
    "campaign_cancelled_backer": {"campaign_title": "Un disque pour la Criée",
                                  "campaign_url": "https://tremplin.local/campaigns/3",
                                  "reason": "Le projet est abandonné."},
    "pledge_charged": {**_PLEDGE, "reward": "Le disque", "pledge_url": "https://tremplin.local/pledges/12",
                       "charged_at": "30 déc. 2026, 18:01"},
    "pledge_action_needed": {**_PLEDGE, "action_url": "https://tremplin.local/pledges/12/pay",
                             "reason_text": "Votre banque demande que vous confirmiez ce paiement.",
                             "expires_at": "6 janv. 2027, 18:01", "reminder": 0},
    "pledge_failed": {**_PLEDGE, "campaign_url": "https://tremplin.local/campaigns/3",
                      "reason_text": "Le paiement n'a pas été fait avant la date limite."},
    "pledge_failed_owner": {**_PLEDGE, "campaign_url": "https://tremplin.local/campaigns/3", "backer_name": "Béa Durand"},
    "pledge_refunded": {**_PLEDGE, "pledge_url": "https://tremplin.local/pledges/12", "refund": "10,00 €",
                        "refunded_total": "10,00 €", "fully": False, "reason": "Contrepartie indisponible.",
                        "refunded_at": "8 janv. 2027, 11:00"},
})
CONTEXTS["advice_requested"] = {
    "requester_name": "Ana Lefèvre", "requester_email": "ana@example.org", "organisation": "Studio Basalte",
    "project": "Un album et sa tournée.", "mechanisms_text": "financement participatif, prêt bancaire",
    "queue_url": "https://tremplin.local/referent/advice"}
UNSUBSCRIBE_URL = "https://tremplin.local/unsubscribe/tok123"


def render(kind, language="fr", context=None, **overrides):
    arguments = {
        "sender": SENDER,
        "recipient": "ana@example.org",
        "recipient_name": "Ana Müller",
        "unsubscribe_url": None if KINDS[kind].transactional else UNSUBSCRIBE_URL,
    }
    arguments.update(overrides)
    return render_email(kind, language, CONTEXTS[kind] if context is None else context, **arguments)


def parts(message):
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def shown_values(value):
    """The texts of a context (in its lists and rows too): what the message must show."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from shown_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from shown_values(item)


def test_every_kind_has_a_context_in_these_tests():
    assert set(CONTEXTS) == set(KINDS)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_every_kind_renders_text_and_html_with_its_values_and_footer(kind, language):
    message = render(kind, language)

    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert message["Subject"]
    assert "\n" not in message["Subject"]
    assert message["Content-Language"] == language
    assert f'<html lang="{language}">' in html
    for part in (text, html):
        assert "Tremplin" in part
        assert "Ana Müller" in part
    for value in shown_values(CONTEXTS[kind]):
        # HTML escapes apostrophes; the plain text carries the value as is.
        assert value in text
        assert value.replace("'", "&#39;").split("\n")[0] in html
    footer = {
        "fr": "Ce message vous est envoyé par Tremplin",
        "en": "This message is sent to you by Tremplin",
    }
    reason = {"fr": "Vous recevez ce", "en": "You are receiving this"}
    assert footer[language] in text and footer[language] in html
    assert reason[language] in text and reason[language] in html


def test_french_and_english_say_different_things():
    french_text, _ = parts(render("password_reset", "fr"))
    english_text, _ = parts(render("password_reset", "en"))

    french_subject = render("password_reset", "fr")["Subject"]
    assert french_subject == "Réinitialisation de votre mot de passe Tremplin"
    assert render("password_reset", "en")["Subject"] == "Reset your Tremplin password"
    assert french_text.startswith("Bonjour Ana Müller,")
    assert english_text.startswith("Hello Ana Müller,")


@pytest.mark.parametrize("language", ["de", "", "xx-YY"])
def test_unknown_language_falls_back_to_french(language):
    message = render("account_confirmation", language)

    assert message["Subject"] == "Confirmez votre adresse e-mail sur Tremplin"
    assert message["Content-Language"] == "fr"


def test_regional_language_tag_uses_its_language():
    assert render("account_confirmation", "en-GB")["Content-Language"] == "en"
    english = render("account_confirmation", "en_US")
    assert english["Subject"] == "Confirm your email address on Tremplin"


def test_subject_carries_the_context():
    message = render("application_received", "fr")

    assert message["Subject"] == "Candidature reçue : Aide à l'écriture 2026 (n° AP-2026-00042)"


def test_headers_identify_sender_recipient_date_and_message():
    message = render("account_confirmation")

    assert message["From"].addresses[0].display_name == "Tremplin"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["To"].addresses[0].display_name == "Ana Müller"
    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    assert message["Message-ID"].endswith("@tremplin.local>")
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Auto-Submitted"] == "auto-generated"


def test_sender_with_a_name_keeps_it():
    message = render("account_confirmation", sender="Équipe Tremplin <contact@tremplin.local>")

    assert message["From"].addresses[0].display_name == "Équipe Tremplin"
    assert message["From"].addresses[0].addr_spec == "contact@tremplin.local"


def test_message_ids_are_unique():
    assert render("event_recorded")["Message-ID"] != render("event_recorded")["Message-ID"]


@pytest.mark.parametrize("kind", ["draft_reminder", "campaign_news"])
def test_non_transactional_kinds_carry_one_click_unsubscribe(kind):
    message = render(kind)
    text, html = parts(message)

    assert KINDS[kind].transactional is False
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Pour ne plus recevoir ces messages : {UNSUBSCRIBE_URL}" in text
    assert f'href="{UNSUBSCRIBE_URL}"' in html


@pytest.mark.parametrize("kind", ["draft_reminder", "campaign_news"])
def test_non_transactional_kind_without_unsubscribe_url_is_refused(kind):
    with pytest.raises(ValueError, match="unsubscribe_url"):
        render(kind, unsubscribe_url=None)


@pytest.mark.parametrize(
    "kind", ["account_confirmation", "password_reset", "application_received", "event_recorded"]
)
def test_transactional_kinds_never_carry_unsubscribe(kind):
    message = render(kind, unsubscribe_url=UNSUBSCRIBE_URL)
    text, html = parts(message)

    assert KINDS[kind].transactional is True
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None
    assert UNSUBSCRIBE_URL not in text and UNSUBSCRIBE_URL not in html


def test_unknown_kind_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="unknown email kind 'newsletter'"):
        render_email(
            "newsletter", "fr", {}, sender=SENDER, recipient="a@example.org",
            recipient_name="A", unsubscribe_url=None,
        )


def test_missing_context_key_is_a_value_error_naming_it():
    context = dict(CONTEXTS["application_received"])
    del context["receipt_number"]

    with pytest.raises(ValueError, match="receipt_number") as raised:
        render("application_received", context=context)
    assert not isinstance(raised.value, KeyError)


def test_context_values_are_escaped_in_html_only():
    context = {**CONTEXTS["campaign_news"], "news_text": '<script>alert("x")</script> & co'}

    text, html = parts(render("campaign_news", context=context))

    assert '<script>alert("x")</script> & co' in text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html


def test_links_in_html_are_attribute_escaped():
    context = {**CONTEXTS["draft_reminder"], "application_url": "https://tremplin.local/a?x=1&y=2"}

    text, html = parts(render("draft_reminder", context=context))

    assert "https://tremplin.local/a?x=1&y=2" in text
    assert 'href="https://tremplin.local/a?x=1&amp;y=2"' in html


def test_recipient_without_a_name_is_greeted_without_one():
    text, html = parts(render("event_recorded", "en", recipient_name=""))

    assert text.startswith("Hello,")
    assert "<p>Hello,</p>" in html


def test_message_survives_a_round_trip_through_bytes():
    message = render("campaign_news", "fr")

    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)

    assert parsed["Subject"] == message["Subject"]
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"
    assert "Merci à toutes et à tous !" in parsed.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "recipient", ["", "not an address", "ana@example.org\r\nBcc: eve@example.org"]
)
def test_unusable_recipient_is_a_value_error(recipient):
    with pytest.raises(ValueError, match="recipient"):
        render("event_recorded", recipient=recipient)


def test_name_that_would_inject_a_header_is_refused():
    with pytest.raises(ValueError):
        render("event_recorded", recipient_name="Ana\r\nBcc: eve@example.org")


PARIS_TIME = {"fr": "(heure de Paris)", "en": "(Paris time)"}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", sorted(kind for kind, spec in KINDS.items() if any(k.endswith("_at") for k in spec.context_keys)))
def test_every_time_in_an_email_says_it_is_paris_time(kind, language):
    # Instants reach the templates already written in Paris time (deliveries.compose); a reader
    # elsewhere (overseas, abroad) must be told which clock that is.
    instants = [key for key in KINDS[kind].context_keys if key.endswith("_at")]
    context = {**CONTEXTS[kind], **{key: f"<{key}>" for key in instants}}
    message = render(kind, language, context)
    text, html = parts(message)
    html = html.replace("&lt;", "<").replace("&gt;", ">").replace("</strong>", "")
    for written in (message["Subject"], text, html):
        words = " ".join(written.split())
        for key in instants:
            assert words.count(f"<{key}> {PARIS_TIME[language]}") == words.count(f"<{key}>"), written
    for key in instants:
        assert f"<{key}>" in text and f"<{key}>" in html


def test_the_award_letter_says_the_amount_and_tranches_and_a_change_says_so():
    first = render("award_granted", "fr")
    assert first["Subject"] == "Bonne nouvelle : une aide de 10 000,01 € pour « Tournée des Volcans »"
    text, html = parts(first)
    assert "- Tranche 1 : 7 000,01 € (70 %), à l'acceptation de l'aide" in text
    assert 'href="https://tremplin.local/subventions/awards/4"' in html
    changed = render("award_granted", "en", {**CONTEXTS["award_granted"], "revised": True, "conditions": ""})
    assert changed["Subject"] == 'Award changed: a grant of 10 000,01 € for "Tournée des Volcans"'
    text, _ = parts(changed)
    assert "This message replaces the previous one." in text and "Conditions" not in text


def test_the_letter_of_an_application_not_selected_carries_the_jury_comments_only_when_released():
    text, html = parts(render("application_not_selected", "fr"))
    assert "Voici les commentaires du jury, critère par critère :" in text
    assert "Qualité artistique\n- Un propos fort.\n- Une forme à affiner." in text
    assert "<li>Un propos fort.</li>" in html
    kept = {**CONTEXTS["application_not_selected"], "comments": [], "overall_comments": []}
    text, html = parts(render("application_not_selected", "en", kept))
    assert "jury's comments" not in text and "jury's comments" not in html
    assert "was not selected this time" in text


def test_a_cancellation_mentions_what_was_paid_only_when_something_was():
    text, _ = parts(render("award_cancelled", "fr"))
    assert "Ce qui vous a déjà été versé (5 600,00 €)" in text
    text, _ = parts(render("award_cancelled", "fr", {**CONTEXTS["award_cancelled"], "anything_paid": False}))
    assert "déjà été versé" not in text


def rendered(kind, language="fr", **overrides):
    arguments = {
        "sender": SENDER, "recipient": "ana@example.org", "recipient_name": "Ana Müller",
        "unsubscribe_url": None if KINDS[kind].transactional else UNSUBSCRIBE_URL,
    }
    arguments.update(overrides)
    return render_parts(kind, language, CONTEXTS[kind], **arguments)


HEADERS = ("Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "Content-Language",
           "List-Unsubscribe", "List-Unsubscribe-Post")


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_the_bytes_sent_read_as_the_message_does(kind, language):
    # The worker sends as_bytes() (the cheaper legacy build); people and tests read message().
    email_ = rendered(kind, language, recipient_name="Ana Müller, \"la\" Directrice")
    message = email_.message()

    sent = email.message_from_bytes(email_.as_bytes(), policy=policy.default)
    # What smtplib puts on the wire for the EmailMessage, read back the same way.
    wire = email.message_from_bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")), policy=policy.default)

    assert b"\n" not in email_.as_bytes().replace(b"\r\n", b"")  # SMTP's line ends, throughout
    for name in HEADERS:
        assert sent[name] == message[name], name
    assert sent["To"].addresses == message["To"].addresses
    assert sent.get_content_type() == "multipart/alternative"
    assert parts(sent) == parts(wire)
    assert [part.get_content_charset() for part in sent.iter_parts()] == ["utf-8", "utf-8"]
    assert not sent.defects and all(not part.defects for part in sent.iter_parts())


def test_a_long_subject_is_folded_and_reads_whole():
    context = {**CONTEXTS["application_received"], "call_title": "Aide à l'écriture " * 8}
    email_ = render_parts("application_received", "fr", context, sender=SENDER, recipient="ana@example.org",
                          recipient_name="Ana", unsubscribe_url=None)

    raw = email_.as_bytes()
    sent = email.message_from_bytes(raw, policy=policy.default)

    assert sent["Subject"] == email_.subject
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert max(len(line) for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")) <= 78


@pytest.mark.parametrize("name", ["", "Ana", "O'Brien, \"Jo\"", "Compagnie des Arts de la Rue du Massif Central et d'Ailleurs",
                                  "Société coopérative d'intérêt collectif des Musiques Actuelles d'Auvergne"])
def test_every_recipient_name_reads_the_same_in_the_bytes_sent(name):
    email_ = rendered("password_reset", recipient_name=name)

    raw = email_.as_bytes()
    sent = email.message_from_bytes(raw, policy=policy.default)

    assert sent["To"].addresses == email_.message()["To"].addresses
    assert sent["To"].addresses[0].display_name == name
    assert max(len(line) for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")) <= 78


# --- The words rendered once per kind, language and context (issue 15) -----------------------
# Each recipient's name and unsubscribe link are put into words rendered once for everyone of a
# context: what every recipient reads is what rendering the templates for them alone gives.

NAMES = ["", "Ana", "Zoé <b>&amp; \"Cie\"</b> l'Été", "  Deux   espaces  "]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_the_words_shared_by_recipients_read_as_the_templates_rendered_for_each(kind, language):
    from services.notifications import rendering

    links = [None] if KINDS[kind].transactional else [UNSUBSCRIBE_URL, "https://tremplin.local/u/a?x=1&y=<2>"]
    for name in NAMES:
        for link in links:
            email_ = rendered(kind, language, recipient_name=name, unsubscribe_url=link)
            subject, text, html = rendering._rendered(kind, language, CONTEXTS[kind], name, link)
            assert (email_.subject, email_.text, email_.html) == (subject, text.rstrip() + "\n", html)


def test_a_campaigns_news_is_rendered_once_per_language_for_all_its_backers():
    from services.notifications import rendering

    context = {"campaign_title": "Un disque", "news_text": "Le mixage est fini.", "campaign_url": "https://t.local/c/1"}
    before = rendering._shared_words.cache_info()
    backers = [("Ana", "fr"), ("Bob", "en"), ("Chloé", "fr"), ("Dan", "en"), ("", "fr")]
    emails = [render_parts("campaign_news", language, context, sender=SENDER, recipient=f"b{number}@example.org",
                           recipient_name=name, unsubscribe_url=f"https://t.local/unsubscribe/{number}")
              for number, (name, language) in enumerate(backers)]
    after = rendering._shared_words.cache_info()
    # Three renderings: French with a name, English with a name, French without one.
    assert (after.misses - before.misses, after.hits - before.hits) == (3, 2)
    for number, ((name, language), email_) in enumerate(zip(backers, emails)):
        assert email_.language == language
        assert f"https://t.local/unsubscribe/{number}" in email_.text
        assert f'href="https://t.local/unsubscribe/{number}"' in email_.html
        assert (f" {name}," if name else ("Bonjour," if language == "fr" else "Hello,")) in email_.text
    assert emails[0].subject == emails[2].subject != emails[1].subject


def test_a_context_json_cannot_hold_is_rendered_for_its_recipient_alone():
    from decimal import Decimal

    from services.notifications import rendering

    context = {**CONTEXTS["campaign_news"], "news_text": Decimal("12.50")}
    before = rendering._shared_words.cache_info()
    email_ = render_parts("campaign_news", "fr", context, sender=SENDER, recipient="ana@example.org",
                          recipient_name="Ana", unsubscribe_url=UNSUBSCRIBE_URL)
    assert rendering._shared_words.cache_info() == before
    assert "12.50" in email_.text and UNSUBSCRIBE_URL in email_.text
