"""Topic names are built and parsed in one place, and reject what is not ours."""

from __future__ import annotations

import uuid

import pytest

from shared import topics


def test_built_topics_parse_back_to_their_parts() -> None:
    alert_id = uuid.uuid4()
    cases = {
        topics.kiosk_alert("s1", "kiosk-1"): ("kiosk", "kiosk-1", "alert", None),
        topics.kiosk_incident("s1", "kiosk-1"): ("kiosk", "kiosk-1", "incident", None),
        topics.pager_ack("s1", "pager-s1"): ("pager", "pager-s1", "ack", None),
        topics.status("s1", "pager", "pager-s1"): ("pager", "pager-s1", "status", None),
        topics.hub_escalation("s1", "hub"): ("hub", "hub", "escalation", None),
        topics.hub_alert_state("s1", "hub", alert_id): ("hub", "hub", "alert_state", str(alert_id)),
        topics.hub_receipt("s1", "hub", "kiosk-1"): ("hub", "hub", "receipt", "kiosk-1"),
    }
    for topic, (kind, device, channel, subject) in cases.items():
        parsed = topics.parse(topic)
        assert (parsed.store, parsed.kind, parsed.device, parsed.channel, parsed.subject) == (
            "s1",
            kind,
            device,
            channel,
            subject,
        )


@pytest.mark.parametrize(
    "topic",
    [
        "other/v1/s1/kiosk/k/alert",
        "calmdesk/v1/s1/printer/p/alert",
        "calmdesk/v1/s1/kiosk/k/ack",
        "calmdesk/v1/s1/pager/p/alert",
        "calmdesk/v1/s1/kiosk/K!/alert",
        "calmdesk/v1/s1/kiosk/k/alert/extra",
    ],
)
def test_foreign_topics_are_rejected(topic: str) -> None:
    with pytest.raises(topics.TopicError):
        topics.parse(topic)


def test_ids_with_wildcards_cannot_be_smuggled_into_a_topic() -> None:
    with pytest.raises(topics.TopicError):
        topics.kiosk_alert("s1", "+")
    with pytest.raises(topics.TopicError):
        topics.kiosk_alert("#", "kiosk-1")
