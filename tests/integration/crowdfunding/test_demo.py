"""The demo `make run` seeds in crowdfunding: two live campaigns, one all-or-nothing and one
keep-it-all, with reward tiers, covers and a few pledges, however often it runs."""
from sqlalchemy import func, select

from services.accounts import demo as accounts_demo
from services.crowdfunding import demo
from services.crowdfunding.models import Campaign, Pledge


def test_the_demo_seeds_two_live_campaigns_once(accounts_app, crowdfunding_app):
    with accounts_app.extensions["db"].unit_of_work() as session:
        people = accounts_demo.seed(session, accounts_app.config["SETTINGS"])
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        first = demo.seed(session, people)
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert demo.seed(session, people) == first
        assert session.scalar(select(func.count()).select_from(Campaign)) == 2
        assert session.scalar(select(func.count()).select_from(Pledge)) == len(demo.PLEDGES)

    client = crowdfunding_app.test_client()
    live = client.get("/api/campaigns").get_json()
    assert sorted(item["funding_model"] for item in live) == ["all_or_nothing", "keep_it_all"]
    for item in live:
        campaign = client.get(f"/api/campaigns/{item['id']}").get_json()
        assert campaign["status"] == "live" and len(campaign["tiers"]) == 3 and campaign["cover"]["widths"]
        assert campaign["progress"]["backers"] >= 2 and campaign["public_backers"]
    # The demo's owners and backers sign in with the demo password.
    for email, _name, _language in accounts_demo.BACKERS:
        token = accounts_app.test_client().post("/api/auth/token", json={
            "email": email, "password": accounts_demo.MANAGER_PASSWORD})
        assert token.status_code == 200, email
