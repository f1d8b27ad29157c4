"""Amounts a person or a program sends are refused with a message, never a 500."""
import pytest
from marshmallow import ValidationError

from services.grants.schemas.applications import ApplicationFormSchema
from tests.integration.grants.applicant_setup import ANSWERS, a_call, applicant, manager


def test_amounts_beyond_what_is_stored_are_refused_per_field(grants_app):
    client = grants_app.test_client()
    call = a_call(grants_app)
    _, ana = applicant(grants_app)
    draft = client.post("/api/applications", json={"call_id": call["id"], **ANSWERS}, headers=ana).get_json()
    response = client.patch(f"/api/applications/{draft['id']}", json={"requested_cents": 3_000_000_000}, headers=ana)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"requested_cents": ["Amounts above €20,000,000 are not accepted."]}
    assert client.get(f"/api/applications/{draft['id']}", headers=ana).get_json()["requested_cents"] == ANSWERS["requested_cents"]

    fund = client.post("/api/funds", json={"name": "Big", "year": 2030, "envelope_cents": 3_000_000_000}, headers=manager(grants_app))
    assert fund.status_code == 422 and "envelope_cents" in fund.get_json()["errors"]["json"]


@pytest.mark.parametrize("typed", ["Infinity", "NaN", "1e400", "abc"])
def test_euro_inputs_on_pages_refuse_what_is_not_an_amount(typed):
    with pytest.raises(ValidationError) as error:
        ApplicationFormSchema().load({"requested_euros": typed})
    assert "requested_euros" in error.value.messages
