"""The applicant's profile through the API: identifiers checked, stored compact, a message per field."""
from sqlalchemy import func, select

from services.grants.models import Organisation
from tests.integration.grants.applicant_setup import PROFILE, applicant, manager


def _organisations(app) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Organisation))


def test_profile_is_saved_with_its_siret_compact_and_read_back(grants_app, grants):
    _, headers = applicant(grants_app, profile=None)
    assert grants.get("/api/profile", headers=headers).status_code == 404

    saved = grants.put("/api/profile", json=PROFILE, headers=headers)
    assert saved.status_code == 200
    body = saved.get_json()
    assert body["siret"] == "73282932000074" and body["rna"] is None
    assert (body["legal_name"], body["kind"], body["postal_code"], body["sector"], body["head_count"]) == (
        "Label Dôme SARL", "company", "63000", "music", 4)
    assert body["created_on"] == "2019-03-01"

    changed = grants.put("/api/profile", json={**PROFILE, "head_count": 6, "siret": "732829320"}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["siret"] == "732829320"
    again = grants.get("/api/profile", headers=headers).get_json()
    assert again["head_count"] == 6 and again["id"] == body["id"]
    assert _organisations(grants_app) == 1


def test_la_poste_siret_passes_although_it_fails_luhn(grants_app, grants):
    _, headers = applicant(grants_app, profile=None)
    response = grants.put("/api/profile", json={**PROFILE, "siret": "356 000 000 49837"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["siret"] == "35600000049837"


def test_association_needs_an_rna_number(grants_app, grants):
    _, headers = applicant(grants_app, profile=None)
    association = {**PROFILE, "kind": "association", "siret": None}
    missing = grants.put("/api/profile", json=association, headers=headers)
    assert missing.status_code == 422
    assert missing.get_json()["errors"]["json"] == {"rna": ["An RNA number is required for an association."]}
    wrong = grants.put("/api/profile", json={**association, "rna": "W12345"}, headers=headers)
    assert wrong.get_json()["errors"]["json"] == {"rna": ["An RNA number is a W followed by 9 digits."]}
    saved = grants.put("/api/profile", json={**association, "rna": "w632000123"}, headers=headers)
    assert saved.status_code == 200 and saved.get_json()["rna"] == "W632000123"


def test_project_holder_needs_no_identifier(grants_app, grants):
    _, headers = applicant(grants_app, profile=None)
    holder = {**PROFILE, "kind": "project_holder", "siret": None, "created_on": None}
    response = grants.put("/api/profile", json=holder, headers=headers)
    assert response.status_code == 200 and response.get_json()["siret"] is None


def test_every_bad_field_has_its_message_and_nothing_is_saved(grants_app, grants):
    _, headers = applicant(grants_app, profile=None)
    bad = {**PROFILE, "siret": "732 829 320 00075", "postal_code": "6300", "sector": "cooking",
           "head_count": -1, "kind": "company", "created_on": "2999-01-01", "legal_name": "  "}
    response = grants.put("/api/profile", json=bad, headers=headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["siret"] == ["This SIRET number is not valid: check for a typing mistake."]
    assert errors["postal_code"] == ["A French postal code has 5 digits."]
    assert errors["created_on"] == ["The creation date cannot be in the future."]
    assert set(errors) == {"siret", "postal_code", "sector", "head_count", "created_on", "legal_name"}
    company_without = grants.put("/api/profile", json={**PROFILE, "siret": ""}, headers=headers)
    assert company_without.get_json()["errors"]["json"] == {
        "siret": ["A SIREN or SIRET number is required for this kind of organisation."]}
    assert _organisations(grants_app) == 0


def test_profile_is_for_applicants(grants_app, grants):
    assert grants.get("/api/profile").status_code == 401
    response = grants.put("/api/profile", json=PROFILE, headers=manager(grants_app))
    assert response.status_code == 403
    assert _organisations(grants_app) == 0
