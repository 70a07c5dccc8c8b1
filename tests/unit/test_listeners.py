"""Which broker listeners count as exposed: off loopback and without TLS."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.listeners import check_listeners, listeners
from broker.mosquitto import BrokerFiles
from shared.settings import ConfigError


def _files(tmp_path: Path, generated: str, operator: str = "") -> BrokerFiles:
    files = BrokerFiles(tmp_path)
    files.operator_dir.mkdir(parents=True)
    files.config.write_text(generated)
    if operator:
        files.operator_dir.joinpath("x.conf").write_text(operator)
    return files


def test_loopback_and_tls_listeners_pass(tmp_path: Path) -> None:
    files = _files(
        tmp_path,
        "listener 1883 127.0.0.1\nmax_packet_size 1\n",
        "listener 8883 0.0.0.0\ncertfile /c\nkeyfile /k\nlistener 1884 ::1\n",
    )
    assert [(x.port, x.loopback, x.encrypted) for x in listeners(files)] == [
        ("1883", True, False),
        ("8883", False, True),
        ("1884", True, False),
    ]
    assert check_listeners(files, allow_plaintext=False) == []


@pytest.mark.parametrize(
    "operator",
    ["listener 1885\n", "listener 1885 192.168.1.10\n", "port 1885\n", "listener 1885 hub.lan\n"],
)
def test_plaintext_off_loopback_is_refused_unless_allowed(tmp_path: Path, operator: str) -> None:
    files = _files(tmp_path, "listener 1883 127.0.0.1\n", f"# LAN\n{operator}")
    with pytest.raises(ConfigError, match="port 1885"):
        check_listeners(files, allow_plaintext=False)
    assert [x.port for x in check_listeners(files, allow_plaintext=True)] == ["1885"]


def test_a_tls_option_on_another_listener_does_not_cover_this_one(tmp_path: Path) -> None:
    files = _files(tmp_path, "listener 8883 0.0.0.0\ncertfile /c\nlistener 1885 0.0.0.0\n")
    with pytest.raises(ConfigError, match="port 1885"):
        check_listeners(files, allow_plaintext=False)
