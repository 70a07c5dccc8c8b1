"""The hub's per-device intake sessions (broker/intake.py): a device provisioned while the hub
runs is read at once, and an intake login reads its one device and writes nothing."""

from __future__ import annotations

import threading

from broker.commands import StoreServices, supervise
from broker.intake import intake_user
from shared import topics
from shared.mqtt_link import MqttLink
from shared.protocol import AlertRaised, encode
from tests.support.cli import calmdesk
from tests.support.faults import recorded_counts
from tests.support.store import Inbox, Store, eventually, publish_and_wait


def test_a_device_provisioned_while_the_hub_runs_is_recorded(store: Store) -> None:
    services = StoreServices(store.settings, with_broker=False)
    services.start()
    stop = threading.Event()
    watcher = threading.Thread(target=supervise, args=(services, stop, 0.1))
    watcher.start()
    try:
        added = calmdesk(
            store.settings.data_dir, "provision", "--device", "kiosk-3", "--role", "kiosk"
        )
        assert added.returncode == 0, added.stderr
        assert services.hub.intake is not None
        eventually(lambda: services.hub.intake.link_for(  # type: ignore[union-attr]
            topics.kiosk_alert(store.store_id, "kiosk-3")) is not None, timeout=10)
        link, _, _ = store.link("kiosk-3")
        alert = AlertRaised(store=store.store_id, device="kiosk-3", level="manager", counter="C")
        topic = topics.kiosk_alert(store.store_id, "kiosk-3")
        database = store.settings.resolved_database_url()

        def recorded() -> bool:
            publish_and_wait(link, topic, encode(alert))  # again until the session is in place
            return recorded_counts(database, [alert.event_id])[0] == 1

        eventually(recorded, timeout=20, interval=0.5)
    finally:
        stop.set()
        watcher.join(5)
        services.stop()


def test_an_intake_login_reads_one_device_and_writes_nothing(store: Store) -> None:
    sid = store.store_id
    hub = store.device("hub")
    inbox = Inbox()
    intake = MqttLink(
        device_id=intake_user("hub", "kiosk-1"),
        password=hub.password,
        address=hub.address,
        subscriptions=[topics.everything(sid)],
        on_received=inbox,
    )
    intake.start()
    try:
        assert intake.wait_subscribed(10)
        kiosk_2, _, _ = store.link("kiosk-2")
        other = AlertRaised(store=sid, device="kiosk-2", level="manager", counter="C")
        assert publish_and_wait(kiosk_2, topics.kiosk_alert(sid, "kiosk-2"), encode(other)).ok
        kiosk_1, _, _ = store.link("kiosk-1")
        own = AlertRaised(store=sid, device="kiosk-1", level="manager", counter="C")
        assert publish_and_wait(kiosk_1, topics.kiosk_alert(sid, "kiosk-1"), encode(own)).ok
        got = inbox.get(where=lambda r: b"alert_raised" in r.payload)
        assert got.topic == topics.kiosk_alert(sid, "kiosk-1")
        assert all("kiosk-2" not in r.topic for r in inbox.drain(0.5))
        forged = publish_and_wait(intake, topics.kiosk_alert(sid, "kiosk-1"), encode(own))
        assert not forged.ok and forged.reason == "Not authorized"
    finally:
        intake.stop()
