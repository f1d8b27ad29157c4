"""What Stripe.js does in the backer's browser, done by a test: the card entered in the card field
is sent to (local)stripe with the publishable key and the SetupIntent's client secret, exactly
as localstripe's stand-in for Stripe.js sends it (`confirmCardSetup`)."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

VISA = "4242424242424242"
DECLINED = "4000000000000002"


def confirm_card_setup(setup: dict, number: str = VISA) -> dict:
    """`stripe.confirmCardSetup(client_secret, {payment_method: {card}})` for a CardSetup answer
    (`/api/pledges/<id>/card`); the SetupIntent as Stripe answers it, or its error."""
    base = re.sub(r"/js\.stripe\.com/v3/$", "", setup["js_url"])
    body = {
        "key": setup["publishable_key"], "use_stripe_sdk": True, "client_secret": setup["client_secret"],
        "payment_method_data": {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                                         "cvc": "123"}},
    }
    request = urllib.request.Request(f"{base}/v1/setup_intents/{setup['setup_intent_id']}/confirm",
                                     data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())
