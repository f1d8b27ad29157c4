import pytest

from shared.core import events


def _payload(**changes):
    payload = {
        "account_id": 1, "service": "grants", "email": "a@example.org", "name": "A",
        "language": "fr", "roles": ["applicant"], "confirm_url": None,
    }
    payload.update(changes)
    return payload


def test_event_has_name_version_and_consumers():
    kind = events.lookup("account.registered", 1)
    assert kind.consumers == ("notifications",)
    assert events.latest_version("account.registered") == 1


def test_payload_validated_when_written():
    assert events.dump_payload("account.registered", 1, _payload())["email"] == "a@example.org"
    with pytest.raises(events.EventContractError) as error:
        events.dump_payload("account.registered", 1, _payload(language="de", email="nope"))
    assert set(error.value.errors) == {"language", "email"}


def test_unknown_event_refused():
    with pytest.raises(events.EventContractError):
        events.dump_payload("nobody.knows", 1, {})


def test_envelope_validated_when_read():
    envelope = {
        "id": events.new_event_id(), "name": "account.registered", "version": 1, "producer": "grants",
        "occurred_at": "2026-11-22T10:00:00+00:00", "request_id": "abc", "payload": _payload(),
    }
    assert events.read_envelope(envelope)["payload"]["account_id"] == 1
    with pytest.raises(events.EventContractError):
        events.read_envelope({**envelope, "payload": _payload(account_id="one")})
    with pytest.raises(events.EventContractError):
        events.read_envelope({**envelope, "occurred_at": "2026-11-22T10:00:00"})  # naive time
