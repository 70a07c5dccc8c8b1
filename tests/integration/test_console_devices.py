"""Devices and settings from the console, on a provisioned store's files: provision with a
one-time password and QR code, rotate, revoke (the broker's password file follows), ladders
validated before saving, retention never under 5 years, and only this store's manager."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.mosquitto import read_password_hashes
from broker.provision import broker_files, provision_demo
from broker.registry import Registry
from console.accounts import add_user
from shared.settings import HubSettings
from tests.support.console import PASSWORD, app_client, csrf_of, database, sign_in


@pytest.fixture
def site(tmp_path: Path):  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "var"
    settings = HubSettings(data_dir=data_dir)
    provision_demo(settings, port=18830)
    url = settings.resolved_database_url()
    sessions = database(url)
    with sessions.begin() as session:
        add_user(
            session,
            "dana",
            display_name="Dana",
            role="store_manager",
            store="demo",
            password=PASSWORD,
        )
        add_user(
            session, "lee", display_name="Lee", role="safety_officer", store=None, password=PASSWORD
        )
    client = app_client(url, data_dir)
    yield client, settings
    client.close()


def post(client, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/devices").text)
    return client.post("/devices", data={"csrf_token": token, **data})


def test_provision_rotate_and_revoke_a_device(site) -> None:  # type: ignore[no-untyped-def]
    client, settings = site
    sign_in(client, "dana")
    page = post(
        client,
        {
            "action": "provision",
            "device": "kiosk-9",
            "role": "kiosk",
            "name": "Counter 9",
            "counter": "Counter 9",
        },
    )
    assert page.status_code == 200
    assert "Password (shown once)" in page.text and "<svg" in page.text
    hashes = read_password_hashes(broker_files(settings))
    first = hashes["kiosk-9"]
    assert post(client, {"action": "rotate", "device": "kiosk-9"}).status_code == 200
    assert read_password_hashes(broker_files(settings))["kiosk-9"] != first
    assert post(client, {"action": "revoke", "device": "kiosk-9"}).status_code == 200
    assert "kiosk-9" not in read_password_hashes(broker_files(settings))
    assert Registry.load(settings.registry_path).device("kiosk-9") is None
    assert not (settings.devices_dir / "kiosk-9.json").exists()


def test_ladders_are_validated_before_saving(site) -> None:  # type: ignore[no-untyped-def]
    client, settings = site
    sign_in(client, "dana")
    broken = '[[ladders.security.steps]]\nid = "only"\nafter_seconds = 10\n'
    refused = post(client, {"action": "ladders", "ladders": broken})
    assert refused.status_code == 400 and "call_for_help" in refused.text
    assert not (settings.data_dir / "policies" / "demo.toml").exists()
    good = broken + "call_for_help = true\n"
    assert post(client, {"action": "ladders", "ladders": good}).status_code == 200
    assert (settings.data_dir / "policies" / "demo.toml").read_text() == good


def test_retention_and_emergency_number_are_checked(site) -> None:  # type: ignore[no-untyped-def]
    client, settings = site
    sign_in(client, "dana")
    too_short = {
        "action": "retention",
        "incident_years": "2",
        "caution_days": "90",
        "presence_days": "30",
    }
    assert post(client, too_short).status_code == 400
    assert post(client, {**too_short, "incident_years": "7"}).status_code == 200
    assert post(client, {"action": "emergency", "emergency_number": "call 911!"}).status_code == 400
    assert post(client, {"action": "emergency", "emergency_number": "911"}).status_code == 200
    assert Registry.load(settings.registry_path).emergency_number == "911"


def test_only_this_stores_manager_changes_devices(site) -> None:  # type: ignore[no-untyped-def]
    client, _ = site
    sign_in(client, "lee")
    assert client.get("/devices").status_code == 200
    assert post(client, {"action": "revoke", "device": "kiosk-1"}).status_code == 403


def test_a_kiosk_is_refused_with_a_clear_error_while_the_store_has_no_emergency_number(
    site,
) -> None:  # type: ignore[no-untyped-def]
    client, settings = site
    registry = Registry.load(settings.registry_path)
    registry.emergency_number = ""
    registry.save(settings.registry_path)
    sign_in(client, "dana")
    kiosk = {"action": "provision", "device": "kiosk-9", "role": "kiosk", "counter": "Counter 9"}
    refused = post(client, kiosk)
    assert refused.status_code == 400 and "emergency number" in refused.text
    assert "kiosk-9" not in read_password_hashes(broker_files(settings))
    assert post(client, {"action": "emergency", "emergency_number": "911"}).status_code == 200
    assert post(client, kiosk).status_code == 200
    assert "kiosk-9" in read_password_hashes(broker_files(settings))
