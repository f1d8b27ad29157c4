"""A reward tier is never oversold: 50 backers pledge at once on a tier of 10 places, each on a
connection of their own to PostgreSQL, then save their cards at once; exactly 10 pledges are
confirmed, and the 40 others were told the reward is sold out."""
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from services.crowdfunding.models import Pledge
from tests.integration.crowdfunding.campaign_setup import TIER, backer, live
from tests.stripe_js import confirm_card_setup

BACKERS = 50
PLACES = 10


def test_fifty_pledges_at_once_on_a_tier_of_ten_give_exactly_ten_confirmed(crowdfunding_app):
    assert crowdfunding_app.extensions["db"].is_postgresql
    campaign = live(crowdfunding_app, tiers=({**TIER, "quantity": PLACES},))
    [tier_id] = campaign["tier_ids"]
    headers = [backer(crowdfunding_app, f"racer{number}@example.org")[1] for number in range(BACKERS)]

    def pledge(someone):
        client = crowdfunding_app.test_client()
        answer = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=someone,
                             json={"amount_cents": 2_000, "tier_id": tier_id, "method": "card"})
        return someone, answer.status_code, answer.get_json()

    with ThreadPoolExecutor(max_workers=BACKERS) as pool:
        created = list(pool.map(pledge, headers))
    statuses = sorted(status for _someone, status, _body in created)
    assert statuses == [201] * PLACES + [409] * (BACKERS - PLACES)
    assert {body["message"] for _someone, status, body in created if status == 409} == {"This reward is sold out."}

    def save_card(item):
        someone, _status, body = item
        client = crowdfunding_app.test_client()
        setup = client.post(f"/api/pledges/{body['id']}/card", headers=someone).get_json()
        assert confirm_card_setup(setup)["status"] == "succeeded"
        return client.post(f"/api/pledges/{body['id']}/confirm", headers=someone).get_json()["outcome"]

    winners = [item for item in created if item[1] == 201]
    with ThreadPoolExecutor(max_workers=PLACES) as pool:
        assert list(pool.map(save_card, winners)) == ["confirmed"] * PLACES

    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        confirmed = session.scalar(select(func.count()).select_from(Pledge).where(
            Pledge.tier_id == tier_id, Pledge.status == "confirmed"))
        assert confirmed == PLACES
    page = crowdfunding_app.test_client().get(f"/api/campaigns/{campaign['id']}").get_json()
    assert page["tiers"][0]["places_left"] == 0 and page["progress"]["backers"] == PLACES
