"""The store's device registry: which devices exist and what each may do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.protocol import DeviceKind, DeviceRole, Identifier, Roster, RosterEntry
from shared.settings import ConfigError, load_json_model

_PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ()-]{0,18}[0-9]$")


def check_emergency_number(number: str) -> str:
    """The store's emergency number, stripped, or ValueError (digits, spaces, + - ( ) only).

    "" is allowed in the registry (a store with no kiosk yet); ``provision`` refuses a kiosk
    until the number is set.
    """
    number = number.strip()
    if number and not _PHONE_NUMBER.match(number):
        raise ValueError(
            f"emergency number {number!r} is not a phone number: use digits, spaces, "
            "+ - ( ) only, e.g. 911, 112 or 000"
        )
    return number


class Device(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    role: DeviceRole
    display_name: str = Field(default="", max_length=200)
    counter: str = Field(default="", max_length=200)


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: Identifier
    store_name: str = ""
    emergency_number: Annotated[str, AfterValidator(check_emergency_number)] = Field(
        default="", max_length=40
    )
    """What staff phone in an emergency (police, fire, ambulance); required for kiosks."""
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=1883, ge=1, le=65535)
    devices: list[Device] = Field(default_factory=list)
    # `calmdesk provision --tls`: devices connect over TLS on this port, to one of these names
    tls_port: int | None = Field(default=None, ge=1, le=65535)
    tls_bind: str = "0.0.0.0"  # noqa: S104 (the store LAN's listener, TLS only)
    tls_hosts: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Registry:
        seen: set[str] = set()
        for device in self.devices:
            if device.id in seen:
                raise ValueError(f"device id {device.id!r} appears twice")
            seen.add(device.id)
        return self

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def upsert(self, device: Device) -> None:
        self.devices = [d for d in self.devices if d.id != device.id] + [device]

    def by_role(self, role: DeviceRole) -> list[Device]:
        return [d for d in self.devices if d.role == role]

    @property
    def hub(self) -> Device:
        hubs = self.by_role("hub")
        if not hubs:
            raise ConfigError(f"store {self.store}: no hub device in the registry")
        return hubs[0]

    def roster(self, hub: str) -> Roster:
        """What the hub publishes (retained) so every device judges others by the registry."""
        entries = [
            RosterEntry(
                id=d.id,
                kind=kind_of(d.role),
                role=d.role,
                display_name=d.display_name,
                counter=d.counter,
            )
            for d in self.devices
        ]
        return Roster(store=self.store, device=hub, devices=entries)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Registry:
        return load_json_model(cls, path, missing_hint="run `calmdesk provision --demo` first")


def kind_of(role: DeviceRole) -> DeviceKind:
    """The topic subtree a role publishes under (a monitor reads only, like a pager)."""
    if role in ("kiosk", "hub"):
        return role  # type: ignore[return-value]
    return "pager"
