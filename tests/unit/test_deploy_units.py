"""Issue 9, case 12: the systemd units run each service as its own user, hardened, with an
open-file limit above the default 1,024 and a private umask."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

UNITS = sorted((Path(__file__).resolve().parents[2] / "deploy" / "systemd").glob("*.service"))


def _service(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser["Service"]


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_unit_is_hardened_and_runs_as_a_dedicated_user(unit: Path) -> None:
    service = _service(unit)
    assert service.get("User") not in (None, "root")
    assert int(service["LimitNOFILE"]) >= 4096
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["UMask"] == "0077"
    assert service["Restart"] == "always"


def test_hub_unit_allows_thousands_of_connections() -> None:
    hub = next(u for u in UNITS if u.name == "calmdesk-hub.service")
    assert int(_service(hub)["LimitNOFILE"]) >= 65536
