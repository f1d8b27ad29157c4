"""The fund manager's reading side: lists with filters, the detail with its snapshot, the CSV."""
import csv
import io
from datetime import datetime, timezone

import pytest

from services.grants.models import Application, Document, FundingSource, Organisation
from tests.integration.grants.grants_manager_setup import account, fund, open_call


def organisation(account_id, **overrides):
    values = dict(account_id=account_id, legal_name="Studio Volcan", kind="company", siret="73282932000074",
                  address="1 rue Blatin", postal_code="63000", city="Clermont-Ferrand", sector="music", head_count=3)
    values.update(overrides)
    return Organisation(**values)


def submitted(call_id, account_id, org: Organisation, number, **overrides):
    """A submitted application as the applicant side freezes it: the snapshot holds what was sent."""
    values = dict(
        call_id=call_id, account_id=account_id, status="submitted", project_title=f"Projet {number}",
        summary="Résumé", description="Description", requested_cents=800_050, total_budget_cents=2_000_000,
        jobs_expected=2, timeline="2027", eligible=True, receipt_number=f"TRE-2026-{number:05d}",
        submitted_at=datetime(2026, 11, 20, 16, 5, tzinfo=timezone.utc),
    )
    values.update(overrides)
    application = Application(**values)
    application.snapshot = {
        "project_title": application.project_title,
        "requested_cents": application.requested_cents,
        "total_budget_cents": application.total_budget_cents,
        "organisation": {name: getattr(org, name) for name in (
            "legal_name", "kind", "siret", "rna", "address", "postal_code", "city", "sector", "head_count")},
        "funding_sources": [{"kind": "own_funds", "amount_cents": 1_199_950, "description": "Fonds propres"}],
        "documents": [{"kind": "budget", "filename": "budget.pdf", "sha256": "a" * 64, "size": 1234}],
    }
    application.funding_sources = [FundingSource(kind="own_funds", amount_cents=1_199_950, description="Fonds propres")]
    application.documents = [Document(kind="budget", filename="budget.pdf", sha256="a" * 64, size=1234)]
    return application


@pytest.fixture
def setting(grants_app):
    """A call with three applications: two submitted (music, eligible; film, not), one music draft."""
    client = grants_app.test_client()
    _, manager = account(grants_app, "manager@example.org", ["fund_manager"], "Manon")
    applicants = [account(grants_app, f"a{n}@example.org", ["applicant"], f"Applicant {n}") for n in range(3)]
    call = open_call(client, manager, fund(client, manager)["id"])
    with grants_app.extensions["db"].unit_of_work() as session:
        music = organisation(applicants[0][0])
        # The formula a malicious applicant types as their name must stay text in a spreadsheet.
        film = organisation(applicants[1][0], legal_name="=HYPERLINK(\"http://evil\")", sector="film",
                            kind="association", siret=None, rna="W632000123", postal_code="63100")
        draft_org = organisation(applicants[2][0], legal_name="Label Dôme", sector="music")
        session.add_all([music, film, draft_org])
        session.flush()
        first = submitted(call["id"], applicants[0][0], music, 1)
        second = submitted(call["id"], applicants[1][0], film, 2, eligible=False, project_title="+33 tour",
                           submitted_at=datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc))
        draft = Application(call_id=call["id"], account_id=applicants[2][0], project_title="Brouillon",
                            requested_cents=100, total_budget_cents=1000)
        session.add_all([first, second, draft])
        session.flush()
        # Since submitting, the first applicant's organisation changed sector: the jury reads the snapshot.
        music.sector = "photography"
        ids = {"first": first.id, "second": second.id, "draft": draft.id}
    return {"app": grants_app, "client": client, "manager": manager, "applicant": applicants[0][1], "call": call, **ids}


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return [line["id"] for line in response.get_json()]


def test_applications_of_a_call_with_filters(setting):
    client, manager, call_id = setting["client"], setting["manager"], setting["call"]["id"]
    path = f"/api/manage/calls/{call_id}/applications"
    assert _ids(client.get(path, headers=manager)) == [setting["first"], setting["second"], setting["draft"]]
    assert _ids(client.get(f"{path}?status=submitted", headers=manager)) == [setting["first"], setting["second"]]
    assert _ids(client.get(f"{path}?status=draft", headers=manager)) == [setting["draft"]]
    # The sector of a submitted application is the one it was sent with; a draft's is the live one.
    assert _ids(client.get(f"{path}?sector=music", headers=manager)) == [setting["first"], setting["draft"]]
    assert _ids(client.get(f"{path}?sector=photography", headers=manager)) == []
    assert _ids(client.get(f"{path}?sector=film", headers=manager)) == [setting["second"]]
    assert _ids(client.get(f"{path}?eligible=true", headers=manager)) == [setting["first"]]
    assert _ids(client.get(f"{path}?eligible=false&sector=film", headers=manager)) == [setting["second"]]
    line = client.get(path, headers=manager).get_json()[0]
    assert line["organisation"]["legal_name"] == "Studio Volcan" and line["other_funding_cents"] == 1_199_950
    bad = client.get(f"{path}?status=lost&sector=knitting&eligible=maybe", headers=manager)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]["query"]) == {"status", "sector", "eligible"}
    assert client.get(f"/api/manage/calls/{call_id + 99}/applications", headers=manager).status_code == 404


def test_an_application_in_full_with_its_frozen_snapshot(setting):
    client, manager = setting["client"], setting["manager"]
    detail = client.get(f"/api/manage/applications/{setting['first']}", headers=manager)
    assert detail.status_code == 200
    body = detail.get_json()
    assert body["receipt_number"] == "TRE-2026-00001" and body["eligible"] is True
    assert body["snapshot"]["organisation"]["sector"] == "music"
    assert body["organisation"]["sector"] == "music"
    assert body["funding_sources"] == [{"kind": "own_funds", "amount_cents": 1_199_950, "description": "Fonds propres"}]
    assert body["documents"][0]["kind"] == "budget" and body["documents"][0]["filename"] == "budget.pdf"
    # A document attached after submission is not part of what was submitted.
    with setting["app"].extensions["db"].unit_of_work() as session:
        session.add(Document(application_id=setting["first"], kind="late", filename="late.pdf", sha256="b" * 64, size=1))
    again = client.get(f"/api/manage/applications/{setting['first']}", headers=manager).get_json()
    assert [document["kind"] for document in again["documents"]] == ["budget"]
    draft = client.get(f"/api/manage/applications/{setting['draft']}", headers=manager).get_json()
    assert draft["snapshot"] is None and draft["organisation"]["legal_name"] == "Label Dôme"
    assert client.get("/api/manage/applications/999", headers=manager).status_code == 404


def test_csv_export_for_french_excel(setting):
    client, manager, call_id = setting["client"], setting["manager"], setting["call"]["id"]
    response = client.get(f"/api/manage/calls/{call_id}/applications.csv", headers=manager)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    first, second, draft = rows
    assert first["N°"] == str(setting["first"]) and first["Statut"] == "Déposée" and first["Éligible"] == "oui"
    assert first["Montant demandé (€)"] == "8000,50" and first["Budget total (€)"] == "20000,00"
    assert first["Autres financements (€)"] == "11999,50"
    # 16:05 UTC on 20 November is 17:05 in Paris (winter time).
    assert first["Déposée le (heure de Paris)"] == "20/11/2026 17:05"
    assert first["Secteur"] == "Musique" and first["Forme"] == "Entreprise" and first["Pièces jointes"] == "budget"
    assert second["Structure"] == "'=HYPERLINK(\"http://evil\")" and second["Projet"] == "'+33 tour"
    assert second["Éligible"] == "non" and second["RNA"] == "W632000123"
    assert draft["Statut"] == "Brouillon" and draft["Éligible"] == "" and draft["Déposée le (heure de Paris)"] == ""

    english = client.get(f"/api/manage/calls/{call_id}/applications.csv?lang=en&status=submitted", headers=manager)
    rows = list(csv.DictReader(io.StringIO(english.data.decode("utf-8-sig")), delimiter=";"))
    assert [row["Status"] for row in rows] == ["Submitted", "Submitted"] and rows[0]["Sector"] == "Music"


def test_csv_export_keeps_a_siret_as_text(setting):
    client, manager, call_id = setting["client"], setting["manager"], setting["call"]["id"]
    body = client.get(f"/api/manage/calls/{call_id}/applications.csv", headers=manager).data.decode("utf-8-sig")
    # As the file holds it: a formula Excel shows as the 14 digits, not as 7,33E+13.
    assert ';"=""73282932000074""";' in body
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert rows[0]["SIREN/SIRET"] == '="73282932000074"' and rows[1]["SIREN/SIRET"] == ""  # an association


MANAGER_ROUTES = [
    ("get", "/api/funds", None),
    ("post", "/api/funds", {"name": "X", "year": 2026, "envelope_cents": 100}),
    ("get", "/api/funds/1", None),
    ("post", "/api/calls", {"title_fr": "X"}),
    ("patch", "/api/calls/{call}", {"title_fr": "Piraté"}),
    ("post", "/api/calls/{call}/status", {"status": "closed"}),
    ("get", "/api/manage/calls", None),
    ("get", "/api/manage/calls/{call}/applications", None),
    ("get", "/api/manage/calls/{call}/applications.csv", None),
    ("get", "/api/manage/applications/{application}", None),
]


@pytest.mark.parametrize("method,path,body", MANAGER_ROUTES)
def test_manager_routes_refuse_applicants_and_visitors(setting, method, path, body):
    client = setting["client"]
    path = path.format(call=setting["call"]["id"], application=setting["first"])
    kwargs = {"json": body} if body is not None else {}
    forbidden = getattr(client, method)(path, headers=setting["applicant"], **kwargs)
    assert forbidden.status_code == 403 and forbidden.get_json()["code"] == 403
    anonymous = getattr(client, method)(path, **kwargs)
    assert anonymous.status_code == 401 and anonymous.get_json()["code"] == 401
    # Nothing changed.
    call = client.get(f"/api/calls/{setting['call']['id']}").get_json()
    assert call["title_fr"] == "Aide à la création 2026" and call["status"] == "open"
