"""Provisioning: create devices with their own passwords and regenerate the broker's files.

A password is generated per device, stored only hashed in Mosquitto's password file and in
the device's own connection file (``var/devices/<id>.json``, mode 600, to be copied onto that
device), and printed once. Nothing here is ever committed: ``var/`` is git-ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from broker.mosquitto import (
    BrokerFiles,
    ensure_not_hand_edited,
    hash_password,
    new_password,
    read_password_hashes,
    write_broker_files,
)
from broker.registry import Device, Registry
from broker.tls import ensure_store_ca, issue_server_certificate
from shared.settings import DeviceConfig, HubSettings, device_file

DEMO_STORE = "demo"
DEMO_DEVICES = (
    Device(id="hub", role="hub", display_name="Store hub"),
    Device(id="kiosk-1", role="kiosk", display_name="Counter 1", counter="Counter 1"),
    Device(id="kiosk-2", role="kiosk", display_name="Counter 2", counter="Counter 2"),
    Device(id="pager-m1", role="manager", display_name="Alex"),
    Device(id="pager-m2", role="manager", display_name="Robin"),
    Device(id="pager-s1", role="security", display_name="Sam"),
    Device(id="pager-s2", role="security", display_name="Kim"),
    Device(id="console", role="monitor", display_name="Console"),
)


DEMO_EMERGENCY_NUMBER = "112"


class ProvisionError(ValueError):
    """Provisioning refused before anything was written; the message says how to fix it."""


def require_emergency_number(registry: Registry, devices: list[Device]) -> None:
    """A kiosk tells staff to phone the emergency number: refuse one while the store has none."""
    kiosks = [d.id for d in devices if d.role == "kiosk"]
    if kiosks and not registry.emergency_number:
        raise ProvisionError(
            f"{kiosks[0]}: store {registry.store} has no emergency number, and a kiosk shows it "
            "whenever a step says to phone for help; give the local number for police, fire "
            f"and ambulance once, e.g. `calmdesk provision --device {kiosks[0]} --role kiosk "
            "--emergency-number 911` (112 in the EU, 000 in Australia)"
        )


@dataclass(frozen=True)
class Provisioned:
    device: Device
    password: str
    file: Path


def broker_files(settings: HubSettings) -> BrokerFiles:
    return BrokerFiles(settings.data_dir / "mosquitto")


def provision(
    settings: HubSettings,
    registry: Registry,
    devices: list[Device],
) -> list[Provisioned]:
    """Give each device a new password and file; regenerate the broker's files.

    Raises ProvisionError (nothing written) for a kiosk while the store has no emergency number.
    """
    require_emergency_number(registry, devices)
    files = broker_files(settings)
    ensure_not_hand_edited(files)  # before anything is written: refuse whole, not half
    hashes = read_password_hashes(files)
    done = []
    for device in devices:
        registry.upsert(device)
        password = new_password()
        hashes[device.id] = hash_password(password)
        config = DeviceConfig(
            store=registry.store,
            device=device.id,
            role=device.role,
            display_name=device.display_name,
            counter=device.counter,
            password=password,
            emergency_number=registry.emergency_number,
            **_connection(registry, files, device),
        )
        path = device_file(settings, device.id)
        config.save(path)
        done.append(Provisioned(device, password, path))
    registry.save(settings.registry_path)
    write_broker_files(files, registry, hashes)
    return done


def _connection(registry: Registry, files: BrokerFiles, device: Device) -> dict[str, object]:
    """Where a device connects: the hub over loopback; the others over TLS once provisioned."""
    if registry.tls_port is None or device.role == "hub":
        return {"broker_host": registry.broker_host, "broker_port": registry.broker_port}
    return {
        "broker_host": registry.tls_hosts[0],
        "broker_port": registry.tls_port,
        "tls_ca_pem": files.tls.ca_pem(),
    }


def enable_tls(
    settings: HubSettings, registry: Registry, *, hosts: list[str], port: int, bind: str
) -> list[Path]:
    """Make the store CA (once) and a server certificate for ``hosts``, add the TLS listener,
    and move every device but the hub onto it: their files get the CA and the new address and
    keep their passwords. Returns the device files rewritten."""
    files = broker_files(settings)
    ensure_not_hand_edited(files)
    ensure_store_ca(files.tls, registry.store)
    issue_server_certificate(files.tls, hosts)
    registry.tls_port, registry.tls_bind, registry.tls_hosts = port, bind, list(hosts)
    rewritten = []
    for device in registry.devices:
        path = device_file(settings, device.id)
        if not path.exists():
            continue
        config = DeviceConfig.load(path)
        config.model_copy(update=_connection(registry, files, device)).save(path)
        rewritten.append(path)
    registry.save(settings.registry_path)
    write_broker_files(files, registry, read_password_hashes(files))
    return rewritten


def provision_demo(settings: HubSettings, port: int = 1883) -> list[Provisioned]:
    """A whole demo store; safe to run again (it keeps existing passwords)."""
    if settings.registry_path.exists():
        registry = Registry.load(settings.registry_path)
        missing = [
            d
            for d in DEMO_DEVICES
            if registry.device(d.id) is None or not device_file(settings, d.id).exists()
        ]
        if registry.broker_port != port:
            registry.broker_port = port
            missing = list(DEMO_DEVICES)  # every device file names the port
        if not registry.emergency_number:  # a demo store from before the number was required
            registry.emergency_number = DEMO_EMERGENCY_NUMBER
            missing = list(DEMO_DEVICES)  # every device file carries the number
        return provision(settings, registry, missing) if missing else []
    registry = Registry(
        store=DEMO_STORE,
        store_name="Demo store",
        emergency_number=DEMO_EMERGENCY_NUMBER,
        broker_port=port,
    )
    return provision(settings, registry, list(DEMO_DEVICES))
