"""A kiosk is only provisioned for a store that has an emergency number (staff phone it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broker.provision import ProvisionError, provision, provision_demo
from broker.registry import Device, Registry
from shared.settings import DeviceConfig, HubSettings, device_file
from tests.support.cli import calmdesk

KIOSK = Device(id="kiosk-9", role="kiosk", display_name="Counter 9", counter="Counter 9")


def test_a_kiosk_is_refused_while_the_store_has_no_emergency_number(tmp_path: Path) -> None:
    settings = HubSettings(data_dir=tmp_path / "var")
    registry = Registry(store="s9")
    with pytest.raises(ProvisionError) as refused:
        provision(settings, registry, [KIOSK])
    message = str(refused.value)
    assert "kiosk-9" in message and "no emergency number" in message
    assert "--emergency-number" in message
    # refused before anything was written: no device file, no registry, no broker files
    assert not device_file(settings, "kiosk-9").exists()
    assert not settings.registry_path.exists()
    assert not (settings.data_dir / "mosquitto").exists()


def test_a_pager_needs_no_emergency_number(tmp_path: Path) -> None:
    settings = HubSettings(data_dir=tmp_path / "var")
    pager = Device(id="pager-9", role="security", display_name="Sam")
    assert [p.device.id for p in provision(settings, Registry(store="s9"), [pager])] == ["pager-9"]


def test_the_kiosk_file_carries_the_stores_number(tmp_path: Path) -> None:
    settings = HubSettings(data_dir=tmp_path / "var")
    provision(settings, Registry(store="s9", emergency_number="911"), [KIOSK])
    assert DeviceConfig.load(device_file(settings, "kiosk-9")).emergency_number == "911"


def test_something_that_is_not_a_phone_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        Registry(store="s9", emergency_number="call the police")
    assert Registry(store="s9", emergency_number=" +44 (0)20 7946-0000 ").emergency_number == (
        "+44 (0)20 7946-0000"
    )


def test_the_demo_store_gets_a_demo_number_even_when_made_before_it_was_required(
    tmp_path: Path,
) -> None:
    settings = HubSettings(data_dir=tmp_path / "var")
    provision_demo(settings, port=1883)
    assert DeviceConfig.load(device_file(settings, "kiosk-1")).emergency_number == "112"
    # an older demo registry without a number is given one, and the kiosks their files again
    data = json.loads(settings.registry_path.read_text(encoding="utf-8"))
    data["emergency_number"] = ""
    settings.registry_path.write_text(json.dumps(data), encoding="utf-8")
    assert provision_demo(settings, port=1883)
    assert Registry.load(settings.registry_path).emergency_number == "112"


def test_the_command_refuses_with_a_clear_message_then_accepts_the_number(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    new_kiosk = ("provision", "--store", "s9", "--device", "kiosk-9", "--role", "kiosk")
    refused = calmdesk(data_dir, *new_kiosk)
    assert refused.returncode == 2
    assert "kiosk-9: store s9 has no emergency number" in refused.stderr
    assert not (data_dir / "devices" / "kiosk-9.json").exists()

    bad = calmdesk(data_dir, *new_kiosk, "--emergency-number", "nine-one-one")
    assert bad.returncode == 2 and "not a phone number" in bad.stderr

    done = calmdesk(data_dir, *new_kiosk, "--emergency-number", "911")
    assert done.returncode == 0, done.stderr
    assert DeviceConfig.load(data_dir / "devices" / "kiosk-9.json").emergency_number == "911"
