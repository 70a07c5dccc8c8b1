"""The wire contract: strict where it matters, tolerant of newer fields, size-limited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.protocol import (
    MAX_PAYLOAD_BYTES,
    AlertEscalated,
    AlertRaised,
    IncidentReport,
    ProtocolError,
    decode,
    encode,
)


def alert(**fields: object) -> AlertRaised:
    return AlertRaised(
        store="s1", device="kiosk-1", level="security", counter="Counter 1", **fields
    )


def test_every_message_round_trips_with_its_identity() -> None:
    original = alert()
    back = decode(encode(original))
    assert back == original
    assert isinstance(back.event_id, uuid.UUID) and back.schema_version == 1


def test_timestamps_are_normalised_to_utc() -> None:
    local = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=9)))
    assert alert(sent_at=local).sent_at == datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


def test_naive_timestamps_are_refused() -> None:
    payload = encode(alert()).replace(b"Z", b"")
    with pytest.raises(ProtocolError, match="sent_at"):
        decode(payload)


def test_unknown_fields_from_a_newer_device_are_ignored() -> None:
    payload = encode(alert())[:-1] + b',"colour":"blue"}'
    assert isinstance(decode(payload), AlertRaised)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "invalid message"),
        (b'{"type":"alert_raised"}', "Field required"),
        (b'{"type":"launch_rockets","store":"s1","device":"k"}', "type"),
        (encode(alert()).replace(b'"security"', b'"everyone"'), "level"),
        (encode(alert()).replace(b'"kiosk-1"', b'"Kiosk 1!"'), "device"),
        (b"x" * (MAX_PAYLOAD_BYTES + 1), "exceeds"),
        # strict types: no guessing that "yes" means true or "3" means 3
        (encode(alert()).replace(b'"silent":false', b'"silent":"yes"'), "silent"),
        (encode(alert()).replace(b'"drill":false', b'"drill":0'), "drill"),
    ],
)
def test_malformed_payloads_fail_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode(payload)


def test_oversized_message_is_refused_before_it_is_sent() -> None:
    report = IncidentReport(
        store="s1",
        device="kiosk-1",
        incident_id=uuid.uuid4(),
        counter="c",
        outcome="customer_left",
        notes="n" * 4000,
    )
    assert len(encode(report)) < MAX_PAYLOAD_BYTES  # the longest legal note fits
    with pytest.raises(ValueError, match="4000"):
        IncidentReport.model_validate({**report.model_dump(), "notes": "n" * 4001})


def test_escalation_rungs_have_deterministic_ids_so_kiosk_and_hub_record_once() -> None:
    alert_id = uuid.uuid4()
    from_kiosk = AlertEscalated.for_step(
        alert_id, "security_second_guard", store="s1", device="kiosk-1"
    )
    from_hub = AlertEscalated.for_step(alert_id, "security_second_guard", store="s1", device="hub")
    other_rung = AlertEscalated.for_step(alert_id, "security_add_manager", store="s1", device="hub")
    assert from_kiosk.event_id == from_hub.event_id != other_rung.event_id
