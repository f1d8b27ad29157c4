"""The owner's statement after a successful close: what was pledged, paid, failed and refunded,
Stripe's fees as Stripe reports them, the platform's fee (PLATFORM_FEE_PERCENT, 0 by default) and
the net amount due to the owner; and the payout the fund manager records.

`figures` is pure arithmetic on integer cents. Stripe's fee is the sum of the fees its balance
transactions report; a charge whose fee Stripe did not report (localstripe reports none) makes
the fee "not reported" for the statement, which then says so, and the net amount is before
that fee, never a fee of 0 that nobody computed.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.crowdfunding import campaigns
from services.crowdfunding.config import platform_fee_percent
from services.crowdfunding.models import Campaign, ChargeAttempt, Pledge
from shared.core.money import Money
from shared.core.refusal import Refusal

NOT_CLOSED = "The statement comes after a successful close."
ALREADY_PAID_OUT = "The payout of this campaign is already recorded."


@dataclass(frozen=True)
class Figures:
    pledged_cents: int
    paid_cents: int
    failed_cents: int
    refunded_cents: int
    pending_cents: int  # still being charged, or waiting for the backer
    stripe_fee_cents: int | None  # None: not reported by Stripe for at least one charge
    stripe_fee_known_cents: int  # what Stripe did report
    platform_fee_percent: Decimal
    platform_fee_cents: int
    net_cents: int  # paid - refunded - Stripe's fee (as reported) - the platform's fee

    @property
    def stripe_fee_reported(self) -> bool:
        return self.stripe_fee_cents is not None


def parse_percent(text: str) -> Decimal:
    try:
        percent = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"PLATFORM_FEE_PERCENT is not a percentage: {text!r}") from None
    if not Decimal(0) <= percent <= Decimal(100):
        raise ValueError(f"PLATFORM_FEE_PERCENT is not between 0 and 100: {text!r}")
    return percent


def figures(pledged: int, paid: int, failed: int, refunded: int, pending: int, fees: list[int | None],
            percent: Decimal) -> Figures:
    """The statement's arithmetic. The platform's fee is on what was kept (paid less refunded),
    rounded to the nearest cent (half up)."""
    known = sum(fee for fee in fees if fee is not None)
    reported = all(fee is not None for fee in fees)
    kept = paid - refunded
    platform = int((Decimal(kept) * percent / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Figures(
        pledged_cents=pledged, paid_cents=paid, failed_cents=failed, refunded_cents=refunded, pending_cents=pending,
        stripe_fee_cents=known if reported else None, stripe_fee_known_cents=known,
        platform_fee_percent=percent, platform_fee_cents=platform, net_cents=kept - known - platform,
    )


def statement_campaign(session: Session, account_id: int, roles, campaign_id: int) -> Campaign:
    """The owner's own campaign, or any for a fund manager; after a successful close."""
    if "fund_manager" in (roles or ()):
        campaign = campaigns.get_campaign(session, campaign_id)
    else:
        campaign = campaigns.get_own_campaign(session, account_id, campaign_id)
    if campaign.outcome not in ("succeeded", "cancelled"):
        raise Refusal(409, NOT_CLOSED)
    return campaign


def campaign_figures(session: Session, campaign: Campaign) -> Figures:
    rows = session.execute(
        select(Pledge.payment_status, func.sum(Pledge.amount_cents), func.sum(Pledge.paid_cents),
               func.sum(Pledge.refunded_cents))
        .where(Pledge.campaign_id == campaign.id, Pledge.payment_status.is_not(None))
        .group_by(Pledge.payment_status)
    ).all()
    amounts = {status: (int(amount or 0), int(paid or 0), int(refunded or 0)) for status, amount, paid, refunded in rows}
    paid = sum(values[1] for values in amounts.values())
    refunded = sum(values[2] for values in amounts.values())
    fees = list(session.scalars(
        select(ChargeAttempt.fee_cents).join(Pledge, Pledge.id == ChargeAttempt.pledge_id)
        .where(Pledge.campaign_id == campaign.id, ChargeAttempt.status == "succeeded")
    ))
    pending = amounts.get("to_charge", (0, 0, 0))[0] + amounts.get("action_needed", (0, 0, 0))[0]
    return figures(campaign.closed_pledged_cents or 0, paid, amounts.get("failed", (0, 0, 0))[0], refunded, pending,
                   fees, parse_percent(platform_fee_percent()))


def csv_text(campaign: Campaign, numbers: Figures, translate=lambda text: text) -> str:
    """The statement as CSV for Excel, as the pledges' export (semicolons, decimal commas): one line
    per figure."""
    from services.crowdfunding.exports import CSV_DELIMITER

    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER)

    def euros(cents: int | None) -> str:
        return "" if cents is None else f"{Decimal(cents) / 100:.2f}".replace(".", ",")

    writer.writerow([translate("Figure"), translate("Amount (EUR)"), translate("Note")])
    writer.writerow([translate("Pledged at the close"), euros(numbers.pledged_cents), ""])
    writer.writerow([translate("Paid"), euros(numbers.paid_cents), ""])
    writer.writerow([translate("Not paid (failed)"), euros(numbers.failed_cents), ""])
    writer.writerow([translate("Still being paid"), euros(numbers.pending_cents), ""])
    writer.writerow([translate("Refunded"), euros(numbers.refunded_cents), ""])
    writer.writerow([translate("Stripe's fees"), euros(numbers.stripe_fee_cents),
                     "" if numbers.stripe_fee_reported else translate("Not reported by Stripe")])
    writer.writerow([translate("Platform fee"), euros(numbers.platform_fee_cents), f"{numbers.platform_fee_percent} %".replace(".", ",")])
    writer.writerow([translate("Net due to the owner"), euros(numbers.net_cents),
                     "" if numbers.stripe_fee_reported else translate("Before Stripe's fees, not reported")])
    if campaign.payout_recorded_at is not None:
        writer.writerow([translate("Paid out"), euros(campaign.payout_cents), campaign.payout_reference or ""])
    return out.getvalue()


def record_payout(session: Session, manager_id: int, campaign_id: int, amount_cents: int, reference: str,
                  now: datetime) -> Campaign:
    """The fund manager paid the owner: recorded once."""
    campaign = campaigns.get_campaign(session, campaign_id, lock=True)
    if campaign.outcome != "succeeded":
        raise Refusal(409, NOT_CLOSED)
    if campaign.payout_recorded_at is not None:
        raise Refusal(409, ALREADY_PAID_OUT)
    if amount_cents <= 0:
        raise Refusal.invalid("amount_cents", "An amount is more than €0.")
    net = campaign_figures(session, campaign).net_cents
    if amount_cents > net:
        raise Refusal.invalid("amount_cents", "At most %(net)s is due to the owner.", net=Money(max(net, 0)))
    campaign.payout_cents, campaign.payout_reference = amount_cents, reference
    campaign.payout_recorded_at, campaign.payout_recorded_by = now, manager_id
    return campaign
