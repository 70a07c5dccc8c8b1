"""`calmdesk alert` builds its message and reads its device file without pydantic, for speed.

These check that the light path is not a weaker one: the same bytes as the protocol model for
any counter name, a payload `decode` accepts, the same files accepted and refused as
`DeviceConfig`, and that the command really does not load pydantic (the point of it all).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared.alert_command import alert_payload
from shared.device_file import read_device_file
from shared.errors import ConfigError
from shared.protocol import AlertRaised, decode, encode
from shared.settings import DeviceConfig

ROOT = Path(__file__).resolve().parents[2]

TRICKY_COUNTERS = [
    "Counter 1",
    'Schalter "Süd" \\ 2',
    "收银台 3",
    "Kasse 🛒",
    "  padded  ",
    "tab\there",
    "line\u2028separator",
    "\u00a0nbsp\u00a0",
    "ctrl\x01\x1f\x7f",
    "x" * 200,
    "é" * 200,
    "</script>&amp;",
]
ALPHABET = ' "\\/aZ09é收🛒\t\n\x00\x1c\u2028\u00a0\u200b\ufeff'


def random_counters(count: int) -> list[str]:
    chooser = random.Random(20261201)
    return [
        "".join(chooser.choice(ALPHABET) for _ in range(chooser.randint(1, 12)))
        for _ in range(count)
    ]


def model_bytes(**fields: object) -> bytes:
    return encode(AlertRaised(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("counter", TRICKY_COUNTERS + random_counters(300))
def test_light_payload_is_byte_identical_to_the_protocol_model(counter: str) -> None:
    fields = {
        "store": "demo",
        "device": "kiosk-1",
        "level": "security",
        "counter": counter,
        "silent": True,
        "drill": False,
        "event_id": uuid.uuid4(),
        "alert_id": uuid.uuid4(),
        "sent_at": datetime.now(UTC),
    }
    try:
        expected = model_bytes(**fields)
    except ValueError:  # the model refuses it (control characters): so must the light path
        with pytest.raises(ValueError):
            alert_payload(**fields)  # type: ignore[arg-type]
        return
    light = alert_payload(**fields)  # type: ignore[arg-type]
    assert light.payload == expected
    message = decode(light.payload)
    assert isinstance(message, AlertRaised)
    assert (message.event_id, message.alert_id) == (light.event_id, light.alert_id)


@pytest.mark.parametrize(
    "sent_at",
    [
        datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC),  # no microseconds: pydantic omits them
        datetime(2026, 12, 1, 9, 0, 0, 400000, tzinfo=UTC),
        datetime(2026, 12, 1, 9, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
@pytest.mark.parametrize("level", ["manager", "security"])
@pytest.mark.parametrize("flags", [(False, False), (True, True)])
def test_light_payload_times_levels_and_flags(
    sent_at: datetime, level: str, flags: tuple[bool, bool]
) -> None:
    silent, drill = flags
    fields = {
        "store": "store_9",
        "device": "panic-button",
        "level": level,
        "counter": "Counter 1",
        "silent": silent,
        "drill": drill,
        "event_id": uuid.uuid4(),
        "alert_id": uuid.uuid4(),
        "sent_at": sent_at,
    }
    assert alert_payload(**fields).payload == model_bytes(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [{"store": "Demo"}, {"device": "kiosk 1"}, {"device": ""}, {"level": "police"}],
)
def test_light_payload_refuses_what_the_model_refuses(bad: dict[str, str]) -> None:
    fields = {"store": "demo", "device": "kiosk-1", "level": "manager", "counter": "C"} | bad
    with pytest.raises(ValueError):
        alert_payload(**fields)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AlertRaised(**fields)  # type: ignore[arg-type]


GOOD_FILE = {
    "store": "demo",
    "device": "kiosk-1",
    "role": "kiosk",
    "display_name": "Counter 1",
    "counter": "Counter 1",
    "password": "p" * 24,
    "broker_host": "127.0.0.1",
    "broker_port": 18830,
    "tls_ca_file": None,
    "emergency_number": "112",
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"tls_ca_file": "/etc/calmdesk/ca.pem"},
        {"display_name": None},  # (removed below: optional fields may be absent)
        {"password": "short"},
        {"password": 1234567890123456789},
        {"store": "Bad Store"},
        {"role": "cashier"},
        {"broker_port": 0},
        {"broker_port": "1883"},
        {"broker_port": True},
        {"counter": "c" * 201},
        {"emergency_number": "9" * 41},
        {"surprise": 1},
        {"device": None},  # (removed below: a required field)
    ],
)
def test_device_file_reader_agrees_with_device_config(
    change: dict[str, object], tmp_path: Path
) -> None:
    content = GOOD_FILE | change
    for name, value in change.items():
        if value is None and name in ("display_name", "device"):
            del content[name]
    path = tmp_path / "kiosk-1.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    try:
        full = DeviceConfig.load(path)
    except ConfigError:
        with pytest.raises(ConfigError, match="field"):
            read_device_file(path)
        return
    light = read_device_file(path)
    for name in ("store", "device", "role", "password", "counter", "display_name"):
        assert getattr(light, name) == getattr(full, name)
    assert (light.broker_host, light.broker_port, light.tls_ca_file) == (
        full.broker_host,
        full.broker_port,
        full.tls_ca_file,
    )


def test_device_file_reader_names_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found; run `calmdesk provision"):
        read_device_file(tmp_path / "kiosk-9.json")
    broken = tmp_path / "kiosk-1.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_device_file(broken)


def test_the_alert_command_loads_neither_pydantic_nor_sqlalchemy_nor_kivy(
    tmp_path: Path,
) -> None:
    device_file = tmp_path / "kiosk-1.json"
    device_file.write_text(json.dumps(GOOD_FILE), encoding="utf-8")
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from shared import cli\n"
        "cli.build_parser('alert').parse_args(['alert', '--kiosk', 'k', '--level', 'manager'])\n"
        "from shared.alert_command import alert_payload\n"
        "from shared.device_file import read_device_file\n"
        f"config = read_device_file(Path({str(device_file)!r}))\n"
        "alert_payload(store=config.store, device=config.device, level='manager',"
        " counter=config.counter)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'pydantic', 'pydantic_settings', 'sqlalchemy', 'alembic', 'kivy'})\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
