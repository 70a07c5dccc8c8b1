"""The MQTT link's optional TLS, against a real Mosquitto TLS listener with a test CA."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from broker.mosquitto import free_port, wait_for_port
from shared import topics
from shared.mqtt_link import BrokerAddress, LinkEvent, LinkState, MqttLink
from shared.protocol import AlertRaised, encode
from tests.support.store import Store, eventually, publish_and_wait

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=CalmDesk test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "broker.key",
        "-out",
        "broker.csr",
    )
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "broker.crt",
    )
    for name in ("ca.crt", "broker.crt", "broker.key"):
        (folder / name).chmod(0o644)
    return folder / "ca.crt", folder / "broker.crt", folder / "broker.key"


def test_device_connects_and_publishes_over_tls_with_a_verified_certificate(
    store: Store, tmp_path: Path
) -> None:
    ca, cert, key = make_certificates(tmp_path)
    tls_port = free_port()
    config = store.broker.files.config
    config.write_text(
        config.read_text() + f"\nlistener {tls_port} 127.0.0.1\nuse_username_as_clientid true\n"
        f"certfile {cert}\nkeyfile {key}\ncafile {ca}\ntls_version tlsv1.2\n"
    )
    store.broker.stop()
    store.broker.start()
    assert wait_for_port("127.0.0.1", tls_port, 10)

    kiosk = store.device("kiosk-1")
    link = MqttLink(
        device_id="kiosk-1",
        password=kiosk.password,
        address=BrokerAddress("127.0.0.1", tls_port, tls_ca_file=ca),
    )
    link.start()
    try:
        assert link.wait_connected(10)
        alert = AlertRaised(store=store.store_id, device="kiosk-1", level="manager", counter="C")
        outcome = publish_and_wait(
            link, topics.kiosk_alert(store.store_id, "kiosk-1"), encode(alert)
        )
        assert outcome.ok
    finally:
        link.stop()


def test_a_broker_certificate_from_another_ca_is_refused(store: Store, tmp_path: Path) -> None:
    ca, cert, key = make_certificates(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    other_ca, _, _ = make_certificates(other)
    tls_port = free_port()
    config = store.broker.files.config
    config.write_text(
        config.read_text()
        + f"\nlistener {tls_port} 127.0.0.1\ncertfile {cert}\nkeyfile {key}\ncafile {ca}\n"
    )
    store.broker.stop()
    store.broker.start()
    events: list[LinkEvent] = []
    link = MqttLink(
        device_id="kiosk-1",
        password=store.device("kiosk-1").password,
        address=BrokerAddress("127.0.0.1", tls_port, tls_ca_file=other_ca),
        on_link_event=events.append,
    )
    link.start()
    try:
        eventually(lambda: any(e.state is LinkState.OFFLINE for e in events), timeout=10)
        assert not link.connected
    finally:
        link.stop()
