"""Each contract's declared consumers are the services that really handle it, version by version.

A service's worker (`services/<name>/actors.py`) handles the events in its HANDLERS, keyed by
(name, version). The relay sends an event to the consumers its contract declares: a consumer
declared without a handler would dead-letter every such event, and a handler no contract routes
to this service would never run.
"""
import importlib
import importlib.util
import pkgutil

import services
from shared.core import events

# The services that consume events have a worker; the accounts service only announces them.
SERVICES = sorted(
    module.name for module in pkgutil.iter_modules(services.__path__)
    if module.ispkg and importlib.util.find_spec(f"services.{module.name}.actors") is not None
)


def _registered() -> dict[str, set[tuple[str, int]]]:
    return {service: set(importlib.import_module(f"services.{service}.actors").HANDLERS) for service in SERVICES}


def _declared() -> dict[str, set[tuple[str, int]]]:
    declared = {service: set() for service in SERVICES}
    for key, kind in events.REGISTRY.items():
        for service in kind.consumers:
            declared.setdefault(service, set()).add(key)
    return declared


def test_every_service_has_a_worker_with_handlers():
    assert SERVICES == ["crowdfunding", "grants", "notifications"]
    assert set(_declared()) == set(SERVICES), "a contract names a consumer that is no service"


def test_every_declared_consumer_handles_the_event_in_that_version():
    registered = _registered()
    missing = {service: keys - registered[service] for service, keys in _declared().items()}
    assert missing == {service: set() for service in SERVICES}


def test_every_handler_is_for_a_contract_that_declares_its_service():
    declared = _declared()
    unrouted = {service: keys - declared[service] for service, keys in _registered().items()}
    assert unrouted == {service: set() for service in SERVICES}


def test_the_notifications_worker_handles_the_contracts_it_consumes():
    # Named, so that a change to the contracts or handlers shows here.
    assert _registered()["notifications"] == {
        ("account.registered", 1), ("account.password_reset_requested", 1), ("application.draft_started", 1),
        ("application.submitted", 1), ("application.withdrawn", 1), ("call.closing_extended", 1),
        ("delivery.resend_requested", 1), ("account.updated", 1), ("account.sign_up_attempted", 1),
        ("account.invited", 1), ("jury.reviews_pending", 1), ("award.granted", 1), ("award.cancelled", 1),
        ("application.not_selected", 1),
        # Crowdfunding: campaigns and pledges.
        ("campaign.submitted", 1), ("campaign.approved", 1), ("campaign.changes_requested", 1),
        ("campaign.rejected", 1), ("campaign.published", 1), ("pledge.confirmed", 1), ("pledge.changed", 1),
        ("pledge.cancelled", 1), ("campaign.news_posted", 1),
        # Crowdfunding: the close, charges and refunds.
        ("campaign.succeeded", 1), ("campaign.failed", 1), ("campaign.cancelled", 1), ("pledge.charged", 1),
        ("pledge.action_needed", 1), ("pledge.failed", 1), ("pledge.refunded", 1),
        # Impact: the referent's requests.
        ("advice.requested", 1),
    }
    assert _registered()["crowdfunding"] == {("account.updated", 1), ("pledge.cancelled", 1), ("match.reserved", 1),
                                             ("match.refused", 1), ("match.released", 1)}
    # Matchfunding: the grants know campaigns, reserve, release and pay their matches; impact: supported
    # firms, the comparison group and the campaigns' outcomes.
    assert _registered()["grants"] == {
        ("account.updated", 1), ("invitation.accepted", 1), ("award.accepted", 1), ("application.not_selected", 1),
        ("campaign.published", 1), ("match.requested", 1),
        ("pledge.changed", 1), ("pledge.cancelled", 1), ("pledge.failed", 1), ("pledge.refunded", 1), ("campaign.succeeded", 1),
        ("campaign.failed", 1), ("campaign.cancelled", 1)}
    # Every service keeps its copy of people from the accounts service's events.
    assert all(("account.updated", 1) in handled for handled in _registered().values())
