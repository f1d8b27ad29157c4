"""The fund manager's pages: forms read in Paris time and euros, the same refusals as the API,
CSRF protection, sign-in and role checks, lists with filters, detail and CSV."""
import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, update

from services.grants.models import Call, Fund
from tests.integration.grants.grants_manager_setup import account, fund, open_call
from tests.integration.grants.test_review_api import organisation, submitted
from tests.people import person, sign_in
from tests.pages import post_form, text

MANAGER_PAGES = [
    "/manage/funds", "/manage/calls", "/manage/calls/new", "/manage/calls/1/edit",
    "/manage/calls/1/applications", "/manage/calls/1/applications.csv", "/manage/applications/1",
]


def _sign_in(app, email, roles, name="Manon"):
    client = app.test_client()
    sign_in(client, person(app, email, roles, name))
    return client


@pytest.fixture
def manager(grants_app):
    return _sign_in(grants_app, "manager@example.org", ["fund_manager"])


def _count(app, model):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def _call_form(fund_id, **overrides):
    form = {
        "fund_id": str(fund_id), "title_fr": "Aide à l'émergence", "title_en": "", "description_fr": "Pour émerger.",
        "description_en": "", "opens_at": "2026-11-01T09:00", "closes_at": "2027-01-15T18:00",
        "max_award": "8 000,50", "postal_codes": "63000 63100", "sectors": ["music", "film"],
        "organisation_kinds": ["association"], "min_other_funding_share_percent": "20",
        "document-0-code": "budget", "document-0-label_fr": "Budget prévisionnel", "document-0-label_en": "Budget",
        "document-1-code": "", "document-1-label_fr": "", "document-1-label_en": "",
        "criterion-0-code": "quality", "criterion-0-label_fr": "Qualité", "criterion-0-label_en": "",
        "criterion-0-weight": "3", "criterion-0-levels": "0: Faible\n1: Correcte\n2: Remarquable",
        "criterion-1-code": "", "criterion-1-label_fr": "", "criterion-1-label_en": "", "criterion-1-weight": "",
        "criterion-1-levels": "",
    }
    form.update(overrides)
    return form


def test_visitors_are_sent_to_sign_in_and_applicants_are_refused(grants_app):
    visitor = grants_app.test_client()
    applicant = _sign_in(grants_app, "ana@example.org", ["applicant"], "Ana")
    for path in MANAGER_PAGES:
        redirected = visitor.get(path)
        assert redirected.status_code == 302 and "/signin?next=" in redirected.headers["Location"], path
        refused = applicant.get(path)
        assert refused.status_code == 403 and "Votre rôle ne permet pas cette action." in text(refused), path
    posted = post_form(applicant, "/manage/funds", {"name": "F", "year": "2026", "envelope": "100"}, form_path="/profile")
    assert posted.status_code == 403 and _count(grants_app, Fund) == 0


def test_a_form_without_its_csrf_token_is_refused(grants_app, manager):
    response = manager.post("/manage/funds", data={"name": "Fonds", "year": "2026", "envelope": "50000"})
    assert response.status_code == 400 and "rechargez la page" in text(response)
    assert _count(grants_app, Fund) == 0


def test_create_a_fund_from_its_page(grants_app, manager):
    page = manager.get("/manage/funds")
    assert page.status_code == 200 and "Nouveau fonds" in text(page)
    refused = post_form(manager, "/manage/funds", {"name": "", "year": "l'an prochain", "envelope": "cinquante"})
    assert refused.status_code == 422
    body = text(refused)
    assert "Ce champ est obligatoire." in body and "Nombre entier attendu." in body
    assert "Saisissez un montant en euros, par exemple 1250 ou 1250,50." in body
    assert body.count("Ce champ est obligatoire.") == 1  # the name; the envelope says what is wrong with it
    assert _count(grants_app, Fund) == 0

    created = post_form(manager, "/manage/funds", {"name": "Fonds réactif", "year": "2026", "envelope": "50 000"})
    assert created.status_code == 302
    listing = text(manager.get("/manage/funds"))
    assert "Fonds créé : Fonds réactif 2026." in listing and "50\u202f000,00\u00a0€" in listing
    with grants_app.extensions["db"].unit_of_work() as session:
        stored = session.scalars(select(Fund)).one()
        assert (stored.envelope_cents, stored.grants_objective) == (5_000_000, 5)

    duplicate = post_form(manager, "/manage/funds", {"name": "Fonds réactif", "year": "2026", "envelope": "1"})
    assert duplicate.status_code == 409 and "Un fonds de ce nom existe déjà pour cette année." in text(duplicate)


def test_create_a_call_in_paris_time_and_open_it(grants_app, manager):
    with grants_app.extensions["db"].unit_of_work() as session:
        session.add(Fund(name="Fonds réactif", year=2026, envelope_cents=5_000_000, grants_objective=5))
        session.flush()
        fund_id = session.scalars(select(Fund.id)).one()

    gap = post_form(manager, "/manage/calls/new", _call_form(fund_id, closes_at="2027-03-28T02:30", max_award="-3"))
    assert gap.status_code == 422
    body = text(gap)
    assert "Cette heure n'existe pas à Paris" in body and "Un montant ne peut pas être négatif." in body
    assert _count(grants_app, Call) == 0

    created = post_form(manager, "/manage/calls/new", _call_form(fund_id, closes_at="2026-10-25T02:30",
                                                                 opens_at="2026-10-01T09:00"))
    assert created.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        call = session.scalars(select(Call)).one()
        # The first 02:30 of the autumn change, in summer time.
        assert call.closes_at == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
        assert call.max_award_cents == 800_050 and call.postal_codes == ["63000", "63100"]
        assert call.required_documents == [{"code": "budget", "label_fr": "Budget prévisionnel", "label_en": "Budget"}]
        assert call.scoring_grid[0]["levels"][2] == {"score": 2, "description": "Remarquable"}
        call_id = call.id
    form = text(manager.get(created.headers["Location"]))
    assert 'value="2026-10-25T02:30"' in form and 'value="8000,50"' in form

    # Closed already: it cannot open; the list says why, in French.
    refused = post_form(manager, f"/manage/calls/{call_id}/status", {"status": "open"}, form_path="/manage/calls")
    assert refused.status_code == 409 and "L'heure de clôture est déjà passée." in text(refused)

    saved = post_form(manager, f"/manage/calls/{call_id}/edit", _call_form(fund_id, closes_at="2027-01-15T18:00"))
    assert saved.status_code == 302
    opened = post_form(manager, f"/manage/calls/{call_id}/status", {"status": "open"}, form_path="/manage/calls")
    assert opened.status_code == 302
    listing = text(manager.get("/manage/calls"))
    assert "L'appel est maintenant : Ouvert." in listing and "Clore l'appel" in listing
    early = post_form(manager, f"/manage/calls/{call_id}/status", {"status": "closed"}, form_path="/manage/calls")
    assert early.status_code == 409 and "Cet appel ne peut pas être clos avant son heure de clôture." in text(early)


def test_an_open_call_edited_from_its_page(grants_app, manager):
    api = grants_app.test_client()
    _, headers = account(grants_app, "api-manager@example.org", ["fund_manager"])
    call = open_call(api, headers, fund(api, headers)["id"], closes_at="2027-01-15T18:00", postal_codes=["63000"])
    path = f"/manage/calls/{call['id']}/edit"
    page = text(manager.get(path))
    assert "Cet appel est ouvert" in page and 'value="2027-01-15T18:00"' in page

    # Everything sent back as shown is no change: it saves.
    form = _form_from_call(call)
    assert post_form(manager, path, form).status_code == 302

    earlier = post_form(manager, path, {**form, "closes_at": "2027-01-14T18:00", "postal_codes": ""})
    assert earlier.status_code == 409
    body = text(earlier)
    assert "Un appel ouvert ne peut pas clore plus tôt ; il peut clore plus tard." in body
    fewer = post_form(manager, path, {**form, "postal_codes": "63100"})
    assert fewer.status_code == 409 and "Le territoire d'un appel ouvert peut s'agrandir, pas se réduire." in text(fewer)
    with grants_app.extensions["db"].unit_of_work() as session:
        stored = session.get(Call, call["id"])
        assert stored.closes_at == datetime(2027, 1, 15, 17, 0, tzinfo=timezone.utc) and stored.postal_codes == ["63000"]

    later = post_form(manager, path, {**form, "closes_at": "2027-01-31T18:00", "postal_codes": "63000 63110"})
    assert later.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        stored = session.get(Call, call["id"])
        assert stored.closes_at == datetime(2027, 1, 31, 17, 0, tzinfo=timezone.utc)
        assert stored.postal_codes == ["63000", "63110"]


def _form_from_call(call):
    form = {
        "fund_id": str(call["fund_id"]), "title_fr": call["title_fr"], "title_en": call["title_en"] or "",
        "description_fr": call["description_fr"], "description_en": "", "opens_at": call["opens_at_paris"][:16],
        "closes_at": call["closes_at_paris"][:16], "max_award": "10000",
        "postal_codes": " ".join(call["postal_codes"]), "sectors": call["sectors"],
        "organisation_kinds": call["organisation_kinds"],
        "min_other_funding_share_percent": str(call["min_other_funding_share_percent"]),
    }
    for n, document in enumerate(call["required_documents"]):
        form.update({f"document-{n}-{k}": document[k] or "" for k in ("code", "label_fr", "label_en")})
    for n, criterion in enumerate(call["scoring_grid"]):
        form.update({f"criterion-{n}-{k}": str(criterion[k] or "") for k in ("code", "label_fr", "label_en", "weight")})
        form[f"criterion-{n}-levels"] = "\n".join(f"{lv['score']}: {lv['description']}" for lv in criterion["levels"])
    return form


def test_applications_of_a_call_detail_and_csv_from_the_pages(grants_app, manager):
    api = grants_app.test_client()
    _, headers = account(grants_app, "api-manager@example.org", ["fund_manager"])
    applicant_id, _ = account(grants_app, "ana@example.org", ["applicant"], "Ana")
    other_id, _ = account(grants_app, "bob@example.org", ["applicant"], "Bob")
    call = open_call(api, headers, fund(api, headers)["id"])
    with grants_app.extensions["db"].unit_of_work() as session:
        music, film = organisation(applicant_id), organisation(other_id, sector="film", legal_name="Ciné Dôme")
        session.add_all([music, film])
        session.flush()
        first = submitted(call["id"], applicant_id, music, 1)
        second = submitted(call["id"], other_id, film, 2, eligible=False)
        session.add_all([first, second])
        session.flush()
        first_id = first.id

    listing = manager.get(f"/manage/calls/{call['id']}/applications")
    assert listing.status_code == 200
    page = text(listing)
    assert "Projet 1" in page and "Projet 2" in page and "2 candidatures" in page
    filtered = text(manager.get(f"/manage/calls/{call['id']}/applications?sector=film&status=submitted&eligible="))
    assert "Projet 2" in filtered and "Projet 1" not in filtered
    eligible = text(manager.get(f"/manage/calls/{call['id']}/applications?eligible=true"))
    assert "Projet 1" in eligible and "Projet 2" not in eligible
    bad = manager.get(f"/manage/calls/{call['id']}/applications?sector=knitting")
    assert bad.status_code == 422 and "Doit être l'un des choix proposés." in text(bad)
    assert f"/manage/calls/{call['id']}/applications.csv?sector=film" in filtered

    detail = manager.get(f"/manage/applications/{first_id}")
    assert detail.status_code == 200
    page = text(detail)
    assert "Vous lisez la candidature telle qu'elle a été déposée." in page
    assert "TRE-2026-00001" in page and "Studio Volcan" in page and "budget.pdf" in page
    assert "20 nov. 2026, 17:05" in page  # submitted at 16:05 UTC, shown in Paris time

    exported = manager.get(f"/manage/calls/{call['id']}/applications.csv?eligible=false")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert [row["Structure"] for row in rows] == ["Ciné Dôme"] and rows[0]["Éligible"] == "non"
    english = manager.get(f"/manage/calls/{call['id']}/applications.csv?lang=en")
    assert english.data.decode("utf-8-sig").startswith("No.;Receipt;Status")

    assert manager.get("/manage/applications/999").status_code == 404
    assert manager.get("/manage/calls/999/applications").status_code == 404


def test_the_call_list_shows_a_call_past_its_closing_time_as_closed(grants_app, manager):
    api = grants_app.test_client()
    _, headers = account(grants_app, "api-manager@example.org", ["fund_manager"])
    open_call(api, headers, fund(api, headers)["id"])
    with grants_app.extensions["db"].unit_of_work() as session:
        session.execute(update(Call).values(closes_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    page = text(manager.get("/manage/calls?lang=en"))
    assert '<span class="status">Closed</span>' in page and "Close the call" in page


def test_the_manager_downloads_an_applications_documents_from_its_page(grants_app, manager, tmp_path, monkeypatch):
    from tests.integration.grants.applicant_setup import ANSWERS, a_call, applicant, small_pdf

    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    call = a_call(grants_app)
    _, ana = applicant(grants_app)
    api = grants_app.test_client()
    draft = api.post("/api/applications", json={"call_id": call["id"], **ANSWERS}, headers=ana).get_json()
    content = small_pdf("budget of the tour")
    uploaded = api.put(
        f"/api/applications/{draft['id']}/documents/budget",
        data={"file": (io.BytesIO(content), "budget.pdf")}, content_type="multipart/form-data", headers=ana,
    )
    assert uploaded.status_code == 200
    page = text(manager.get(f"/manage/applications/{draft['id']}"))
    link = f"/applications/{draft['id']}/documents/budget"
    assert f'href="{link}"' in page
    download = manager.get(link)
    assert download.status_code == 200 and download.data == content
    other = _sign_in(grants_app, "other@example.org", ["applicant"], "Other")
    assert other.get(link).status_code == 404
