"""SUBACK handling: a link is ready only once its subscriptions are answered, refusals are loud.

Mosquitto grants every subscription and filters by ACL at delivery (checked in
tests/integration/test_broker_security.py), so the refusal branch is driven here directly
with the reason codes another broker would send.
"""

from __future__ import annotations

import logging

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from shared.mqtt_link import BrokerAddress, MqttLink

TOPICS = ["calmdesk/v1/demo/kiosk/+/alert", "calmdesk/v1/demo/kiosk/+/incident"]


def _link() -> MqttLink:
    link = MqttLink(
        device_id="pager-m1",
        password="unused",
        address=BrokerAddress("127.0.0.1", 1),
        subscriptions=TOPICS,
    )
    link._subscribe_mid = 7
    return link


def test_granted_subscriptions_make_the_link_ready_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = _link()
    assert not link.wait_subscribed(0)
    granted = [ReasonCode(PacketTypes.SUBACK, "Granted QoS 1")] * 2
    with caplog.at_level(logging.ERROR, logger="shared.mqtt_link"):
        link._handle_subscribe(link._client, None, 7, granted, None)
    assert link.wait_subscribed(0)
    assert caplog.records == []


def test_refused_subscription_is_logged_with_its_topic(caplog: pytest.LogCaptureFixture) -> None:
    link = _link()
    codes = [
        ReasonCode(PacketTypes.SUBACK, "Granted QoS 1"),
        ReasonCode(PacketTypes.SUBACK, "Not authorized"),
    ]
    with caplog.at_level(logging.ERROR, logger="shared.mqtt_link"):
        link._handle_subscribe(link._client, None, 7, codes, None)
    assert link.wait_subscribed(0)
    [record] = caplog.records
    assert "pager-m1: broker refused subscriptions" in record.getMessage()
    assert TOPICS[1] in record.getMessage() and TOPICS[0] not in record.getMessage()


def test_answer_to_another_subscribe_is_ignored() -> None:
    link = _link()
    link._handle_subscribe(
        link._client, None, 8, [ReasonCode(PacketTypes.SUBACK, "Granted QoS 1")], None
    )
    assert not link.wait_subscribed(0)
