"""Where a device's files live under a data dir, and a device file read without pydantic.

``shared.settings.DeviceConfig`` is the full model (and what ``calmdesk provision`` writes).
One-shot commands that must start fast (``calmdesk alert`` from a panic-button script) read
the same file here with the standard library only, for the ordinary case: the same fields within
the same limits. Anything else (a field missing, unknown or out of bounds) goes to
``DeviceConfig`` for the verdict, so both readers accept and refuse the same files and the
error is the same :class:`ConfigError`; ``tests/unit/test_quick_alert.py`` checks that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ConfigError
from shared.identifiers import ID_PATTERN

ROLES = ("kiosk", "manager", "security", "hub", "monitor")
_ID = re.compile(ID_PATTERN)


def devices_dir(data_dir: Path) -> Path:
    return data_dir / "devices"


def device_file_path(data_dir: Path, device: str) -> Path:
    return devices_dir(data_dir) / f"{device}.json"


def outbox_path(data_dir: Path, device: str) -> Path:
    return data_dir / "outbox" / f"{device}.db"


@dataclass(frozen=True, slots=True)
class DeviceFile:
    """The fields of a device file (see ``DeviceConfig`` for what each means)."""

    store: str
    device: str
    role: str
    password: str
    display_name: str = ""
    counter: str = ""
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    tls_ca_file: Path | None = None
    emergency_number: str = ""


Check = Callable[[object], object]


def _text(
    max_length: int | None = None, min_length: int = 0, pattern: re.Pattern[str] | None = None
) -> Check:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("Input should be a valid string")
        if len(value) < min_length:
            raise ValueError(f"String should have at least {min_length} characters")
        if max_length is not None and len(value) > max_length:
            raise ValueError(f"String should have at most {max_length} characters")
        if pattern is not None and not pattern.match(value):
            raise ValueError(f"String should match pattern '{pattern.pattern}'")
        return value

    return check


def _role(value: object) -> str:
    if value not in ROLES:
        raise ValueError(f"Input should be one of {', '.join(repr(r) for r in ROLES)}")
    return str(value)


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Input should be a valid integer")
    if not 1 <= value <= 65535:
        raise ValueError("Input should be between 1 and 65535")
    return value


def _optional_path(value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("Input should be a valid path")
    return Path(value)


_FIELDS: dict[str, Check] = {
    "store": _text(pattern=_ID),
    "device": _text(pattern=_ID),
    "role": _role,
    "display_name": _text(max_length=200),
    "counter": _text(max_length=200),
    "password": _text(min_length=16),
    "broker_host": _text(),
    "broker_port": _port,
    "tls_ca_file": _optional_path,
    "emergency_number": _text(max_length=40),
}
_REQUIRED = ("store", "device", "role", "password")


def read_device_file(path: Path) -> DeviceFile:
    """Read and check a device file; a ConfigError says what is wrong and how to fix it."""
    if not path.exists():
        hint = f"run `calmdesk provision --device {path.stem}`"
        raise ConfigError(f"{path}: file not found; {hint}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON (line {error.lineno}): {error.msg}") from None
    if not isinstance(raw, dict):
        return _read_with_the_full_model(path)
    values: dict[str, object] = {}
    try:
        for name in raw:
            if name not in _FIELDS:
                raise ValueError(f"field {name!r}: unknown field")
        for name, check in _FIELDS.items():
            if name in raw:
                values[name] = check(raw[name])
            elif name in _REQUIRED:
                raise ValueError(f"field {name!r}: Field required")
    except ValueError:
        return _read_with_the_full_model(path)
    return DeviceFile(**values)  # type: ignore[arg-type]


def _read_with_the_full_model(path: Path) -> DeviceFile:
    """Anything unusual is judged by ``DeviceConfig`` itself: the light reader never refuses
    a file the apps accept, and the error message is the apps' own."""
    from shared.settings import DeviceConfig

    full = DeviceConfig.load(path)
    return DeviceFile(**{name: getattr(full, name) for name in _FIELDS})
