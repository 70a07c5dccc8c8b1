"""Settings: where the hub keeps its files, and a device's connection file.

A device (kiosk, pager, hub) is configured by one JSON file that ``calmdesk provision`` writes:
its id, role, store and password, and where the broker is. A broken or missing file gives an
error that names the file, the field and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import device_file as layout
from shared.errors import ConfigError
from shared.mqtt_link import BrokerAddress
from shared.protocol import DeviceRole, Identifier

__all__ = ["ConfigError", "DeviceConfig", "HubSettings", "device_file", "load_json_model"]

M = TypeVar("M", bound=BaseModel)


class HubSettings(BaseSettings):
    """Hub-side settings from the environment (``CALMDESK_*``) with sensible defaults."""

    model_config = SettingsConfigDict(env_prefix="CALMDESK_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    allow_plaintext_listener: bool = False  # a broker listener off loopback without TLS
    central_url: str | None = None
    """The chain's central PostgreSQL (CALMDESK_CENTRAL_URL); unset: this store stands alone."""

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'calmdesk.db').resolve()}"

    @property
    def devices_dir(self) -> Path:
        return layout.devices_dir(self.data_dir)

    @property
    def registry_path(self) -> Path:
        return self.data_dir / "registry.json"


class DeviceConfig(BaseModel):
    """Everything one device needs to join its store's broker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: Identifier
    device: Identifier
    role: DeviceRole
    display_name: str = Field(default="", max_length=200)
    counter: str = Field(default="", max_length=200)
    password: str = Field(min_length=16)
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=1883, ge=1, le=65535)
    tls_ca_file: Path | None = None
    emergency_number: str = Field(default="", max_length=40)
    tls_ca_pem: str | None = None  # the store CA (`calmdesk provision --tls`)

    @property
    def kind(self) -> Literal["kiosk", "pager", "hub"]:
        if self.role == "kiosk":
            return "kiosk"
        if self.role == "hub":
            return "hub"
        return "pager"

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress(
            self.broker_host, self.broker_port, self.tls_ca_file, tls_ca_pem=self.tls_ca_pem
        )

    def outbox_path(self, data_dir: Path) -> Path:
        return layout.outbox_path(data_dir, self.device)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)  # it holds a password
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> DeviceConfig:
        return load_json_model(
            cls, path, missing_hint=f"run `calmdesk provision --device {path.stem}`"
        )


def load_json_model(model: type[M], path: Path, *, missing_hint: str) -> M:
    """Load and validate a JSON file, turning every failure into one ConfigError."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found; {missing_hint}")
    try:
        return model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON (line {error.lineno}): {error.msg}") from None
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise ConfigError(f"{path}: field {field!r}: {first['msg']}; fix the file") from None


def device_file(settings: HubSettings, device: str) -> Path:
    return layout.device_file_path(settings.data_dir, device)
