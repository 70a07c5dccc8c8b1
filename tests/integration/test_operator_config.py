"""Issue 9, case 14: provisioning never loses the operator's broker configuration, and a
listener that would carry passwords in clear text across the LAN is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from broker.mosquitto import free_port, wait_for_port
from broker.registry import Registry
from shared import topics
from shared.mqtt_link import BrokerAddress, MqttLink
from shared.protocol import AlertRaised, encode
from shared.settings import device_file
from tests.integration.test_tls import make_certificates
from tests.support.cli import calmdesk
from tests.support.store import Store, publish_and_wait

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _add_kiosk_3(store: Store):  # type: ignore[no-untyped-def]
    return calmdesk(
        store.settings.data_dir, "provision", "--device", "kiosk-3", "--role", "kiosk",
        "--counter", "Counter 3",
    )  # fmt: skip


@needs_openssl
def test_a_tls_listener_in_conf_d_survives_provisioning_and_serves_the_new_device(
    store: Store, tmp_path: Path
) -> None:
    ca, cert, key = make_certificates(tmp_path)
    tls_port = free_port()
    store.broker.files.operator_dir.joinpath("tls.conf").write_text(
        f"listener {tls_port} 127.0.0.1\nuse_username_as_clientid true\n"
        f"certfile {cert}\nkeyfile {key}\ncafile {ca}\n"
    )
    added = _add_kiosk_3(store)
    assert added.returncode == 0, added.stdout + added.stderr
    store.broker.stop()
    store.broker.start()
    assert wait_for_port("127.0.0.1", tls_port, 10), store.broker.log_tail()

    kiosk = store.device("kiosk-3")
    link = MqttLink(
        device_id="kiosk-3",
        password=kiosk.password,
        address=BrokerAddress("127.0.0.1", tls_port, tls_ca_file=ca),
    )
    link.start()
    try:
        assert link.wait_connected(10)
        alert = AlertRaised(store=store.store_id, device="kiosk-3", level="manager", counter="C")
        topic = topics.kiosk_alert(store.store_id, "kiosk-3")
        assert publish_and_wait(link, topic, encode(alert)).ok
    finally:
        link.stop()


def test_provisioning_refuses_to_overwrite_a_hand_edited_config(store: Store) -> None:
    config = store.broker.files.config
    config.write_text(config.read_text() + "\nlistener 8883 127.0.0.1\ncertfile /etc/x.crt\n")
    before = config.read_text()
    refused = _add_kiosk_3(store)
    assert refused.returncode == 2
    assert "edited by hand" in refused.stderr
    assert str(store.broker.files.operator_dir) in refused.stderr
    assert config.read_text() == before  # nothing lost
    assert Registry.load(store.settings.registry_path).device("kiosk-3") is None
    assert not device_file(store.settings, "kiosk-3").exists()  # refused whole, not half


def test_a_plaintext_listener_off_loopback_is_refused_before_the_broker_starts(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)  # provisioned, broker not started
    lan_port = free_port()
    store.broker.files.operator_dir.joinpath("lan.conf").write_text(
        f"listener {lan_port} 0.0.0.0\n"
    )
    hub = calmdesk(store.settings.data_dir, "hub", timeout=60)
    assert hub.returncode == 2
    assert "refusing a broker listener without TLS off loopback" in hub.stderr
    assert f"port {lan_port} on 0.0.0.0" in hub.stderr
    assert "--allow-plaintext-listener" in hub.stderr
    assert not wait_for_port("127.0.0.1", store.port, 0.5)  # nothing was started

    again = _add_kiosk_3(store)
    assert again.returncode == 2 and "without TLS" in again.stderr
    allowed = calmdesk(
        store.settings.data_dir, "provision", "--device", "kiosk-3", "--role", "kiosk",
        "--allow-plaintext-listener",
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    assert f"plaintext listener allowed off loopback: port {lan_port}" in allowed.stdout
