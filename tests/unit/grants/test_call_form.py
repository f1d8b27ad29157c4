"""The fund manager's call form, read by its schema as the API reads JSON."""
import pytest
from marshmallow import ValidationError

from services.grants.schemas.calls import CallFormSchema

FORM = {
    "fund_id": "1", "title_fr": "Aide", "description_fr": "Texte",
    "opens_at": "2026-10-01T09:00", "closes_at": "2026-11-01T18:00",
    "max_award": "10 000,50", "postal_codes": "63000, 63100;63110",
    "sectors": ["music", "film"],
    "document-0-code": "budget", "document-0-label_fr": "Budget",
    "document-1-code": "", "document-1-label_fr": "",  # a spare row
    "criterion-0-code": "quality", "criterion-0-label_fr": "Qualité", "criterion-0-weight": "3",
    "criterion-0-levels": "0: Faible\n3: Excellent\nSans note",
}


def test_a_complete_form_reads_as_a_call():
    call = CallFormSchema().load(FORM)
    assert call["max_award_cents"] == 1_000_050
    assert call["postal_codes"] == ["63000", "63100", "63110"]
    assert call["required_documents"] == [{"code": "budget", "label_fr": "Budget", "label_en": None}]
    assert call["scoring_grid"][0]["weight"] == 3
    assert call["scoring_grid"][0]["levels"] == [
        {"score": 0, "description": "Faible"}, {"score": 3, "description": "Excellent"},
        {"score": 2, "description": "Sans note"}]
    assert call["organisation_kinds"] == [] and call["title_en"] is None


def test_emptied_inputs_clear_their_values_on_edit():
    changes = CallFormSchema(partial=True).load({"title_fr": "Aide"})
    assert changes["sectors"] == [] and changes["postal_codes"] == [] and changes["title_en"] is None
    assert changes["required_documents"] == [] and changes["min_other_funding_share_percent"] == 0


def test_errors_are_named_by_the_form_inputs():
    with pytest.raises(ValidationError) as refused:
        CallFormSchema().load({**FORM, "max_award": "dix", "criterion-0-weight": "lourd"})
    assert set(refused.value.messages) == {"max_award", "scoring_grid"}
