"""The close's pure rules: the outcome of each funding model, the statement's arithmetic (the
platform's fee rounded half up on what was kept, a fee not reported kept apart from a fee of 0),
and what Stripe's answers say (a fee reported only when Stripe broke it down)."""
from decimal import Decimal

import pytest

from services.crowdfunding.closing import outcome_of
from services.crowdfunding.payments import PaymentIntent
from services.crowdfunding.statement import figures, parse_percent


@pytest.mark.parametrize(("model", "goal", "pledged", "expected"), [
    ("all_or_nothing", 5_000, 5_000, "succeeded"),
    ("all_or_nothing", 5_000, 4_999, "failed"),
    ("all_or_nothing", 5_000, 0, "failed"),
    ("keep_it_all", 5_000, 100, "succeeded"),
    ("keep_it_all", 5_000, 0, "failed"),
])
def test_the_outcome_of_each_funding_model(model, goal, pledged, expected):
    assert outcome_of(model, goal, pledged) == expected


def test_the_statement_with_fees_reported():
    numbers = figures(pledged=11_500, paid=10_000, failed=1_500, refunded=500, pending=0, fees=[175, 160],
                      percent=Decimal("2.5"))
    assert numbers.stripe_fee_reported and numbers.stripe_fee_cents == 335
    assert numbers.platform_fee_cents == 238  # 2.5 % of 9,500 = 237.5, half up
    assert numbers.net_cents == 10_000 - 500 - 335 - 238


def test_a_fee_not_reported_is_not_a_fee_of_zero():
    numbers = figures(pledged=3_000, paid=3_000, failed=0, refunded=0, pending=0, fees=[None, 90],
                      percent=Decimal(0))
    assert numbers.stripe_fee_cents is None and not numbers.stripe_fee_reported
    assert numbers.stripe_fee_known_cents == 90 and numbers.net_cents == 2_910
    assert figures(0, 0, 0, 0, 0, [], Decimal(0)).stripe_fee_reported  # no charge, nothing unreported


@pytest.mark.parametrize("text", ["-1", "100.5", "deux", ""])
def test_a_platform_fee_outside_0_to_100_is_refused(text):
    with pytest.raises(ValueError):
        parse_percent(text)


def test_stripes_fee_is_read_from_the_balance_transaction_only_when_broken_down():
    def intent(transaction):
        return PaymentIntent.of({"id": "pi_1", "status": "succeeded", "amount": 1_000,
                                 "latest_charge": {"id": "ch_1", "balance_transaction": transaction}})

    assert intent({"fee": 40, "fee_details": [{"type": "stripe_fee", "amount": 40}]}).fee_cents == 40
    assert intent({"fee": 0, "fee_details": []}).fee_cents is None  # localstripe's: never computed
    assert intent("txn_1").fee_cents is None  # not expanded: not reported
    assert intent(None).charge_id == "ch_1"
    refused = PaymentIntent.of({"id": "pi_2", "status": "requires_payment_method", "amount": 1_000,
                                "latest_charge": "ch_2",
                                "last_payment_error": {"code": "insufficient_funds", "message": "No."}})
    assert (refused.charge_id, refused.error_code, refused.fee_cents) == ("ch_2", "insufficient_funds", None)
