"""Store administration from the console, on the hub's own files: provision, rotate and revoke
devices (the running broker reloads at once), the emergency number, escalation ladders
(validated before saving) and retention. Plain Python; the page only calls these."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import segno
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from broker.mosquitto import read_password_hashes, reload_broker, write_broker_files
from broker.provision import Provisioned, ProvisionError, broker_files, provision
from broker.registry import Device, Registry, check_emergency_number
from console.queries.retention import Retention
from shared.alerts.policy import PolicyError, load_policy
from shared.settings import HubSettings, device_file

RETENTION_FILE = "console-retention.json"


class AdminError(ValueError):
    """A change that cannot be made; the message says why."""


def _settings(data_dir: Path) -> HubSettings:
    return HubSettings(data_dir=data_dir)


def load_registry(data_dir: Path) -> Registry:
    return Registry.load(_settings(data_dir).registry_path)


def provision_device(
    data_dir: Path, device_id: str, role: str, name: str, counter: str
) -> Provisioned:
    """Add a device, or give an existing one a new password; the broker reloads its files."""
    settings = _settings(data_dir)
    registry = load_registry(data_dir)
    existing = registry.device(device_id)
    try:
        device = Device(
            id=device_id,
            role=role or (existing.role if existing else ""),  # type: ignore[arg-type]
            display_name=name or (existing.display_name if existing else ""),
            counter=counter or (existing.counter if existing else ""),
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise AdminError(f"{first['loc'][0]}: {first['msg']}") from None
    if device.role == "hub":
        raise AdminError("the hub's own credentials are rotated on the hub (calmdesk provision)")
    try:
        [done] = provision(settings, registry, [device])
    except ProvisionError as error:
        raise AdminError(str(error)) from None
    reload_broker(broker_files(settings))
    return done


def revoke_device(data_dir: Path, device_id: str) -> None:
    """Remove a device: its broker password and ACL lines go, its device file is deleted."""
    settings = _settings(data_dir)
    registry = load_registry(data_dir)
    device = registry.device(device_id)
    if device is None:
        raise AdminError(f"there is no device {device_id!r}")
    if device.role == "hub":
        raise AdminError("the hub cannot be revoked from its own console")
    registry.devices = [d for d in registry.devices if d.id != device_id]
    registry.save(settings.registry_path)
    files = broker_files(settings)
    hashes = read_password_hashes(files)
    hashes.pop(device_id, None)
    write_broker_files(files, registry, hashes)
    device_file(settings, device_id).unlink(missing_ok=True)
    reload_broker(files)


def device_file_qr(path: Path) -> str:
    """An SVG QR code of a device file, for a tablet to scan instead of copying files."""
    qr = segno.make(path.read_text(encoding="utf-8"), error="m")
    return qr.svg_inline(scale=3, dark="#000000", light="#ffffff")


def set_emergency_number(data_dir: Path, number: str) -> None:
    registry = load_registry(data_dir)
    try:
        registry.emergency_number = check_emergency_number(number)
        Registry.model_validate(registry.model_dump())
    except ValueError as error:  # pydantic's ValidationError is a ValueError too
        raise AdminError(str(error).splitlines()[0]) from None
    registry.save(_settings(data_dir).registry_path)


def ladder_file(data_dir: Path, store: str) -> Path:
    return data_dir / "policies" / f"{store}.toml"


def save_ladders(data_dir: Path, store: str, text: str) -> None:
    """Validate the store's override (merged over the defaults) before it replaces the old one.
    The hub reads it when it starts."""
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / f"{store}.toml"
        candidate.write_text(text, encoding="utf-8")
        try:
            load_policy(candidate)
        except PolicyError as error:
            raise AdminError(str(error).replace(str(candidate), "the ladders")) from None
    target = ladder_file(data_dir, store)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_years: int = Field(default=5, ge=5, le=50)
    """SB 553 asks for 5 years: never less."""
    caution_days: int = Field(default=90, ge=1, le=3650)
    presence_days: int = Field(default=30, ge=1, le=3650)


def load_retention(data_dir: Path) -> Retention:
    path = data_dir / RETENTION_FILE
    if not path.exists():
        return Retention()
    try:
        saved = RetentionSettings.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError):
        return Retention()
    return Retention(**saved.model_dump())


def save_retention(data_dir: Path, **values: str) -> Retention:
    try:
        saved = RetentionSettings.model_validate({k: int(v) for k, v in values.items()})
    except (ValueError, ValidationError) as error:
        message = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise AdminError(f"retention: {message}") from None
    path = data_dir / RETENTION_FILE
    path.write_text(saved.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return Retention(**saved.model_dump())
