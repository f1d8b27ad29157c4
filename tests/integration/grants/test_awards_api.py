"""Awards through the API on PostgreSQL: granting within the envelope (every refusal per field),
changes and cancellations with a reason, the decision and its events, acceptance with bank
details, tranches adding up to the cent, reports, payments recorded once, repayments, and who
may do what."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select, update

from services.grants.models import Award, AwardLogEntry, Call, Fund, Outcome, Payment
from shared.core.outbox import OutboxMessage
from tests.integration.grants.applicant_setup import applicant, manager, set_closing_time
from tests.integration.grants.award_setup import (
    OTHER_BIC,
    OTHER_IBAN,
    accepted_award,
    acceptance,
    decide,
    grant,
    reviewed_call,
)
from tests.integration.grants.grants_manager_setup import call_payload, fund, open_call
from tests.integration.grants.jury_setup import GRID, juror, submitted
from tests.integration.shared.test_concurrent_writes import at_once
from tests.pdf import small_pdf
from tests.people import bearer, person

TODAY = date.today().isoformat()


def _count(app, statement) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(statement)


def _events(app, name: str) -> list[dict]:
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.name == name).order_by(OutboxMessage.id))]


def _errors(response) -> dict:
    return response.get_json()["errors"]["json"]


def _set(app, model, row_id: int, **values) -> None:
    with app.extensions["db"].unit_of_work() as session:
        session.execute(update(model).where(model.id == row_id).values(**values))


def _board(client, headers, call_id) -> dict:
    return client.get(f"/api/manage/calls/{call_id}/awards", headers=headers).get_json()


# --- Granting ------------------------------------------------------------------------------------------------


def test_an_award_is_refused_per_field_when_not_whole_cents_negative_zero_or_above_the_request(grants_app, grants):
    call = reviewed_call(grants_app, ["Tournée des Volcans"])
    headers = manager(grants_app)
    application_id = call.applications[0]
    for amount, expected in ((100.5, "Not a valid integer."), ("800000", "Not a valid integer."),
                             (-1, "Amounts cannot be negative."), (0, "An award must be above zero."),
                             (800_001, "An award is at most the amount requested: €8,000.00.")):
        refused = grant(grants, headers, application_id, amount)
        assert refused.status_code == 422, (amount, refused.get_json())
        assert _errors(refused) == {"amount_cents": [expected]}, amount
    # Above the call's maximum (lowered in the database: the API never lets it go under a request).
    _set(grants_app, Call, call.call_id, max_award_cents=500_000)
    above = grant(grants, headers, application_id, 600_000)
    assert _errors(above) == {"amount_cents": ["An award is at most the call's maximum: €5,000.00."]}
    assert _count(grants_app, select(func.count()).select_from(Award)) == 0


def test_an_award_above_what_the_envelope_has_left_is_refused_with_how_much_is_left(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"])
    headers = manager(grants_app)
    with grants_app.extensions["db"].unit_of_work() as session:
        session.execute(update(Fund).values(envelope_cents=1_000_000))
    assert grant(grants, headers, call.applications[0], 800_000).status_code == 201
    refused = grant(grants, headers, call.applications[1], 200_001)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["message"] == "This award would take the fund past its envelope: €2,000.00 left."
    assert body["errors"]["json"] == {"amount_cents": [body["message"]]}
    # Exactly what is left fits.
    fits = grant(grants, headers, call.applications[1], 200_000)
    assert fits.status_code == 201
    board = _board(grants, headers, call.call_id)
    assert (board["committed_cents"], board["remaining_cents"]) == (1_000_000, 0)


def test_one_award_per_application_and_a_retried_grant_has_one_effect(grants_app, grants):
    call = reviewed_call(grants_app, ["Tournée des Volcans"])
    headers = manager(grants_app)
    first = grant(grants, headers, call.applications[0], 700_000, conditions_fr="Citer le fonds.")
    assert first.status_code == 201 and first.get_json()["status"] == "granted"
    again = grant(grants, headers, call.applications[0], 700_000, conditions_fr="Citer le fonds.")
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    other = grant(grants, headers, call.applications[0], 650_000)
    assert other.status_code == 409 and _errors(other) == {"application_id": ["This application already has an award."]}
    assert _count(grants_app, select(func.count()).select_from(Award)) == 1
    # Nobody but the fund manager knows yet: no event before the decision.
    assert _events(grants_app, "award.granted") == []


def test_awards_are_granted_to_submitted_applications_of_a_call_in_review(grants_app, grants):
    headers = manager(grants_app)
    open_one = open_call(grants, headers, fund(grants, headers, name="Fonds d'essai")["id"], scoring_grid=GRID)
    application_id = submitted(grants_app, "zoe@example.org", "Zoé", "Tôt", call_id=open_one["id"])
    early = grant(grants, headers, application_id, 100_000)
    assert early.status_code == 409 and early.get_json()["message"] == "Awards are granted once the call is in review."
    assert grant(grants, headers, 99_999, 100_000).status_code == 404

    call = reviewed_call(grants_app, ["Un", "Deux"])
    withdrawn = grants.post(f"/api/applications/{call.applications[1]}/withdraw", headers=call.applicant(grants_app, 1))
    assert withdrawn.status_code == 200
    refused = grant(grants, headers, call.applications[1], 100_000)
    assert refused.status_code == 409 and refused.get_json()["message"] == "Only a submitted application can get an award."


def test_only_fund_managers_grant_change_cancel_decide_and_pay(grants_app, grants):
    call, award, ana = accepted_award(grants_app)
    tranche_id = award["tranches"][0]["id"]
    nina = bearer(juror(grants_app, "nina@studio-puy.fr", "Nina"))
    writes = [
        ("post", f"/api/manage/applications/{call.applications[1]}/award", {"amount_cents": 100}),
        ("patch", f"/api/manage/awards/{award['id']}", {"amount_cents": 100, "reason": "x"}),
        ("post", f"/api/manage/awards/{award['id']}/cancel", {"reason": "x"}),
        ("post", f"/api/manage/calls/{call.call_id}/decision", {}),
        ("put", f"/api/manage/calls/{call.call_id}/tranche-plan", {"tranches": [{"share_bp": 10000, "due": "acceptance"}]}),
        ("post", f"/api/manage/tranches/{tranche_id}/payments", {"paid_on": TODAY, "amount_cents": 1, "bank_reference": "X"}),
        ("post", f"/api/manage/awards/{award['id']}/repayments", {"amount_cents": 1, "reason": "x"}),
    ]
    reads = [f"/api/manage/calls/{call.call_id}/awards", f"/api/manage/awards/{award['id']}",
             f"/api/manage/funds/{award['fund_id']}/dashboard", f"/api/manage/funds/{award['fund_id']}/awards.csv",
             f"/api/manage/funds/{award['fund_id']}/payments.csv",
             f"/api/manage/funds/{award['fund_id']}/payment-file?execution_date={TODAY}"]
    for headers, status in (({}, 401), (ana, 403), (nina, 403)):
        for method, path, body in writes:
            answer = getattr(grants, method)(path, json=body, headers=headers)
            assert answer.status_code == status, (method, path, answer.get_json())
        for path in reads:
            assert grants.get(path, headers=headers).status_code == status, path
    assert _count(grants_app, select(func.count()).select_from(Payment)) == 0
    assert _count(grants_app, select(func.count()).select_from(Award)) == 1


# --- Changing and cancelling ----------------------------------------------------------------------------------


def test_an_award_changes_with_a_reason_until_it_is_accepted_and_the_applicant_is_told_again(grants_app, grants):
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    headers = manager(grants_app)
    award_id = grant(grants, headers, call.applications[0], 800_000).get_json()["id"]
    path = f"/api/manage/awards/{award_id}"
    no_reason = grants.patch(path, json={"amount_cents": 600_000}, headers=headers)
    assert no_reason.status_code == 422 and "reason" in _errors(no_reason)
    blank = grants.patch(path, json={"amount_cents": 600_000, "reason": " "}, headers=headers)
    assert blank.status_code == 422 and "reason" in _errors(blank)
    assert grants.patch(path, json={"amount_cents": -5, "reason": "x"}, headers=headers).status_code == 422
    changed = grants.patch(path, json={"amount_cents": 600_000, "conditions_en": "Credit the fund.",
                                       "reason": "Budget revu à la baisse."}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert [t["amount_cents"] for t in changed.get_json()["tranches"]] == [420_000, 180_000]
    assert changed.get_json()["conditions_en"] == "Credit the fund."
    with grants_app.extensions["db"].unit_of_work() as session:
        [entry] = session.scalars(select(AwardLogEntry).where(AwardLogEntry.action == "award_changed")).all()
        assert entry.reason == "Budget revu à la baisse." and entry.details["before"]["amount_cents"] == 800_000
    assert _events(grants_app, "award.granted") == []  # not told yet: nothing to say again

    assert decide(grants, headers, call.call_id).status_code == 200
    again = grants.patch(path, json={"amount_cents": 650_000, "reason": "Erreur de saisie."}, headers=headers)
    assert again.status_code == 200
    letters = _events(grants_app, "award.granted")
    assert [(e["revision"], e["amount_cents"]) for e in letters] == [(1, 600_000), (2, 650_000)]

    ana = call.applicant(grants_app, 0)
    assert grants.post(f"/api/awards/{award_id}/accept", json=acceptance(), headers=ana).status_code == 200
    late = grants.patch(path, json={"amount_cents": 600_000, "reason": "Trop tard."}, headers=headers)
    assert late.status_code == 409 and late.get_json()["message"] == "The applicant accepted this award: it can no longer change."


def test_cancelling_gives_the_amount_back_to_the_envelope(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"])
    headers = manager(grants_app)
    award_id = grant(grants, headers, call.applications[0], 800_000).get_json()["id"]
    assert _board(grants, headers, call.call_id)["remaining_cents"] == 4_200_000
    no_reason = grants.post(f"/api/manage/awards/{award_id}/cancel", json={"reason": ""}, headers=headers)
    assert no_reason.status_code == 422 and "reason" in _errors(no_reason)
    cancelled = grants.post(f"/api/manage/awards/{award_id}/cancel", json={"reason": "Doublon."}, headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert _board(grants, headers, call.call_id)["remaining_cents"] == 5_000_000
    twice = grants.post(f"/api/manage/awards/{award_id}/cancel", json={"reason": "Doublon."}, headers=headers)
    assert twice.status_code == 409
    assert _events(grants_app, "award.cancelled") == []  # never announced
    # The decision: without an award left, the application is not selected.
    assert decide(grants, headers, call.call_id).status_code == 200
    assert {e["application_id"] for e in _events(grants_app, "application.not_selected")} == set(call.applications)


# --- The decision ---------------------------------------------------------------------------------------------


def test_a_call_is_not_decided_while_reviews_are_missing_unless_the_manager_says_so_and_it_is_logged(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"], reviewed=False)
    headers = manager(grants_app)
    assert grant(grants, headers, call.applications[0], 500_000).status_code == 201
    refused = decide(grants, headers, call.call_id)
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (
        "The jury has not finished: reviews are still missing (2). Decide once it is done, or say that you decide "
        "with reviews missing.")
    assert "with_reviews_missing" in _errors(refused)
    by_status = grants.post(f"/api/calls/{call.call_id}/status", json={"status": "decided"}, headers=headers)
    assert by_status.status_code == 409
    assert _count(grants_app, select(func.count()).select_from(Outcome)) == 0
    assert _events(grants_app, "award.granted") == [] and _events(grants_app, "application.not_selected") == []

    forced = decide(grants, headers, call.call_id, with_reviews_missing=True, reason="Le jury ne siège plus.")
    assert forced.status_code == 200 and forced.get_json()["missing_reviews"] == 2
    with grants_app.extensions["db"].unit_of_work() as session:
        entry = session.scalars(select(AwardLogEntry).where(AwardLogEntry.action == "decided_with_reviews_missing")).one()
        assert entry.details == {"missing_reviews": 2} and entry.reason == "Le jury ne siège plus."
        assert entry.actor_id is not None


def test_the_decision_records_every_outcome_with_its_event_and_a_retried_decision_has_one_effect(grants_app, grants):
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air", "Studio mobile"])
    headers = manager(grants_app)
    award_id = grant(grants, headers, call.applications[0], 750_000, conditions_fr="Citer le fonds.",
                     conditions_en="Credit the fund.").get_json()["id"]
    decided = decide(grants, headers, call.call_id)
    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    assert body["status"] == "decided" and body["replayed"] is False
    assert [(o["application_id"], o["outcome"]) for o in body["outcomes"]] == [
        (call.applications[0], "awarded"), (call.applications[1], "not_selected"), (call.applications[2], "not_selected")]
    [letter] = _events(grants_app, "award.granted")
    assert letter["award_id"] == award_id and letter["amount_cents"] == 750_000 and letter["revision"] == 1
    assert letter["organisation"] == {
        "siret": "73282932000074", "siren": "732829320", "rna": None, "legal_name": "Structure 0", "kind": "company",
        "sector": "music", "postal_code": "63000", "city": "Clermont-Ferrand", "created_on": "2019-03-01"}
    assert letter["conditions"] == "Citer le fonds." and letter["email"] == "applicant0@example.org"
    assert [t["amount_cents"] for t in letter["tranches"]] == [525_000, 225_000]
    assert letter["granted_at"] and letter["award_url"].endswith(f"/awards/{award_id}")
    not_selected = _events(grants_app, "application.not_selected")
    assert [e["application_id"] for e in not_selected] == call.applications[1:]
    assert all(e["jury_comments"] is None and e["requested_cents"] == 800_000 for e in not_selected)
    assert not_selected[0]["organisation"]["legal_name"] == "Structure 1"

    again = decide(grants, headers, call.call_id, release_comments=True)
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert len(_events(grants_app, "award.granted")) == 1 and len(_events(grants_app, "application.not_selected")) == 2
    assert grants.post(f"/api/calls/{call.call_id}/status", json={"status": "decided"}, headers=headers).status_code == 200
    assert len(_events(grants_app, "application.not_selected")) == 2


def test_the_jury_comments_go_to_the_applicants_not_selected_anonymised_only_when_released(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"], comments="Un propos singulier")
    headers = manager(grants_app)
    assert decide(grants, headers, call.call_id, release_comments=True).status_code == 200
    event = _events(grants_app, "application.not_selected")[0]
    assert event["jury_comments"] == [
        {"criterion": "Qualité artistique", "comments": ["Un propos singulier (qualité)"]},
        {"criterion": "Viabilité économique", "comments": ["Un propos singulier (viabilité)"]},
    ]
    assert event["overall_comments"] == ["Un propos singulier, dans l'ensemble."]
    assert "Léa" not in str(event) and "Sono Mondes" not in str(event)
    # The applicant reads them too, in their page's API; another applicant gets a 404.
    mine = grants.get(f"/api/applications/{call.applications[0]}/decision", headers=call.applicant(grants_app, 0))
    assert mine.status_code == 200 and mine.get_json()["outcome"] == "not_selected"
    assert mine.get_json()["jury_comments"][0]["comments"] == ["Un propos singulier (qualité)"]
    other = grants.get(f"/api/applications/{call.applications[0]}/decision", headers=call.applicant(grants_app, 1))
    assert other.status_code == 404


def test_the_applicant_sees_the_outcome_once_decided(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"])
    headers = manager(grants_app)
    award_id = grant(grants, headers, call.applications[0], 800_000).get_json()["id"]
    ana, ben = call.applicant(grants_app, 0), call.applicant(grants_app, 1)
    pending = grants.get(f"/api/applications/{call.applications[0]}/decision", headers=ana).get_json()
    assert pending == {"application_id": call.applications[0], "outcome": "pending", "award": None,
                       "jury_comments": None, "overall_comments": None}
    # A provisional award is nobody's business but the fund manager's.
    assert grants.get(f"/api/awards/{award_id}", headers=ana).status_code == 404
    assert grants.get("/api/awards", headers=ana).get_json() == []
    assert decide(grants, headers, call.call_id).status_code == 200
    awarded = grants.get(f"/api/applications/{call.applications[0]}/decision", headers=ana).get_json()
    assert awarded["outcome"] == "awarded" and awarded["award"]["amount_cents"] == 800_000
    assert grants.get(f"/api/applications/{call.applications[1]}/decision", headers=ben).get_json()["outcome"] == "not_selected"
    assert [a["id"] for a in grants.get("/api/awards", headers=ana).get_json()] == [award_id]
    assert grants.get(f"/api/awards/{award_id}", headers=ben).status_code == 404
    assert grants.get("/api/awards", headers=ben).get_json() == []


def test_after_the_decision_an_award_to_the_next_in_line_is_announced_at_once(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"])
    headers = manager(grants_app)
    first = grant(grants, headers, call.applications[0], 800_000).get_json()["id"]
    assert decide(grants, headers, call.call_id).status_code == 200
    assert grants.post(f"/api/awards/{first}/decline", json={"reason": "Projet reporté."},
                       headers=call.applicant(grants_app, 0)).status_code == 200
    second = grant(grants, headers, call.applications[1], 800_000)
    assert second.status_code == 201
    assert [e["application_id"] for e in _events(grants_app, "award.granted")] == call.applications
    assert grants.get(f"/api/applications/{call.applications[1]}/decision",
                      headers=call.applicant(grants_app, 1)).get_json()["outcome"] == "awarded"


# --- The agreement -------------------------------------------------------------------------------------------------


def test_acceptance_with_bank_details_each_wrong_field_named(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"])
    headers = manager(grants_app)
    award_id = grant(grants, headers, call.applications[0], 800_000).get_json()["id"]
    assert decide(grants, headers, call.call_id).status_code == 200
    ana, path = call.applicant(grants_app, 0), f"/api/awards/{award_id}/accept"
    wrong = grants.post(path, json=acceptance(iban="FR76 3000 6000 0112 3456 7890 188", bic="BNPA", terms_accepted=False,
                                              signatory_name=" "), headers=ana)
    assert wrong.status_code == 422
    assert _errors(wrong) == {
        "iban": ["This IBAN is not valid: check for a missing or mistyped character."],
        "bic": ["A BIC has 8 or 11 letters and digits, such as BNPAFRPP."],
        "terms_accepted": ["Read the terms and accept them."],
        "signatory_name": ["Name the person who signs for the organisation."],
    }
    outside = grants.post(path, json=acceptance(iban="BR15 0000 0000 0000 1093 2840 814 P2"), headers=ana)
    assert _errors(outside) == {"iban": ["Grants are paid by SEPA transfer: the IBAN must be of an account in the SEPA area."]}
    missing = grants.post(path, json={"terms_accepted": True}, headers=ana)
    assert missing.status_code == 422 and {"signatory_name", "signatory_role", "iban", "bic"} <= set(_errors(missing))
    assert grants.post(path, json=acceptance(), headers=manager(grants_app)).status_code == 403
    assert grants.post(path, json=acceptance(), headers=call.applicant(grants_app, 1)).status_code == 404
    assert grants.get(f"/api/awards/{award_id}", headers=ana).get_json()["status"] == "granted"

    accepted = grants.post(path, json=acceptance(), headers=ana)
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["status"] == "accepted" and body["accepted_at"] and body["terms_version"]
    assert (body["signatory_name"], body["signatory_role"], body["bic"]) == ("Ana Lefèvre", "Gérante", "BNPAFRPP")
    assert body["iban_masked"] == "FR76 •••• 0189"
    for answer in (accepted, grants.get(f"/api/manage/awards/{award_id}", headers=headers),
                   grants.get("/api/awards", headers=ana)):
        assert "30006000011234567890189" not in answer.get_data(as_text=True)
    assert [(t["status"], t["due_at"] is not None) for t in body["tranches"]] == [("due", True), ("planned", False)]
    [event] = _events(grants_app, "award.accepted")
    assert event["signatory_name"] == "Ana Lefèvre" and event["organisation"]["siren"] == "732829320"
    assert "30006000011234567890189" not in str(event)  # no event carries the account

    # Sent again, the same acceptance; with another account, refused.
    assert grants.post(path, json=acceptance(), headers=ana).status_code == 200
    assert grants.post(path, json=acceptance(iban=OTHER_IBAN, bic=OTHER_BIC), headers=ana).status_code == 409
    assert len(_events(grants_app, "award.accepted")) == 1
    declined = grants.post(f"/api/awards/{award_id}/decline", json={}, headers=ana)
    assert declined.status_code == 409


def test_declining_gives_the_amount_back_to_the_envelope(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux"])
    headers = manager(grants_app)
    award_id = grant(grants, headers, call.applications[0], 800_000).get_json()["id"]
    assert decide(grants, headers, call.call_id).status_code == 200
    ana = call.applicant(grants_app, 0)
    declined = grants.post(f"/api/awards/{award_id}/decline", json={"reason": "Projet reporté."}, headers=ana)
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert _board(grants, headers, call.call_id)["remaining_cents"] == 5_000_000
    assert grants.post(f"/api/awards/{award_id}/decline", json={}, headers=ana).status_code == 200
    assert grants.post(f"/api/awards/{award_id}/accept", json=acceptance(), headers=ana).status_code == 409
    assert grants.post(f"/api/manage/awards/{award_id}/cancel", json={"reason": "x"}, headers=headers).status_code == 409
    [event] = _events(grants_app, "award.declined")
    assert event["reason"] == "Projet reporté." and event["amount_cents"] == 800_000


# --- Tranches --------------------------------------------------------------------------------------------------------


def _call_for_ten_thousand_and_one_cent(app) -> tuple[int, int]:
    client, headers = app.test_client(), manager(app)
    call = open_call(client, headers, fund(client, headers)["id"], scoring_grid=GRID, max_award_cents=1_000_001)
    application_id = submitted(app, "ana@example.org", "Ana", "Tournée", requested=1_000_001, call_id=call["id"])
    set_closing_time(app, call["id"], datetime.now(timezone.utc) - timedelta(minutes=1))
    for status in ("closed", "in_review"):
        assert client.post(f"/api/calls/{call['id']}/status", json={"status": status}, headers=headers).status_code == 200
    return call["id"], application_id


def test_the_tranches_add_up_exactly_to_the_award(grants_app, grants):
    call_id, application_id = _call_for_ten_thousand_and_one_cent(grants_app)
    headers = manager(grants_app)
    plan = grants.get(f"/api/manage/calls/{call_id}/tranche-plan", headers=headers).get_json()
    assert plan == {"tranches": [{"share_bp": 7000, "percent": "70", "due": "acceptance"},
                                 {"share_bp": 3000, "percent": "30", "due": "final_report"}]}
    award = grant(grants, headers, application_id, 1_000_001).get_json()
    # 70 % of €10,000.01 is €7,000.007: the cent left goes to the larger remainder.
    assert [t["amount_cents"] for t in award["tranches"]] == [700_001, 300_000]

    thirds = {"tranches": [{"share_bp": 3333, "due": "acceptance"}, {"share_bp": 3333, "due": "interim_report"},
                           {"share_bp": 3334, "due": "final_report"}]}
    changed = grants.put(f"/api/manage/calls/{call_id}/tranche-plan", json=thirds, headers=headers)
    assert changed.status_code == 200
    tranches = grants.get(f"/api/manage/awards/{award['id']}", headers=headers).get_json()["tranches"]
    assert [t["amount_cents"] for t in tranches] == [333_300, 333_300, 333_401]
    assert sum(t["amount_cents"] for t in tranches) == 1_000_001


def test_a_tranche_plan_is_refused_naming_each_tranche(grants_app, grants):
    call = reviewed_call(grants_app, ["Un"])
    headers = manager(grants_app)
    path = f"/api/manage/calls/{call.call_id}/tranche-plan"
    short = grants.put(path, json={"tranches": [{"share_bp": 6000, "due": "acceptance"},
                                                {"share_bp": 3000, "due": "final_report"}]}, headers=headers)
    assert short.status_code == 422 and _errors(short) == {"tranches": ["The tranches' shares add up to 90% instead of 100%."]}
    order = grants.put(path, json={"tranches": [{"share_bp": 3000, "due": "final_report"},
                                                {"share_bp": 7000, "due": "acceptance"}]}, headers=headers)
    assert _errors(order) == {"tranches.0": ["Only the last tranche can be due on the final report."],
                              "tranches.1": ["Only the first tranche can be due at acceptance."]}
    assert grants.put(path, json={"tranches": []}, headers=headers).status_code == 422
    assert grants.put(path, json={"tranches": [{"share_bp": 10000, "due": "someday"}]}, headers=headers).status_code == 422
    assert decide(grants, headers, call.call_id).status_code == 200
    late = grants.put(path, json={"tranches": [{"share_bp": 10000, "due": "acceptance"}]}, headers=headers)
    assert late.status_code == 409


# --- Reports and payments -------------------------------------------------------------------------------------------


def _pay(client, headers, tranche_id, amount, reference, paid_on=TODAY):
    return client.post(f"/api/manage/tranches/{tranche_id}/payments",
                       json={"paid_on": paid_on, "amount_cents": amount, "bank_reference": reference}, headers=headers)


def test_payments_are_refused_per_field_and_one_bank_reference_is_one_payment(grants_app, grants):
    _call, award, _ana = accepted_award(grants_app)
    headers = manager(grants_app)
    first, last = award["tranches"]
    assert (first["amount_cents"], last["amount_cents"]) == (560_000, 240_000)
    not_due = _pay(grants, headers, last["id"], 1000, "VIR-0")
    assert not_due.status_code == 409 and not_due.get_json()["message"] == (
        "This tranche is due once the applicant sends the final report.")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for amount, reference, paid_on, field, message in (
        (560_001, "VIR-1", TODAY, "amount_cents", "At most €5,600.00 is left to pay on this tranche."),
        (0, "VIR-1", TODAY, "amount_cents", "A payment must be above zero."),
        (-1, "VIR-1", TODAY, "amount_cents", "Amounts cannot be negative."),
        (10.5, "VIR-1", TODAY, "amount_cents", "Not a valid integer."),
        (1000, "VIR-1", tomorrow, "paid_on", "A payment cannot be dated in the future."),
        (1000, "VIR-1", "2001-01-01", "paid_on", "A payment cannot be dated before the award was accepted."),
        (1000, "", TODAY, "bank_reference", "A bank reference has 1 to 35 characters."),
    ):
        refused = _pay(grants, headers, first["id"], amount, reference, paid_on)
        assert refused.status_code == 422 and _errors(refused) == {field: [message]}, (amount, paid_on, refused.get_json())
    assert _pay(grants, headers, 99_999, 1000, "VIR-1").status_code == 404

    part = _pay(grants, headers, first["id"], 500_000, "VIR-1")
    assert part.status_code == 201
    again = _pay(grants, headers, first["id"], 500_000, "VIR-1")
    assert again.status_code == 200 and again.get_json()["id"] == part.get_json()["id"]
    clash = _pay(grants, headers, first["id"], 400_000, "VIR-1")
    assert clash.status_code == 409 and "bank_reference" in _errors(clash)
    rest = _pay(grants, headers, first["id"], 60_000, "VIR-2")
    assert rest.status_code == 201
    full = _pay(grants, headers, first["id"], 1, "VIR-3")
    assert full.status_code == 409 and full.get_json()["message"] == "This tranche is paid in full."
    tranches = grants.get(f"/api/manage/awards/{award['id']}", headers=headers).get_json()["tranches"]
    assert [(t["status"], t["paid_cents"]) for t in tranches] == [("paid", 560_000), ("planned", 0)]
    paid = _events(grants_app, "tranche.paid")
    assert [(e["payment_cents"], e["tranche_paid"], e["award_paid_cents"]) for e in paid] == [
        (500_000, False, 500_000), (60_000, True, 560_000)]
    assert paid[0]["organisation"]["siret"] == "73282932000074" and paid[0]["paid_on"] == TODAY


def test_a_payment_sent_twice_at_once_is_recorded_once(grants_app):
    _call, award, _ana = accepted_award(grants_app)
    headers = manager(grants_app)
    tranche_id = award["tranches"][0]["id"]

    def pay():
        return _pay(grants_app.test_client(), headers, tranche_id, 560_000, "VIR-2026-0001").status_code

    assert sorted(at_once(*[pay] * 6)) == [200] * 5 + [201]
    assert _count(grants_app, select(func.count()).select_from(Payment)) == 1
    assert len(_events(grants_app, "tranche.paid")) == 1


def test_the_final_report_is_a_pdf_and_makes_the_last_tranche_due(grants_app, grants, monkeypatch):
    call, award, ana = accepted_award(grants_app)
    path = f"/api/awards/{award['id']}/reports/final"

    def upload(content, name="rapport.pdf", headers=ana):
        return grants.put(path, headers=headers, data={"file": (io.BytesIO(content), name)},
                          content_type="multipart/form-data")

    not_pdf = upload(b"GIF89a not a report", "rapport.gif")
    assert not_pdf.status_code == 415 and _errors(not_pdf) == {"file": ["This file is not a PDF."]}
    monkeypatch.setenv("MAX_DOCUMENT_BYTES", "200")
    assert upload(small_pdf("Rapport final " * 20)).status_code == 413
    monkeypatch.delenv("MAX_DOCUMENT_BYTES")
    assert upload(small_pdf("Rapport"), headers=call.applicant(grants_app, 1)).status_code == 404
    assert upload(small_pdf("Rapport"), headers=manager(grants_app)).status_code == 403
    sent = upload(small_pdf("Rapport final"))
    assert sent.status_code == 200 and sent.get_json()["kind"] == "final"
    tranches = grants.get(f"/api/awards/{award['id']}", headers=ana).get_json()["tranches"]
    assert [t["status"] for t in tranches] == ["due", "due"]
    download = sent.get_json()["download_url"]
    assert grants.get(download, headers=ana).data.startswith(b"%PDF-")
    assert grants.get(download, headers=manager(grants_app)).status_code == 200
    assert grants.get(download, headers=call.applicant(grants_app, 1)).status_code == 404


def test_an_award_cancelled_after_payments_keeps_them_and_records_what_is_paid_back(grants_app, grants):
    call, award, ana = accepted_award(grants_app)
    headers = manager(grants_app)
    first = award["tranches"][0]
    repay = f"/api/manage/awards/{award['id']}/repayments"
    early = grants.post(repay, json={"amount_cents": 1000, "reason": "Trop tôt."}, headers=headers)
    assert early.status_code == 409
    assert _pay(grants, headers, first["id"], 560_000, "VIR-1").status_code == 201
    cancelled = grants.post(f"/api/manage/awards/{award['id']}/cancel", json={"reason": "Projet abandonné."},
                            headers=headers)
    assert cancelled.status_code == 200
    assert [t["status"] for t in cancelled.get_json()["tranches"]] == ["paid", "cancelled"]
    [event] = _events(grants_app, "award.cancelled")
    assert (event["paid_cents"], event["reason"]) == (560_000, "Projet abandonné.")
    board = _board(grants, headers, call.call_id)
    assert board["committed_cents"] == 560_000  # what was paid stays committed
    assert _pay(grants, headers, award["tranches"][1]["id"], 1000, "VIR-2").status_code == 409

    too_much = grants.post(repay, json={"amount_cents": 560_001, "reason": "Tout."}, headers=headers)
    assert too_much.status_code == 422 and _errors(too_much) == {
        "amount_cents": ["At most €5,600.00 was paid and not yet claimed back."]}
    assert grants.post(repay, json={"amount_cents": 1000}, headers=headers).status_code == 422
    claimed = grants.post(repay, json={"amount_cents": 200_000, "reason": "Dépenses non engagées."}, headers=headers)
    assert claimed.status_code == 201
    figures = grants.get(f"/api/manage/funds/{award['fund_id']}/dashboard", headers=headers).get_json()
    assert (figures["committed_cents"], figures["to_pay_back_cents"], figures["paid_cents"]) == (560_000, 200_000, 560_000)
    received = f"/api/manage/repayments/{claimed.get_json()['id']}/received"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert grants.post(received, json={"received_on": tomorrow, "bank_reference": "RMB-1"}, headers=headers).status_code == 422
    assert grants.post(received, json={"received_on": TODAY, "bank_reference": "RMB-1"}, headers=headers).status_code == 200
    assert grants.post(received, json={"received_on": TODAY, "bank_reference": "RMB-1"}, headers=headers).status_code == 200
    figures = grants.get(f"/api/manage/funds/{award['fund_id']}/dashboard", headers=headers).get_json()
    assert (figures["committed_cents"], figures["repaid_cents"], figures["to_pay_back_cents"]) == (360_000, 200_000, 0)
    assert figures["remaining_cents"] == 5_000_000 - 360_000


# --- The fund's figures ------------------------------------------------------------------------------------------------


def test_the_dashboard_counts_the_envelope_the_grants_and_each_call(grants_app, grants):
    call = reviewed_call(grants_app, ["Un", "Deux", "Trois"])
    headers = manager(grants_app)
    ids = [grant(grants, headers, application_id, amount).get_json()["id"]
           for application_id, amount in zip(call.applications, (800_000, 600_000))]
    third = grant(grants, headers, call.applications[2], 500_000).get_json()["id"]
    grants.post(f"/api/manage/awards/{third}/cancel", json={"reason": "Erreur."}, headers=headers)
    assert decide(grants, headers, call.call_id).status_code == 200
    ana = call.applicant(grants_app, 0)
    assert grants.post(f"/api/awards/{ids[0]}/accept", json=acceptance(), headers=ana).status_code == 200
    first_tranche = grants.get(f"/api/manage/awards/{ids[0]}", headers=headers).get_json()["tranches"][0]
    assert _pay(grants, headers, first_tranche["id"], 560_000, "VIR-1").status_code == 201
    with grants_app.extensions["db"].unit_of_work() as session:
        fund_id = session.get(Call, call.call_id).fund_id
    empty = grants.post("/api/calls", json=call_payload(fund_id, title_fr="Aide à l'écriture 2026"), headers=headers)
    assert empty.status_code == 201

    figures = grants.get(f"/api/manage/funds/{fund_id}/dashboard", headers=headers).get_json()
    assert {key: figures[key] for key in ("envelope_cents", "committed_cents", "paid_cents", "remaining_cents",
                                          "grants", "accepted", "objective", "year")} == {
        "envelope_cents": 5_000_000, "committed_cents": 1_400_000, "paid_cents": 560_000,
        "remaining_cents": 3_600_000, "grants": 2, "accepted": 1, "objective": 5, "year": 2026}
    decided_row, empty_row = figures["calls"]
    assert {key: decided_row[key] for key in ("received", "eligible", "awarded", "requested_cents", "awarded_cents",
                                              "paid_cents")} == {
        "received": 3, "eligible": 3, "awarded": 2, "requested_cents": 2_400_000, "awarded_cents": 1_400_000,
        "paid_cents": 560_000}
    assert (empty_row["received"], empty_row["awarded"], empty_row["awarded_cents"]) == (0, 0, 0)
    assert grants.get("/api/manage/funds/99999/dashboard", headers=headers).status_code == 404


def test_the_exports_are_for_french_excel_with_the_iban_masked(grants_app, grants):
    _call, award, _ana = accepted_award(grants_app)
    headers = manager(grants_app)
    assert _pay(grants, headers, award["tranches"][0]["id"], 560_000, "VIR-2026-42").status_code == 201
    answer = grants.get(f"/api/manage/funds/{award['fund_id']}/awards.csv", headers=headers)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    content = answer.data.decode("utf-8")
    assert content.startswith("\ufeffN° aide;Appel;Récépissé;Projet;Structure;SIREN/SIRET;Secteur;Statut;Montant (€)")
    [row] = content.splitlines()[1:]
    cells = row.split(";")
    assert cells[5] == '"=""73282932000074"""' and cells[6] == "Musique" and cells[7] == "Acceptée"
    assert cells[8:11] == ["8000,00", "5600,00", "0,00"]
    assert "FR76 •••• 0189" in row and "30006000011234567890189" not in content
    english = grants.get(f"/api/manage/funds/{award['fund_id']}/awards.csv?lang=en", headers=headers).data.decode()
    assert english.startswith("\ufeffAward no.;Call;Receipt;Project;Organisation") and "Accepted" in english

    payments = grants.get(f"/api/manage/funds/{award['fund_id']}/payments.csv", headers=headers).data.decode("utf-8")
    [line] = payments.splitlines()[1:]
    cells = line.split(";")
    assert cells[5:11] == ["1/2", "à l'acceptation", "5600,00", "5600,00", date.today().strftime("%d/%m/%Y"),
                           "VIR-2026-42"]
    assert "30006000011234567890189" not in payments


def test_a_second_applicant_is_a_stranger_to_the_first_ones_award(grants_app, grants):
    call, award, ana = accepted_award(grants_app)
    ben = call.applicant(grants_app, 1)
    _, stranger = applicant(grants_app, email="zoe@example.org", name="Zoé")
    for headers in (ben, stranger):
        assert grants.get(f"/api/awards/{award['id']}", headers=headers).status_code == 404
        assert grants.post(f"/api/awards/{award['id']}/decline", json={}, headers=headers).status_code == 404
        assert grants.get(f"/api/applications/{call.applications[0]}/decision", headers=headers).status_code == 404
    assert grants.get(f"/api/awards/{award['id']}", headers=ana).status_code == 200
