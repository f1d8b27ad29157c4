"""The jury through the API, on PostgreSQL: the panel, automatic assignment that respects
recusals and flags, declarations (a recused juror refused the application and its documents),
scoring with its deadline, the deliberation, the ranking with its correction, the exports, and
who may call what."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from services.grants import jury
from services.grants.models import Application, Assignment, JuryLogEntry
from services.grants.schemas.jury import RankedRowSchema
from shared.core.refusal import Refusal
from tests.conftest import wait_until
from tests.integration.grants.applicant_setup import PROFILE, applicant, manager
from tests.integration.grants.jury_setup import Jurors, call_in_review, juror, scores
from tests.people import bearer, person

OTHER_FIRM = {**PROFILE, "legal_name": "Studio Puy SAS", "siret": "552100554", "city": "Clermont-Ferrand"}


@pytest.fixture
def panel(grants_app, grants):
    """A call in review with four applications (the last by a firm whose SIREN a juror shares,
    the third by an applicant whose email domain another juror shares) and four jurors on its
    panel."""
    call_id, applications = call_in_review(
        grants_app, ["Tournée des Volcans", "Ciné-plein-air", "Jeu des Dômes", "Atelier photo"],
        profiles={3: OTHER_FIRM}, emails={2: "contact@films-du-puy.fr"})
    people = [
        juror(grants_app, "jules@films-du-puy.fr", "Jules", "Les Films du Puy"),
        juror(grants_app, "lea@gmail.com", "Léa", "Sono Mondes"),
        juror(grants_app, "marc@gmail.com", "Marc", "Pixels d'Auvergne"),
        juror(grants_app, "nina@label-volcan.fr", "Nina", "Studio Puy", siren="552 100 554"),
    ]
    headers = manager(grants_app)
    for someone in people:
        added = grants.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": someone.id}, headers=headers)
        assert added.status_code == 201, added.get_json()
    return call_id, applications, people, headers


def _assignments(grants, call_id, headers) -> dict[int, dict[int, str]]:
    """{application: {juror: stage}}"""
    answer = grants.get(f"/api/manage/calls/{call_id}/assignments", headers=headers)
    assert answer.status_code == 200
    return {row["application_id"]: {seat["juror_id"]: seat["stage"] for seat in row["assignments"]}
            for row in answer.get_json()}


def test_obvious_conflicts_are_flagged_and_automatic_assignment_respects_them(grants_app, grants, panel):
    call_id, applications, (jules, lea, marc, nina), headers = panel
    flags = grants.get(f"/api/manage/calls/{call_id}/declarations", headers=headers).get_json()["flags"]
    assert sorted((f["juror_id"], f["application"]["application_id"], f["rule"], f["detail"], f["status"]) for f in flags) == [
        (jules.id, applications[2], "same_email_domain", "films-du-puy.fr", "open"),
        (nina.id, applications[3], "same_siren", "552100554", "open"),
    ]  # Léa and Marc share gmail.com with nobody that counts.

    run = grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    assert run.status_code == 200 and run.get_json() == {"added": 12, "unfilled": []}
    seats = _assignments(grants, call_id, headers)
    assert all(len(jurors) == 3 for jurors in seats.values())
    assert jules.id not in seats[applications[2]] and nina.id not in seats[applications[3]]
    loads = [sum(someone.id in jurors for jurors in seats.values()) for someone in (jules, lea, marc, nina)]
    assert loads == [3, 3, 3, 3]
    # Running it again adds nothing: every application has its reviews.
    assert grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers).get_json()["added"] == 0

    # A flag confirmed is a recusal; a flag cleared lets the manager assign by hand.
    [nina_flag] = [f for f in flags if f["juror_id"] == nina.id]
    [jules_flag] = [f for f in flags if f["juror_id"] == jules.id]
    refused = grants.post(f"/api/manage/calls/{call_id}/assignments",
                          json={"application_id": applications[2], "juror_id": jules.id}, headers=headers)
    assert refused.status_code == 409 and "flagged" in refused.get_json()["message"]
    confirmed = grants.post(f"/api/manage/flags/{nina_flag['id']}", json={"decision": "confirm"}, headers=headers)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    again = grants.post(f"/api/manage/flags/{nina_flag['id']}", json={"decision": "clear"}, headers=headers)
    assert again.status_code == 409
    assert grants.post(f"/api/manage/calls/{call_id}/assignments", headers=headers,
                       json={"application_id": applications[3], "juror_id": nina.id}).status_code == 409
    cleared = grants.post(f"/api/manage/flags/{jules_flag['id']}", json={"decision": "clear"}, headers=headers)
    assert cleared.get_json()["status"] == "cleared"
    # Jules is now free for the third application: by hand, one more juror than asked.
    by_hand = grants.post(f"/api/manage/calls/{call_id}/assignments", headers=headers,
                          json={"application_id": applications[2], "juror_id": jules.id})
    assert by_hand.status_code == 201 and by_hand.get_json()["origin"] == "manual"
    assert by_hand.get_json()["stage"] == "to_declare"
    assert grants.post(f"/api/manage/calls/{call_id}/assignments", headers=headers,
                       json={"application_id": applications[2], "juror_id": jules.id}).status_code == 409
    removed = grants.delete(f"/api/manage/assignments/{by_hand.get_json()['id']}", headers=headers)
    assert removed.status_code == 204
    log = grants.get(f"/api/manage/calls/{call_id}/jury/log", headers=headers).get_json()
    assert [entry["action"] for entry in log][:4] == ["assignment_removed", "assignment_added", "flag_cleared",
                                                     "flag_confirmed"]


def test_a_declared_conflict_recuses_the_juror_everywhere_and_brings_another(grants_app, grants, panel, documents_dir):
    call_id, applications, (jules, lea, marc, nina), headers = panel
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"reviews_per_application": 2}, headers=headers)
    assert grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers).get_json()["added"] == 8
    seats = _assignments(grants, call_id, headers)
    first = applications[0]
    [declarer, other] = sorted(seats[first])
    by_id = {someone.id: someone for someone in (jules, lea, marc, nina)}
    recused = Jurors(grants, by_id[declarer])

    # Before declaring: the title, the organisation's name and city, nothing else.
    cover = recused.get(f"/applications/{first}")
    assert cover.status_code == 200
    assert cover.get_json() == {"application_id": first, "call_id": call_id, "project_title": "Tournée des Volcans",
                                "organisation": "Label Dôme SARL", "city": "Clermont-Ferrand",
                                "stage": "to_declare", "declaration": None}
    assert recused.get(f"/applications/{first}/submitted").status_code == 404
    assert recused.get(f"/applications/{first}/documents/budget").status_code == 404
    assert recused.put(f"/applications/{first}/review", scores(3, 2)).status_code == 404

    without_reason = recused.declare(first, conflict=True)
    assert without_reason.status_code == 422 and "reason" in without_reason.get_json()["errors"]["json"]
    declared = recused.declare(first, conflict=True, reason="J'ai conseillé ce label l'an dernier.")
    assert declared.status_code == 201 and declared.get_json()["conflict"] is True
    assert recused.declare(first, conflict=False).status_code == 409  # final for the juror

    # Recused, enforced on the server: the application, its documents, its review, the generic
    # document route: 404 as if it were not theirs.
    for path in (f"/applications/{first}/submitted", f"/applications/{first}/documents/budget",
                 f"/applications/{first}/review", f"/applications/{first}/reviews"):
        assert recused.get(path).status_code == 404, path
    assert recused.put(f"/applications/{first}/review", scores(3, 2)).status_code == 404
    assert recused.score(first, scores(3, 2)).status_code == 404
    assert grants.get(f"/api/applications/{first}/documents/budget", headers=recused.headers).status_code == 404
    assert recused.get(f"/applications/{first}").get_json()["stage"] == "recused"

    # Another juror took the seat: still two reviews counted, none by the recused juror.
    after = _assignments(grants, call_id, headers)[first]
    assert after[declarer] == "recused" and len([s for s in after.values() if s != "recused"]) == 2
    [replacement] = set(after) - {declarer, other}
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(Assignment.origin).where(Assignment.application_id == first,
                                                              Assignment.juror_id == replacement)) == "replacement"

    # The fund manager sees the declaration with its reason and time, and can reopen it (logged).
    listed = grants.get(f"/api/manage/calls/{call_id}/declarations", headers=headers).get_json()["declarations"]
    [row] = listed
    assert (row["juror_name"], row["declaration"]["reason"], row["application"]["application_id"]) == (
        by_id[declarer].name, "J'ai conseillé ce label l'an dernier.", first)
    assert datetime.fromisoformat(row["declaration"]["declared_at"]) <= datetime.now(timezone.utc)
    reopened = grants.post(f"/api/manage/declarations/{row['declaration']['id']}/reopen", headers=headers)
    assert reopened.status_code == 204
    assert recused.get(f"/applications/{first}").get_json()["stage"] == "to_declare"
    log = grants.get(f"/api/manage/calls/{call_id}/jury/log", headers=headers).get_json()
    assert log[0]["action"] == "declaration_reopened" and log[0]["details"]["conflict"] is True

    # A juror cleared reads the application as submitted and downloads its documents.
    reader = Jurors(grants, by_id[other])
    assert reader.declare(first, conflict=False).status_code == 201
    read = reader.get(f"/applications/{first}/submitted")
    assert read.status_code == 200 and read.get_json()["snapshot"]["project_title"] == "Tournée des Volcans"
    assert "applicant0@example.org" not in str(read.get_json())  # the applicant's own address is not given
    document = reader.get(f"/applications/{first}/documents/budget")
    assert document.status_code == 200 and document.data.startswith(b"%PDF")
    assert grants.get(f"/api/applications/{first}/documents/budget", headers=reader.headers).status_code == 200


def test_who_may_call_the_jurys_routes(grants_app, grants, panel):
    call_id, applications, (jules, lea, marc, nina), headers = panel
    grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    seats = _assignments(grants, call_id, headers)
    outsider = juror(grants_app, "olga@example.net", "Olga")  # a juror, not on this panel
    _, applicant_headers = applicant(grants_app, email="applicant0@example.org", name="Applicant 0")
    first = applications[0]

    for path in (f"/applications/{first}", f"/applications/{first}/submitted", f"/applications/{first}/documents/budget"):
        assert grants.get(f"/api/jury{path}", headers=bearer(outsider)).status_code == 404
        assert grants.get(f"/api/jury{path}", headers=applicant_headers).status_code == 403
    assert grants.get(f"/api/jury/calls/{call_id}/assignments", headers=bearer(outsider)).status_code == 404
    not_on_first = next(s for s in (jules, lea, marc, nina) if s.id not in seats[first])
    assert Jurors(grants, not_on_first).get(f"/applications/{first}").status_code == 404
    assert Jurors(grants, not_on_first).declare(first).status_code == 404
    assert grants.get("/api/jury/calls", headers=applicant_headers).status_code == 403
    assert grants.get("/api/jury/calls").status_code == 401
    # The fund manager's jury routes refuse jurors and applicants.
    for path in (f"/calls/{call_id}/jury", f"/calls/{call_id}/assignments", f"/calls/{call_id}/ranking",
                 f"/calls/{call_id}/declarations", f"/calls/{call_id}/reviews.csv", "/jurors"):
        assert grants.get(f"/api/manage{path}", headers=bearer(jules)).status_code == 403
        assert grants.get(f"/api/manage{path}", headers=applicant_headers).status_code == 403
    # Only invited jurors join a panel: an applicant, even with the juror role in a token, has no profile.
    stranger = person(grants_app, "self-made@example.org", ["juror"], "Self-made")
    refused = grants.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": stranger.id}, headers=headers)
    assert refused.status_code == 422 and "juror_id" in refused.get_json()["errors"]["json"]
    assert grants.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": jules.id},
                       headers=headers).status_code == 409
    # Applicants never learn who scored them: nothing of the jury in their application.
    own = grants.get(f"/api/applications/{first}", headers=applicant_headers).get_json()
    assert not any(name in str(own) for name in ("Jules", "Léa", "Marc", "Nina", "review"))


def _score_everything(grants, panel_fixture, grid_for):
    """Every juror declares no conflict and submits, with `grid_for(juror, application)` giving
    (quality, viability, recommendation)."""
    call_id, applications, people, headers = panel_fixture
    seats = _assignments(grants, call_id, headers)
    for someone in people:
        client = Jurors(grants, someone)
        for application_id, jurors in seats.items():
            if someone.id in jurors and jurors[someone.id] == "to_declare":
                assert client.declare(application_id).status_code == 201
                quality, viability, recommendation = grid_for(someone, application_id)
                submitted = client.score(application_id, scores(quality, viability, recommendation))
                assert submitted.status_code == 200, submitted.get_json()
    return seats


def test_scoring_drafts_submission_deadline_and_reopening(grants_app, grants, panel):
    call_id, applications, (jules, lea, marc, nina), headers = panel
    grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    first = applications[0]
    scorer = Jurors(grants, next(s for s in (jules, lea, marc, nina)
                                 if s.id in _assignments(grants, call_id, headers)[first]))
    assert scorer.put(f"/applications/{first}/review", scores(3, 2)).status_code == 404  # declare first
    assert scorer.declare(first).status_code == 201

    draft = scorer.put(f"/applications/{first}/review", {"criteria": [{"criterion": "quality", "level": 3}]})
    assert draft.status_code == 200 and draft.get_json()["status"] == "draft"
    wrong = scorer.put(f"/applications/{first}/review", {"criteria": [{"criterion": "quality", "level": 5},
                                                                      {"criterion": "budget", "level": 1}]})
    assert wrong.status_code == 422
    assert set(wrong.get_json()["errors"]["json"]) == {"level_quality", "criteria"}
    incomplete = scorer.score(first, {"recommendation": "fund"})
    assert incomplete.status_code == 422
    assert set(incomplete.get_json()["errors"]["json"]) == {
        "comment_quality", "level_viability", "comment_viability", "overall_comment"}
    # The refused submission saved nothing: still the draft of one level.
    assert scorer.get(f"/applications/{first}/review").get_json()["recommendation"] is None

    # After the review deadline: 409, with the deadline in Paris time.
    deadline = datetime.now(timezone.utc) - timedelta(hours=1)
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"review_deadline": deadline.isoformat()}, headers=headers)
    late = scorer.score(first, scores(3, 2, "fund"))
    assert late.status_code == 409 and "(Paris time)" in late.get_json()["message"]
    paris = deadline.astimezone(jury.to_paris(deadline).tzinfo)
    assert f"{paris:%H:%M}" in late.get_json()["message"]
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"review_deadline": "2099-01-15T18:00"}, headers=headers)
    assert grants.get(f"/api/manage/calls/{call_id}/jury", headers=headers).get_json()["review_deadline_paris"] == \
        "2099-01-15T18:00:00+01:00"

    done = scorer.score(first, scores(3, 2, "fund"))
    assert done.status_code == 200 and done.get_json()["status"] == "submitted"
    assert scorer.put(f"/applications/{first}/review", scores(1, 1)).status_code == 409  # final
    assert scorer.score(first, scores(1, 1)).status_code == 409

    review_id = done.get_json()["id"]
    assert grants.post(f"/api/manage/reviews/{review_id}/reopen", headers=bearer(jules)).status_code == 403
    reopened = grants.post(f"/api/manage/reviews/{review_id}/reopen", headers=headers)
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "draft"
    assert grants.post(f"/api/manage/reviews/{review_id}/reopen", headers=headers).status_code == 409
    assert scorer.score(first, scores(4, 3, "fund")).get_json()["status"] == "submitted"
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(JuryLogEntry)
                              .where(JuryLogEntry.action == "review_reopened")) == 1

    progress = grants.get(f"/api/manage/calls/{call_id}/jury/progress", headers=headers).get_json()
    mine = next(row for row in progress if row["juror"]["id"] == scorer.id)
    assert (mine["assigned"], mine["declared"], mine["submitted"]) == (3, 1, 1)
    calls = scorer.get("/calls").get_json()
    assert [(c["call_id"], c["assigned"], c["submitted"]) for c in calls] == [(call_id, 3, 1)]


def test_a_draft_saved_as_the_review_is_submitted_elsewhere_does_not_overwrite_it(grants_app, grants, panel):
    """A draft save reads the review again under its row lock: a submission another request
    committed after this one first read the review stands (409), and keeps its scores."""
    call_id, applications, people, headers = panel
    grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    first = applications[0]
    scorer = Jurors(grants, next(s for s in people if s.id in _assignments(grants, call_id, headers)[first]))
    assert scorer.declare(first).status_code == 201
    assert scorer.put(f"/applications/{first}/review", scores(3, 2)).status_code == 200

    with pytest.raises(Refusal) as refused, grants_app.extensions["db"].unit_of_work() as late:
        read_before = jury.juror_review(late, scorer.id, first)  # as the save reads its seat, before the submission
        assert read_before.status == "draft"
        assert scorer.score(first, scores(4, 3, "fund")).status_code == 200  # committed by another request
        jury.save_review(late, scorer.id, first, {"criteria": [{"criterion": "quality", "level": 0}]},
                         datetime.now(timezone.utc))
    assert refused.value.status == 409
    review = scorer.get(f"/applications/{first}/review").get_json()
    assert review["status"] == "submitted" and review["recommendation"] == "fund"
    assert {item["criterion"]: item["level"] for item in review["criteria"]} == {"quality": 4, "viability": 3}


def test_two_first_saves_of_the_same_draft_at_once_both_keep_their_answers(grants_app, grants, panel):
    """Two first saves of a juror's draft at the same moment (an autosave and a click): the second
    waits on the first's new row, then continues from it instead of failing on its unique key."""
    call_id, applications, people, headers = panel
    grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    first = applications[0]
    scorer = Jurors(grants, next(s for s in people if s.id in _assignments(grants, call_id, headers)[first]))
    assert scorer.declare(first).status_code == 201
    db, now, outcome = grants_app.extensions["db"], datetime.now(timezone.utc), {}

    def second_save():
        try:
            with db.unit_of_work() as session:
                jury.save_review(session, scorer.id, first, {"criteria": [{"criterion": "viability", "level": 2}]}, now)
            outcome["saved"] = True
        except Exception as error:  # noqa: BLE001  (the test reports it)
            outcome["error"] = error

    with db.unit_of_work() as session:
        jury.save_review(session, scorer.id, first, {"criteria": [{"criterion": "quality", "level": 3}]}, now)
        other = threading.Thread(target=second_save)
        other.start()
        # The second save waits on the new row's unique key. Each look at pg_stat_activity in a
        # transaction of its own: within one, PostgreSQL shows the snapshot of its first look.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            wait_until(lambda: outcome or watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )).scalar(), message="the second save waiting")
    other.join(timeout=20)
    assert outcome == {"saved": True}
    review = scorer.get(f"/applications/{first}/review").get_json()
    assert {item["criterion"]: item["level"] for item in review["criteria"]} == {"quality": 3, "viability": 2}


def test_each_seat_reads_the_same_alone_as_in_the_jurors_list(grants_app, grants, panel):
    """A juror's request on one application reads its seat alone (one query and its flags); the
    juror's list reads all their seats together: both give every seat the same stage and
    declaration, whatever happened to it (declared, recused, replaced, drafted, submitted,
    flagged after the declaration, withdrawn)."""
    call_id, applications, (jules, lea, marc, nina), headers = panel
    assert grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers).status_code == 200
    seats = _assignments(grants, call_id, headers)
    clients = {someone.id: Jurors(grants, someone) for someone in (jules, lea, marc, nina)}
    for application_id, jurors in seats.items():
        for number, juror_id in enumerate(sorted(jurors)):
            client = clients[juror_id]
            if number == 0 and application_id == applications[0]:
                assert client.declare(application_id, conflict=True, reason="Mon ancien employeur.").status_code == 201
            elif number == 1:
                assert client.declare(application_id).status_code == 201
                assert client.put(f"/applications/{application_id}/review", scores(2, 2)).status_code == 200
            elif number == 2:
                assert client.declare(application_id).status_code == 201
                assert client.score(application_id, scores(3, 3)).status_code == 200
    # Léa's organisation turns out to share the SIREN of an applicant she declared on: a flag after
    # her declaration (the last application is Studio Puy's, the others Label Dôme's).
    declared = [application_id for application_id, jurors in seats.items() if lea.id in jurors
                and sorted(jurors).index(lea.id) in (1, 2) and application_id != applications[1]]
    assert declared
    siren = "552 100 554" if applications[3] in declared else "732 829 320"
    with grants_app.extensions["db"].unit_of_work() as session:
        jury.record_juror(session, {
            "invitation_id": 2, "account_id": lea.id, "email": lea.email, "name": lea.name, "language": "fr",
            "roles": ["juror"], "invited_roles": ["juror"], "organisation": "Une structure", "siren": siren},
            datetime.now(timezone.utc))
    _, own = applicant(grants_app, email="applicant1@example.org", name="Applicant 1", profile=None)
    assert grants.post(f"/api/applications/{applications[1]}/withdraw", headers=own).status_code == 200

    seen = set()
    for juror_id, client in clients.items():
        listed = client.get(f"/calls/{call_id}/assignments").get_json()
        for row in listed:
            alone = client.get(f"/applications/{row['application_id']}")
            assert alone.status_code == 200 and alone.get_json() == row
            seen.add(row["stage"])
    assert seen == {"to_declare", "recused", "awaiting_check", "draft", "submitted", "withdrawn"}


def test_jurors_see_each_others_reviews_only_once_the_deliberation_is_open(grants_app, grants, panel):
    call_id, applications, people, headers = panel
    grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    seats = _score_everything(grants, panel, lambda someone, application: (2, 2, "maybe"))
    first = applications[0]
    reader = Jurors(grants, next(s for s in people if s.id in seats[first]))
    before = reader.get(f"/applications/{first}/reviews")
    assert before.status_code == 409 and "deliberation" in before.get_json()["message"]
    # Nothing of a colleague in what a juror reads before.
    assert not any(s.name in str(reader.get(f"/applications/{first}/review").get_json()) for s in people)

    opened = grants.post(f"/api/manage/calls/{call_id}/deliberation", headers=headers)
    assert opened.status_code == 200 and opened.get_json()["deliberation_opened_at"]
    assert grants.post(f"/api/manage/calls/{call_id}/deliberation", headers=headers).status_code == 409
    after = reader.get(f"/applications/{first}/reviews")
    assert after.status_code == 200
    assert sorted(row["juror_name"] for row in after.get_json()) == sorted(
        s.name for s in people if s.id in seats[first])
    assert sum(row["own"] for row in after.get_json()) == 1


def test_the_ranking_corrects_a_harsh_juror_and_the_exports_follow(grants_app, grants):
    """Two jurors score the same three applications, two reviews each. Léa gives quality 4, 3, 2
    and viability 2 (raw 87.5, 68.75, 50); Nina, harsher, one level less and viability 1
    (56.25, 37.5, 18.75). Quality weighs 3 over 0–4, viability 1 over 1–3.

    Each has three reviews, 18.75 apart: z = +1.2247, 0, −1.2247 for both. The panel's six
    scores: mean 318.75 / 6 = 53.125, spread √(2 × (34.375² + 15.625² + 3.125²) / 6) = 21.875.
    Corrected: 53.125 ± 1.2247 × 21.875 = 79.92, 53.13, 26.33 from both: they agree once corrected,
    where their raw scores were 31.25 apart (spread 15.63, above the threshold of 15).
    """
    call_id, applications = call_in_review(grants_app, ["Tournée des Volcans", "Ciné-plein-air", "Jeu des Dômes"])
    headers = manager(grants_app)
    lea = juror(grants_app, "lea@gmail.com", "Léa", "Sono Mondes")
    nina = juror(grants_app, "nina@label-volcan.fr", "Nina", "Studio Puy")
    for someone in (lea, nina):
        grants.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": someone.id}, headers=headers)
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"reviews_per_application": 2}, headers=headers)
    assert grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers).get_json()["added"] == 6
    for someone, viability, recommendation, offset in ((lea, 2, "fund", 0), (nina, 1, "dont_fund", 1)):
        client = Jurors(grants, someone)
        for application_id, quality in zip(applications, (4, 3, 2)):
            assert client.declare(application_id).status_code == 201
            assert client.score(application_id, scores(quality - offset, viability, recommendation)).status_code == 200

    body = grants.get(f"/api/manage/calls/{call_id}/ranking", headers=headers).get_json()
    assert "ranked by corrected mean" in body["tie_rule"]
    assert (body["panel_mean"], body["panel_spread"]) == (53.13, 21.88)
    assert [(row["application_id"], row["rank"], row["raw_mean"], row["corrected_mean"], row["spread"],
             row["disagreement"]) for row in body["rows"]] == [
        (applications[0], 1, 71.88, 79.92, 15.63, True),
        (applications[1], 2, 53.13, 53.13, 15.63, True),
        (applications[2], 3, 34.38, 26.33, 15.63, True),
    ]
    assert all((row["reviews_done"], row["reviews_assigned"], row["fund"], row["dont_fund"]) == (2, 2, 1, 1)
               for row in body["rows"])
    assert {juror["juror_id"]: (juror["mean"], juror["corrected"]) for juror in body["jurors"]} == {
        lea.id: (68.75, True), nina.id: (37.5, True)}
    assert (body["envelope_cents"], [row["running_total_cents"] for row in body["rows"]]) == (
        5_000_000, [800_000, 1_600_000, 2_400_000])
    # Every field the schema documents, each row with its own application's cover.
    assert all(set(row) == set(RankedRowSchema().fields) for row in body["rows"])
    assert [(row["project_title"], row["organisation"]) for row in body["rows"]] == [
        ("Tournée des Volcans", PROFILE["legal_name"]), ("Ciné-plein-air", PROFILE["legal_name"]),
        ("Jeu des Dômes", PROFILE["legal_name"])]
    with grants_app.extensions["db"].unit_of_work() as session:
        receipts = dict(session.execute(select(Application.id, Application.receipt_number)).all())
    assert [row["receipt_number"] for row in body["rows"]] == [receipts[application_id] for application_id in applications]

    reviews_csv = grants.get(f"/api/manage/calls/{call_id}/reviews.csv", headers=headers)
    assert reviews_csv.status_code == 200 and reviews_csv.mimetype == "text/csv"
    text = reviews_csv.data.decode("utf-8")
    assert text.startswith("\ufeffN°;Récépissé;Projet;Structure;Juré;Organisation du juré;Qualité artistique : niveau")
    lines = text.strip("\ufeff").strip().split("\r\n")
    assert len(lines) == 1 + 6
    nina_line = next(line for line in lines if ";Nina;" in line and "Tournée des Volcans" in line)
    assert ";56,25;79,92;" in nina_line and "Ne pas financer" in nina_line
    english = grants.get(f"/api/manage/calls/{call_id}/reviews.csv?lang=en", headers=headers).data.decode()
    assert english.startswith("\ufeffNo.;Receipt;Project;Organisation;Juror")
    ranked_csv = grants.get(f"/api/manage/calls/{call_id}/ranking.csv", headers=headers).data.decode()
    first_row = ranked_csv.split("\r\n")[1].split(";")
    assert first_row[0] == "1" and first_row[3] == "Tournée des Volcans"
    assert first_row[5:7] == ["71,88", "79,92"] and first_row[-3:] == ["8000,00", "8000,00", "oui"]
    assert grants.get(f"/api/manage/calls/{call_id}/ranking.csv?lang=xx", headers=headers).status_code == 422

    # What the awards will read: every review is in; the comments without their jurors; the scored ones.
    with grants_app.extensions["db"].unit_of_work() as session:
        assert jury.reviews_complete(session, call_id) and jury.missing_reviews(session, call_id) == 0
        comments = jury.anonymised_comments(session, applications[2])
        assert [c.code for c in comments.criteria] == ["quality", "viability"]
        assert len(comments.criteria[0].comments) == 2 and len(comments.overall) == 2
        assert not any(name in str(comments) for name in ("Léa", "Nina", "Sono", "Studio"))
        assert jury.scored_application_ids(session, call_id) == sorted(applications)


def test_the_jury_is_set_up_only_at_the_right_time(grants_app, grants):
    from tests.integration.grants.applicant_setup import a_call

    call = a_call(grants_app)  # open: applications may still come
    headers = manager(grants_app)
    someone = juror(grants_app, "jules@example.net", "Jules")
    assert grants.post(f"/api/manage/calls/{call['id']}/jury/members", json={"juror_id": someone.id},
                       headers=headers).status_code == 201
    refused = grants.post(f"/api/manage/calls/{call['id']}/assignments/automatic", headers=headers)
    assert refused.status_code == 409 and "closed" in refused.get_json()["message"]
    assert grants.get("/api/manage/calls/999999/jury", headers=headers).status_code == 404
    assert grants.patch(f"/api/manage/calls/{call['id']}/jury", json={"reviews_per_application": 0},
                        headers=headers).status_code == 422
    assert grants.patch(f"/api/manage/calls/{call['id']}/jury", json={"review_deadline": "2026-03-29T02:30"},
                        headers=headers).status_code == 422  # no such time in Paris
    assert grants.post(f"/api/manage/calls/{call['id']}/deliberation", headers=headers).status_code == 409
    assert grants.get("/api/manage/jurors", headers=headers).get_json()[0]["name"] == "Jules"
