"""What the awards' tests share: a call in review whose jury has scored every application (or
not), the fund manager's and applicants' requests, and an award taken to acceptance."""
from __future__ import annotations

from dataclasses import dataclass, field

from tests.integration.grants.applicant_setup import PROFILE, manager
from tests.integration.grants.jury_setup import Jurors, call_in_review, juror, scores
from tests.people import bearer, person

IBAN = "FR76 3000 6000 0112 3456 7890 189"
BIC = "BNPAFRPP"
# Another valid IBAN and BIC (La Banque Postale, Lille), for a second firm.
OTHER_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
OTHER_BIC = "PSSTFRPPLIL"


def profile(number: int, **changes) -> dict:
    """Applicant n°n's organisation: its own name (and the demo's SIRET: every test firm shares it)."""
    return {**PROFILE, "legal_name": f"Structure {number}", **changes}


@dataclass
class ReviewedCall:
    call_id: int
    applications: list[int]
    jurors: list = field(default_factory=list)

    def applicant(self, app, number: int) -> dict:
        """Applicant n°n's Authorization header (applicant<n>@example.org, as call_in_review made them)."""
        return bearer(person(app, f"applicant{number}@example.org", ["applicant"], f"Applicant {number}"))


def reviewed_call(app, titles: list[str], *, reviewed: bool = True, profiles: dict | None = None,
                  languages: dict | None = None, comments: str = "Bien") -> ReviewedCall:
    """A call in review, an application per title (applicant<n>@example.org, in `languages`[n] or
    French), one juror each scoring every application when `reviewed` (else the reviews are
    assigned and missing). The grid has two criteria (jury_setup.GRID)."""
    call_id, ids = call_in_review(app, titles, profiles={n: profile(n) for n in range(len(titles))} | (profiles or {}))
    for number, language in (languages or {}).items():
        person(app, f"applicant{number}@example.org", ["applicant"], f"Applicant {number}", language)
    client = app.test_client()
    headers = manager(app)
    léa = juror(app, "lea@sono-mondes.fr", "Léa Juré", "Sono Mondes")
    added = client.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": léa.id}, headers=headers)
    assert added.status_code == 201, added.get_json()
    settings = client.patch(f"/api/manage/calls/{call_id}/jury", json={"reviews_per_application": 1}, headers=headers)
    assert settings.status_code == 200, settings.get_json()
    assigned = client.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    assert assigned.get_json()["added"] == len(ids), assigned.get_json()
    if reviewed:
        scoring = Jurors(client, léa)
        for rank, application_id in enumerate(ids):
            assert scoring.declare(application_id).status_code == 201
            # The first application scores best, the next ones less and less.
            quality = max(0, 4 - rank)
            done = scoring.score(application_id, scores(quality, 2, "fund" if rank == 0 else "maybe", comments))
            assert done.status_code == 200, done.get_json()
    return ReviewedCall(call_id, ids, [léa])


def grant(client, headers, application_id: int, amount_cents: int, **extra):
    return client.post(f"/api/manage/applications/{application_id}/award",
                       json={"amount_cents": amount_cents, **extra}, headers=headers)


def decide(client, headers, call_id: int, **options):
    return client.post(f"/api/manage/calls/{call_id}/decision", json=options, headers=headers)


def acceptance(iban: str = IBAN, bic: str = BIC, **changes) -> dict:
    return {"terms_accepted": True, "signatory_name": "Ana Lefèvre", "signatory_role": "Gérante",
            "iban": iban, "bic": bic, **changes}


def accepted_award(app, amount_cents: int = 800_000) -> tuple[ReviewedCall, dict, dict]:
    """A decided call whose first application's award (`amount_cents`) its applicant accepted;
    the call, the award (as the manager reads it) and the applicant's header."""
    call = reviewed_call(app, ["Tournée des Volcans", "Ciné-plein-air"])
    client, headers = app.test_client(), manager(app)
    granted = grant(client, headers, call.applications[0], amount_cents)
    assert granted.status_code == 201, granted.get_json()
    assert decide(client, headers, call.call_id).status_code == 200
    ana = call.applicant(app, 0)
    accepted = client.post(f"/api/awards/{granted.get_json()['id']}/accept", json=acceptance(), headers=ana)
    assert accepted.status_code == 200, accepted.get_json()
    award = client.get(f"/api/manage/awards/{granted.get_json()['id']}", headers=headers).get_json()
    return call, award, ana
