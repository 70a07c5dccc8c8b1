"""Generated broker files: Mosquitto's own password format and a per-device ACL."""

from __future__ import annotations

import base64
from pathlib import Path

from broker.mosquitto import BrokerFiles, acl_lines, hash_password, write_broker_files
from broker.registry import Device, Registry


def test_password_hash_matches_mosquitto_passwd_format() -> None:
    salt = base64.b64decode("sGmlC7F7wZLsBaWD")
    # produced by `mosquitto_passwd -c -b pw alice secret` (Mosquitto 2.0.11)
    expected = (
        "$7$101$sGmlC7F7wZLsBaWD$1xy7aRZXR1mYaKThTHlTNWNtv502kvzpcI5h27ZjJvSlLIDo4SlU"
        "+SVG5OZVsT0BJr1VsAiwwoTO2gNxk201JQ=="
    )
    assert hash_password("secret", salt) == expected


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("same") != hash_password("same")


REGISTRY = Registry(
    store="s1",
    devices=[
        Device(id="hub", role="hub"),
        Device(id="kiosk-1", role="kiosk"),
        Device(id="pager-s1", role="security"),
        Device(id="console", role="monitor"),
    ],
)


def test_kiosk_writes_only_its_own_topics_and_never_reads_incidents() -> None:
    lines = acl_lines(REGISTRY, REGISTRY.devices[1])
    writes = [line.split()[-1] for line in lines if line.startswith("topic write")]
    assert writes and all("/kiosk/kiosk-1/" in topic for topic in writes)
    assert not any("incident" in line for line in lines if "read" in line)


def test_pager_writes_only_its_own_ack_and_status() -> None:
    lines = acl_lines(REGISTRY, REGISTRY.devices[2])
    writes = sorted(line.split()[-1] for line in lines if line.startswith("topic write"))
    assert writes == ["calmdesk/v1/s1/pager/pager-s1/ack", "calmdesk/v1/s1/pager/pager-s1/status"]


def test_console_is_read_only() -> None:
    assert not [line for line in acl_lines(REGISTRY, REGISTRY.devices[3]) if "write" in line]


def test_config_refuses_anonymous_and_pins_client_ids(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path / "mosquitto")
    hashes = {device.id: hash_password("x" * 20) for device in REGISTRY.devices}
    write_broker_files(files, REGISTRY, hashes, port=18830)
    config = files.config.read_text()
    assert "allow_anonymous false" in config
    listener_at = config.index("listener 18830")
    assert config.index("use_username_as_clientid true") > listener_at
    assert "autosave_on_changes true" in config
