"""What the jury's tests share: invited jurors, a call in review with submitted applications, and
the fund manager's and jurors' requests."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from services.grants import jury
from tests.integration.grants.applicant_setup import ANSWERS, PROFILE, applicant, manager, set_closing_time
from tests.integration.grants.grants_manager_setup import fund, open_call
from tests.pdf import small_pdf
from tests.people import bearer, person

# A grid of two criteria: quality (weight 3, levels 0 to 4) and viability (weight 1, levels 1 to 3).
GRID = [
    {"code": "quality", "label_fr": "Qualité artistique", "label_en": "Artistic quality", "weight": 3,
     "levels": [{"score": 0, "description": "Faible"}, {"score": 1, "description": "Fragile"},
                {"score": 2, "description": "Correcte"}, {"score": 3, "description": "Solide"},
                {"score": 4, "description": "Remarquable"}]},
    {"code": "viability", "label_fr": "Viabilité économique", "label_en": "Economic viability", "weight": 1,
     "levels": [{"score": 1, "description": "Incertaine"}, {"score": 2, "description": "Plausible"},
                {"score": 3, "description": "Assurée"}]},
]


def juror(app, email: str, name: str, organisation: str | None = None, siren: str | None = None,
          language: str = "fr"):
    """An invited juror as grants knows them: the account's copy and the profile that
    `invitation.accepted` leaves (through the same use case as the event's handler)."""
    someone = person(app, email, ["juror"], name, language)
    with app.extensions["db"].unit_of_work() as session:
        jury.record_juror(session, {
            "invitation_id": 1, "account_id": someone.id, "email": email, "name": name, "language": language,
            "roles": ["juror"], "invited_roles": ["juror"], "organisation": organisation, "siren": siren,
        }, datetime.now(timezone.utc))
    return someone


def submitted(app, email: str, name: str, title: str, profile: dict | None = None, requested: int = 800_000,
              call_id: int | None = None) -> int:
    """An applicant's submitted application to the call; its id."""
    client = app.test_client()
    _, headers = applicant(app, email=email, name=name, profile=profile or PROFILE)
    draft = client.post("/api/applications", json={"call_id": call_id, **ANSWERS, "project_title": title,
                                                   "requested_cents": requested}, headers=headers)
    assert draft.status_code == 201, draft.get_json()
    application_id = draft.get_json()["id"]
    for code in ("budget", "presentation"):
        uploaded = client.put(f"/api/applications/{application_id}/documents/{code}", headers=headers,
                              data={"file": (io.BytesIO(small_pdf(f"{code} {title}")), f"{code}.pdf")},
                              content_type="multipart/form-data")
        assert uploaded.status_code == 200, uploaded.get_json()
    done = client.post(f"/api/applications/{application_id}/submit", headers=headers)
    assert done.status_code == 200, done.get_json()
    return application_id


def call_in_review(app, titles: list[str], profiles: dict[int, dict] | None = None,
                   emails: dict[int, str] | None = None) -> tuple[int, list[int]]:
    """An open call (the scoring grid above), an application per title (by applicant n°n,
    applicant<n>@example.org unless `emails` says otherwise), then closed and in review; its id
    and the applications' ids."""
    client = app.test_client()
    headers = manager(app)
    call = open_call(client, headers, fund(client, headers)["id"], scoring_grid=GRID)
    ids = [
        submitted(app, (emails or {}).get(number, f"applicant{number}@example.org"), f"Applicant {number}", title,
                  (profiles or {}).get(number), call_id=call["id"])
        for number, title in enumerate(titles)
    ]
    set_closing_time(app, call["id"], datetime.now(timezone.utc) - timedelta(minutes=1))
    for status in ("closed", "in_review"):
        moved = client.post(f"/api/calls/{call['id']}/status", json={"status": status}, headers=headers)
        assert moved.status_code == 200, moved.get_json()
    return call["id"], ids


def scores(quality: int, viability: int, recommendation: str = "maybe", comment: str = "Bien") -> dict:
    return {
        "criteria": [{"criterion": "quality", "level": quality, "comment": f"{comment} (qualité)"},
                     {"criterion": "viability", "level": viability, "comment": f"{comment} (viabilité)"}],
        "recommendation": recommendation, "overall_comment": f"{comment}, dans l'ensemble.",
    }


class Jurors:
    """Requests as a juror, by their token."""

    def __init__(self, client, someone):
        self.client = client
        self.headers = bearer(someone)
        self.id = someone.id

    def get(self, path):
        return self.client.get(f"/api/jury{path}", headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(f"/api/jury{path}", json=body or {}, headers=self.headers)

    def put(self, path, body):
        return self.client.put(f"/api/jury{path}", json=body, headers=self.headers)

    def declare(self, application_id, conflict=False, reason=""):
        return self.post(f"/applications/{application_id}/declaration", {"conflict": conflict, "reason": reason})

    def score(self, application_id, body):
        return self.post(f"/applications/{application_id}/review/submit", body)
