"""The fund manager's journey in Chromium, on the running platform: sign in once for the platform,
create a fund and a call (euros written with a comma, times in Paris), open the call, see its
applications and one application, then go to the crowdfunding half, signed in there too. axe
checks every page on the way."""
import io
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.integration.grants.applicant_setup import ANSWERS, applicant
from tests.people import person
from tests.pdf import small_pdf

PARIS = ZoneInfo("Europe/Paris")


def datetime_local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def without_spaces(text: str) -> str:
    return re.sub(r"\s", "", text)


def submitted_application(grants_app, call_id: int) -> str:
    """Someone applies to the open call (through the API: this journey is the manager's)."""
    client = grants_app.test_client()
    _, headers = applicant(grants_app)
    draft = client.post("/api/applications", json={"call_id": call_id, **ANSWERS}, headers=headers)
    assert draft.status_code == 201, draft.get_json()
    application_id = draft.get_json()["id"]
    uploaded = client.put(f"/api/applications/{application_id}/documents/budget", headers=headers,
                          data={"file": (io.BytesIO(small_pdf("budget")), "budget.pdf")}, content_type="multipart/form-data")
    assert uploaded.status_code == 200, uploaded.get_json()
    submitted = client.post(f"/api/applications/{application_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    return submitted.get_json()["receipt_number"]


def test_a_fund_manager_creates_and_opens_a_call_then_reads_its_applications(platform, accounts_app, grants_app, page, audit):
    person(accounts_app, "manon@example.org", ["fund_manager"], "Manon")  # the platform's account
    grants = platform.public_urls["grants"]
    today = datetime.now(PARIS).date()
    opens = datetime.combine(today - timedelta(days=1), time(9, 0), PARIS)
    closes = datetime.combine(today + timedelta(days=60), time(17, 30), PARIS)

    page.goto(f"{grants}/manage/calls")  # the platform's sign-in first, then back here
    audit.check()
    page.get_by_label("Adresse e-mail").fill("manon@example.org")
    page.get_by_label("Mot de passe").fill("a long password")
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    audit.check()

    # A fund, its envelope written the French way.
    page.get_by_role("link", name="Fonds", exact=True).click()
    audit.check()
    page.get_by_label("Nom", exact=True).fill("Fonds des industries créatives")
    page.get_by_label("Année", exact=True).fill("2027")
    page.get_by_label("Enveloppe en euros").fill("250 000,50")
    page.get_by_role("button", name="Créer le fonds").click()
    audit.check()
    row = page.get_by_role("row").filter(has_text="Fonds des industries créatives")
    assert "250000,50€" in without_spaces(row.inner_text())

    # A call: Paris times, a maximum award with a comma, the territory, a required document, a
    # scoring grid.
    page.get_by_role("link", name="Gérer les appels").click()
    audit.check()
    page.get_by_role("link", name="Nouvel appel").click()
    audit.check()
    page.get_by_label("Fonds", exact=True).select_option(label="Fonds des industries créatives 2027")
    page.get_by_label("Titre en français").fill("Aide à la création 2027")
    page.get_by_label("Description en français").fill("Pour les projets des industries créatives de la métropole.")
    page.get_by_label("Ouverture (heure de Paris)").fill(datetime_local(opens))
    page.get_by_label("Clôture (heure de Paris)").fill(datetime_local(closes))
    page.get_by_label("Aide maximale par projet, en euros").fill("12 500,50")
    page.get_by_label("Territoire", exact=False).fill("63000 63100")
    # The rows' inputs are named by column, row and table (a screen reader reads these names).
    page.get_by_label("Code 1 (Pièces demandées)").fill("budget")
    page.get_by_label("Nom en français 1 (Pièces demandées)").fill("Budget prévisionnel")
    page.get_by_label("Code 1 (Grille de notation du jury)").fill("quality")
    page.get_by_label("Nom en français 1 (Grille de notation du jury)").fill("Qualité artistique")
    page.get_by_label("Coefficient 1 (Grille de notation du jury)").fill("3")
    page.get_by_label("Niveaux 1 (Grille de notation du jury)").fill("0: Faible\n2: Remarquable")
    page.get_by_role("button", name="Enregistrer en brouillon").click()
    audit.check()
    call_id = int(re.search(r"/manage/calls/(\d+)/edit$", page.url).group(1))
    # Shown back as entered: the same Paris times, the amount in French.
    assert page.get_by_label("Ouverture (heure de Paris)").input_value() == datetime_local(opens)
    assert page.get_by_label("Clôture (heure de Paris)").input_value() == datetime_local(closes)
    assert page.get_by_label("Aide maximale par projet, en euros").input_value() == "12500,50"

    page.get_by_role("button", name="Ouvrir l'appel").click()
    audit.check()
    assert page.locator(".flash").inner_text().replace("\u00a0", " ") == "L'appel est maintenant : Ouvert."
    # Stored in UTC, the same instants as written in Paris time; the amount in cents.
    stored = grants_app.test_client().get(f"/api/calls/{call_id}").get_json()
    assert stored["status"] == "open" and stored["max_award_cents"] == 1_250_050
    assert datetime.fromisoformat(stored["opens_at"]) == opens.astimezone(timezone.utc)
    assert datetime.fromisoformat(stored["closes_at"]) == closes.astimezone(timezone.utc)

    receipt = submitted_application(grants_app, call_id)

    page.get_by_role("row").filter(has_text="Aide à la création 2027").get_by_role("link", name="Candidatures").click()
    audit.check()
    row = page.get_by_role("row").filter(has_text=receipt)
    assert "Tournée des Volcans" in row.inner_text() and "Label Dôme SARL" in row.inner_text()
    row.get_by_role("link", name="Tournée des Volcans").click()
    audit.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Tournée des Volcans"
    assert receipt in page.get_by_role("main").inner_text()

    # The other half, with the same account and the same session: signed in there too, with the
    # fund manager's entry in the one header.
    page.get_by_role("banner").get_by_role("link", name="Campagnes").click()
    audit.check()
    assert page.url == f"{platform.public_urls['crowdfunding']}/"
    banner = page.get_by_role("banner")
    assert banner.get_by_role("link", name="Manon").is_visible() and banner.get_by_role("link", name="Gérer").is_visible()
    assert audit.pages_left_unchecked() == []
