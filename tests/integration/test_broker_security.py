"""Invariant 5, least privilege, checked against the real broker with the generated ACL."""

from __future__ import annotations

import logging
import time
import uuid

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shared import topics
from shared.mqtt_link import LinkState
from shared.protocol import AlertRaised, IncidentReport, encode
from tests.support.cli import calmdesk
from tests.support.store import Store, eventually, publish_and_wait


def test_wrong_password_is_refused_with_a_clear_reason(store: Store) -> None:
    link, _, events = store.link("kiosk-1", password="not-the-password-at-all", wait=False)
    eventually(lambda: any(e.state is LinkState.REFUSED for e in events))
    refused = next(e for e in events if e.state is LinkState.REFUSED)
    assert "kiosk-1" in refused.detail and "calmdesk provision --device kiosk-1" in refused.detail
    assert not link.connected


def test_anonymous_connection_is_refused(store: Store) -> None:
    results: list[str] = []
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="anon", protocol=MQTTProtocolVersion.MQTTv5
    )
    client.on_connect = lambda c, u, f, rc, p: results.append(str(rc))
    client.connect("127.0.0.1", store.port)
    client.loop_start()
    try:
        eventually(lambda: results)
    finally:
        client.loop_stop()
    assert results == ["Not authorized"]


@pytest.mark.parametrize(
    ("device", "topic_of", "why"),
    [
        ("kiosk-1", lambda s: topics.kiosk_alert(s, "kiosk-2"), "a kiosk as another kiosk"),
        ("kiosk-1", lambda s: topics.pager_ack(s, "pager-s1"), "a kiosk as a pager"),
        ("kiosk-1", lambda s: topics.status(s, "pager", "pager-s1"), "a kiosk as pager status"),
        ("pager-s1", lambda s: topics.kiosk_alert(s, "kiosk-1"), "a pager as a kiosk"),
        ("pager-s1", lambda s: topics.kiosk_alert(s, "pager-s1"), "a pager on a kiosk subtree"),
        ("pager-s1", lambda s: topics.pager_ack(s, "pager-m1"), "a pager as another pager"),
        ("pager-s1", lambda s: topics.hub_escalation(s, "hub"), "a pager as the hub"),
        ("console", lambda s: topics.kiosk_alert(s, "kiosk-1"), "the read-only console"),
    ],
)
def test_device_cannot_publish_as_someone_else(
    store: Store, device: str, topic_of: object, why: str
) -> None:
    link, _, _ = store.link(device)
    _watcher, inbox, _ = store.link("hub", subscriptions=(topics.everything(store.store_id),))
    topic = topic_of(store.store_id)  # type: ignore[operator]
    payload = encode(
        AlertRaised(store=store.store_id, device="kiosk-1", level="security", counter="x")
    )
    outcome = publish_and_wait(link, topic, payload)
    assert not outcome.ok, why
    assert outcome.reason == "Not authorized"
    assert not outcome.retryable
    assert [r.topic for r in inbox.drain(0.3) if r.topic == topic] == []


def test_own_topics_are_allowed(store: Store) -> None:
    kiosk, _, _ = store.link("kiosk-1")
    pager, _, _ = store.link("pager-s1")
    alert = AlertRaised(store=store.store_id, device="kiosk-1", level="security", counter="x")
    assert publish_and_wait(kiosk, topics.kiosk_alert(store.store_id, "kiosk-1"), encode(alert)).ok
    assert publish_and_wait(pager, topics.pager_ack(store.store_id, "pager-s1"), b"{}").ok


def test_only_the_hub_can_read_incident_reports(store: Store) -> None:
    sid = store.store_id
    _, pager_inbox, _ = store.link("pager-m1", subscriptions=(topics.all_kiosk_incidents(sid),))
    _, other_kiosk_inbox, _ = store.link(
        "kiosk-2", subscriptions=(topics.all_kiosk_incidents(sid),)
    )
    _, hub_inbox, _ = store.link("hub", subscriptions=(topics.all_kiosk_incidents(sid),))
    kiosk, _, _ = store.link("kiosk-1")
    report = IncidentReport(
        store=sid,
        device="kiosk-1",
        incident_id=uuid.uuid4(),
        counter="Counter 1",
        outcome="customer_left",
        notes="free text about a customer",
    )
    assert publish_and_wait(kiosk, topics.kiosk_incident(sid, "kiosk-1"), encode(report)).ok
    assert hub_inbox.get().topic == topics.kiosk_incident(sid, "kiosk-1")
    time.sleep(0.3)
    assert pager_inbox.drain(0) == []
    assert other_kiosk_inbox.drain(0) == []


def test_client_id_is_pinned_to_the_username(store: Store) -> None:
    """A device cannot take over another device's session by choosing its client id."""
    results: list[str] = []
    kiosk = store.device("kiosk-1")
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="pager-s1", protocol=MQTTProtocolVersion.MQTTv5
    )
    client.username_pw_set("kiosk-1", kiosk.password)
    _victim, _, victim_events = store.link("pager-s1")
    client.on_connect = lambda c, u, f, rc, p: results.append(str(rc))
    client.connect("127.0.0.1", store.port)
    client.loop_start()
    try:
        eventually(lambda: results)
        time.sleep(0.3)
    finally:
        client.disconnect()
        client.loop_stop()
    # the connection is accepted, but as client id "kiosk-1": the pager stays connected
    assert results == ["Success"]
    assert not any(e.state is LinkState.OFFLINE for e in victim_events[1:]), victim_events


def test_two_devices_with_one_id_are_reported_not_left_flapping_silently(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A cloned tablet (or a stale process) with the same id: say so loudly."""
    with caplog.at_level(logging.ERROR, logger="shared.mqtt_link"):
        _first, _, first_events = store.link("kiosk-2")
        _second, _, _ = store.link("kiosk-2", wait=False)
        eventually(lambda: "using the id 'kiosk-2'" in caplog.text, timeout=20)
    eventually(lambda: any("using the id" in e.detail for e in first_events), timeout=20)


def test_a_device_provisioned_while_the_broker_runs_can_connect_at_once(store: Store) -> None:
    """`calmdesk provision` asks the running broker to reload (SIGHUP): no restart, no outage."""
    result = calmdesk(
        store.settings.data_dir, "provision", "--device", "button-1", "--role", "kiosk"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the running broker reloaded" in result.stdout
    button, _, _ = store.link("button-1")
    alert = AlertRaised(store=store.store_id, device="button-1", level="security", counter="C1")
    topic = topics.kiosk_alert(store.store_id, "button-1")
    assert publish_and_wait(button, topic, encode(alert)).ok
    # the new ACL is in force too: the button may not speak as kiosk-1
    refused = publish_and_wait(button, topics.kiosk_alert(store.store_id, "kiosk-1"), encode(alert))
    assert not refused.ok


def test_provision_without_a_running_broker_says_the_hub_loads_it_at_start(store: Store) -> None:
    store.broker.stop()
    result = calmdesk(
        store.settings.data_dir, "provision", "--device", "button-2", "--role", "kiosk"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "`calmdesk hub` loads them when it starts" in result.stdout
