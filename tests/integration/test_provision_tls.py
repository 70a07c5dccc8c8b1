"""Issue 9, case 14: `calmdesk provision --tls` makes the store CA and the broker certificate
itself, and every device receives the CA in its device file and connects over TLS."""

from __future__ import annotations

import stat
from pathlib import Path

from broker.mosquitto import free_port, wait_for_port
from broker.registry import Registry
from shared import topics
from shared.mqtt_link import BrokerAddress, LinkEvent, LinkState, MqttLink
from shared.protocol import AlertRaised, encode
from tests.support.cli import calmdesk
from tests.support.store import Store, eventually, publish_and_wait


def test_provision_tls_gives_every_device_the_ca_and_the_broker_a_verified_listener(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    password_before = store.device("kiosk-1").password
    tls_port = free_port()
    done = calmdesk(
        store.settings.data_dir, "provision", "--tls", "--tls-host", "localhost",
        "--tls-port", str(tls_port), "--tls-bind", "127.0.0.1",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    tls = store.broker.files.tls
    assert stat.S_IMODE(tls.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(tls.server_key.stat().st_mode) == 0o600

    kiosk = store.device("kiosk-1")
    assert kiosk.password == password_before  # devices keep their passwords
    assert kiosk.tls_ca_pem == tls.ca_cert.read_text()
    assert (kiosk.broker_host, kiosk.broker_port) == ("localhost", tls_port)
    hub = store.device("hub")
    assert hub.tls_ca_pem is None and hub.broker_port == store.port  # the hub stays on loopback
    assert Registry.load(store.settings.registry_path).tls_port == tls_port

    store.broker.start()
    try:
        assert wait_for_port("127.0.0.1", tls_port, 10), store.broker.log_tail()
        link = MqttLink(device_id="kiosk-1", password=kiosk.password, address=kiosk.address)
        link.start()
        assert link.wait_connected(10)
        alert = AlertRaised(store=store.store_id, device="kiosk-1", level="manager", counter="C")
        topic = topics.kiosk_alert(store.store_id, "kiosk-1")
        assert publish_and_wait(link, topic, encode(alert)).ok
        link.stop()

        # the certificate is for "localhost": a device that dials another name refuses it
        events: list[LinkEvent] = []
        wrong_name = MqttLink(
            device_id="kiosk-2",
            password=store.device("kiosk-2").password,
            address=BrokerAddress("127.0.0.1", tls_port, tls_ca_pem=kiosk.tls_ca_pem),
            on_link_event=events.append,
        )
        wrong_name.start()
        eventually(lambda: any(e.state is LinkState.OFFLINE for e in events), timeout=10)
        assert not wrong_name.connected
        wrong_name.stop()
    finally:
        store.close()

    again = calmdesk(store.settings.data_dir, "provision", "--tls")  # same CA kept
    assert again.returncode == 0, again.stderr
    assert store.device("kiosk-1").tls_ca_pem == kiosk.tls_ca_pem
