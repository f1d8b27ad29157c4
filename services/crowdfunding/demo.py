"""A demo for `make run`: two live campaigns, one all-or-nothing and one keep-it-all, each with its
reward tiers, its cover and a few pledges, so that a newcomer finds something to back at once.
Running it again changes nothing.

The people are the accounts service's demo accounts (services/accounts/demo.py), recorded here as
the service's copy of them. Everything goes through the use cases, as an owner, the fund manager
and backers would do it; the demo's pledges are bank transfers, received, so that no card is
needed before localstripe is up.
"""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crowdfunding import campaigns, config, moderation, owners, pledges
from services.crowdfunding.models import Account, Campaign
from shared.accounts import projection
from shared.core.clock import paris_to_utc, to_paris, utcnow

ORGANISATIONS = (
    {"legal_name": "Collectif Volcans Sonores", "kind": "association", "siret": None, "rna": "W631002345",
     "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "music"},
    {"legal_name": "Les Films de la Chaîne SARL", "kind": "company", "siret": "44306184100047", "rna": None,
     "postal_code": "63100", "city": "Clermont-Ferrand", "sector": "film"},
)


def _campaigns(today) -> tuple[dict, dict]:
    start = paris_to_utc(datetime.combine(today, time(0, 0)))
    album = {
        "title_fr": "Un premier album pour Volcans Sonores", "title_en": "A first album for Volcans Sonores",
        "pitch_fr": ("Six musiciennes et musiciens de la métropole enregistrent leur premier album au studio de la "
                     "Coopérative de Mai, avec un quatuor à cordes.\nVotre soutien paie le studio, le mixage et le "
                     "pressage de 500 disques."),
        "pitch_en": ("Six musicians of the area record their first album at the Coopérative de Mai's studio, with a "
                     "string quartet.\nYour support pays for the studio, the mixing and 500 pressed records."),
        "sector": "music", "goal_cents": 800_000, "funding_model": "all_or_nothing",
        "starts_at": start, "ends_at": paris_to_utc(datetime.combine(today + timedelta(days=45), time(20, 0))),
        "budget": [{"label": "Studio (8 jours)", "amount_cents": 400_000},
                   {"label": "Mixage et mastering", "amount_cents": 200_000},
                   {"label": "Pressage de 500 disques", "amount_cents": 200_000}],
        "grant_receipt_number": None,
    }
    film = {
        "title_fr": "La Chaîne des Puys, un court métrage", "title_en": "La Chaîne des Puys, a short film",
        "pitch_fr": ("Un court métrage de fiction tourné l'hiver prochain sur les volcans, avec une équipe "
                     "technique de la région.\nChaque euro compte : ce qui est réuni finance le tournage."),
        "pitch_en": ("A short fiction film shot next winter on the volcanoes, with a crew from the region.\n"
                     "Every euro counts: whatever is raised pays for the shoot."),
        "sector": "film", "goal_cents": 500_000, "funding_model": "keep_it_all",
        "starts_at": start, "ends_at": paris_to_utc(datetime.combine(today + timedelta(days=30), time(18, 0))),
        "budget": [{"label": "Tournage (5 jours)", "amount_cents": 350_000},
                   {"label": "Montage et étalonnage", "amount_cents": 150_000}],
        "grant_receipt_number": None,
    }
    return album, film


def _tiers(today) -> tuple[list[dict], list[dict]]:
    def month(months: int):
        year, index = divmod(today.month - 1 + months, 12)
        return today.replace(year=today.year + year, month=index + 1, day=1)

    album = [
        {"title_fr": "Le disque", "title_en": "The record", "description_fr": "Le CD, avec un mot du groupe.",
         "description_en": "The CD, with a word from the band.", "minimum_cents": 2_000, "quantity": 100,
         "delivery_month": month(6)},
        {"title_fr": "Le vinyle dédicacé", "title_en": "The signed vinyl", "description_fr": "Le 33 tours, dédicacé.",
         "description_en": "The LP, signed.", "minimum_cents": 4_500, "quantity": 30, "delivery_month": month(7)},
        {"title_fr": "Un concert chez vous", "title_en": "A concert at your place",
         "description_fr": "Le groupe joue chez vous, dans la métropole.",
         "description_en": "The band plays at your place, in the area.", "minimum_cents": 50_000, "quantity": 2,
         "delivery_month": month(9)},
    ]
    film = [
        {"title_fr": "Votre nom au générique", "title_en": "Your name in the credits",
         "description_fr": "Merci, en lettres blanches.", "description_en": "Thanks, in white letters.",
         "minimum_cents": 1_000, "quantity": None, "delivery_month": month(10)},
        {"title_fr": "L'affiche", "title_en": "The poster", "description_fr": "L'affiche du film, en A2.",
         "description_en": "The film's poster, A2.", "minimum_cents": 3_000, "quantity": 50, "delivery_month": month(10)},
        {"title_fr": "L'avant-première", "title_en": "The premiere",
         "description_fr": "Deux places pour l'avant-première à Clermont-Ferrand.",
         "description_en": "Two seats at the premiere in Clermont-Ferrand.", "minimum_cents": 8_000, "quantity": 20,
         "delivery_month": month(12)},
    ]
    return album, film


def cover_image(colours: tuple[tuple[int, int, int], tuple[int, int, int]]) -> bytes:
    """A cover drawn here (a sky over volcanoes), so that the demo needs no file."""
    width, height = 1600, 800
    picture = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    top, bottom = colours
    for y in range(height):
        mix = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom)))
    for left, peak, right in ((0, 430, 620), (380, 300, 980), (820, 380, 1600)):
        draw.polygon([(left, height), ((left + right) // 2, peak), (right, height)], fill=(40, 45, 60))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


COVERS = (
    (((245, 160, 90), (120, 60, 130)), "Un ciel orangé au-dessus des volcans d'Auvergne",
     "An orange sky over the volcanoes of Auvergne"),
    (((120, 170, 220), (230, 230, 240)), "Les puys sous un ciel d'hiver", "The puys under a winter sky"),
)

# (backer index, campaign index, tier index or None, amount, public name, received)
PLEDGES = (
    (0, 0, 0, 2_500, True, True),
    (1, 0, 1, 4_500, False, True),
    (2, 0, None, 10_000, True, True),
    (0, 1, 1, 3_000, True, True),
    (1, 1, 0, 1_500, True, True),
    (2, 1, 2, 8_000, False, False),  # a transfer still awaited: the fund manager's list shows it
)


def seed(session: Session, people: dict, now: datetime | None = None) -> dict:
    """Create what is missing of the demo; returns the campaigns' ids."""
    now = now or utcnow()
    for facts in (people["manager"], *people["owners"], *people["backers"]):
        projection.record(session, Account, facts, now)
    today = to_paris(now).date()
    found = [session.scalar(select(Campaign).where(Campaign.title_fr == data["title_fr"]))
             for data in _campaigns(today)]
    if all(found):
        return {"campaign_ids": [campaign.id for campaign in found]}
    manager_id = people["manager"]["account_id"]
    made = []
    for index, (data, tiers, organisation, owner, cover) in enumerate(zip(
            _campaigns(today), _tiers(today), ORGANISATIONS, people["owners"], COVERS)):
        campaign = found[index]
        if campaign is None:
            campaign = _live_campaign(session, owner["account_id"], organisation, data, tiers, cover, manager_id, now)
            created = True
        else:
            created = False
        made.append((campaign, created))
    for backer, campaign_index, tier_index, amount, public, received in PLEDGES:
        campaign, created = made[campaign_index]
        if not created:
            continue
        tier = campaign.tiers[tier_index] if tier_index is not None else None
        pledge = pledges.create_pledge(session, people["backers"][backer]["account_id"], campaign.id, {
            "amount_cents": amount, "tier_id": tier.id if tier else None, "public_name": public, "method": "transfer",
        }, now, config.pledge_hold_minutes())
        if received:
            pledges.mark_transfer_received(session, manager_id, pledge.id, now)
    return {"campaign_ids": [campaign.id for campaign, _created in made]}


def _live_campaign(session, owner_id, organisation, data, tiers, cover, manager_id, now) -> Campaign:
    owners.save_owner(session, owner_id, organisation)
    campaign = campaigns.create_campaign(session, owner_id, data, config.max_campaign_days())
    for tier in tiers:
        campaigns.add_tier(session, owner_id, campaign.id, tier, now)
    colours, alt_fr, alt_en = cover
    campaigns.set_cover(session, owner_id, campaign.id, io.BytesIO(cover_image(colours)), alt_fr, alt_en, now,
                        config.covers_dir(), config.max_cover_bytes())
    campaigns.submit_campaign(session, owner_id, campaign.id, now, config.max_campaign_days())
    moderation.decide(session, manager_id, campaign.id, "approved", None, now)
    session.flush()
    return campaign
