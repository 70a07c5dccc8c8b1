"""Refuse a broker listener that would carry passwords in clear text across the store LAN.

Device passwords travel in the MQTT CONNECT packet. On loopback that is fine (only the hub
machine sees it); on any other address it needs TLS. We read the generated ``mosquitto.conf``
and the operator's ``conf.d/*.conf`` the way Mosquitto groups them (a ``listener`` line opens
a block that runs to the next one) and refuse a non-loopback block without ``certfile`` or
``psk_hint``, unless the operator explicitly allowed it (``--allow-plaintext-listener``, or
``CALMDESK_ALLOW_PLAINTEXT_LISTENER=1``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from broker.mosquitto import BrokerFiles
from shared.settings import ConfigError

_SECURE_KEYS = {"certfile", "psk_hint"}


@dataclass
class Listener:
    source: str
    port: str
    address: str | None  # None: every interface
    options: set[str] = field(default_factory=set)

    @property
    def loopback(self) -> bool:
        if self.address is None:
            return False
        if self.address.startswith("/") or self.address == "localhost":
            return True  # a unix socket, or the loopback name
        try:
            return ipaddress.ip_address(self.address).is_loopback
        except ValueError:
            return False  # a host name or interface: assume it faces the network

    @property
    def encrypted(self) -> bool:
        return bool(self.options & _SECURE_KEYS)


def listeners(files: BrokerFiles) -> list[Listener]:
    """Every listener block of the generated config and of ``conf.d/*.conf``."""
    sources = [files.config]
    if files.operator_dir.is_dir():
        sources += sorted(files.operator_dir.glob("*.conf"))
    found: list[Listener] = []
    for source in sources:
        if not source.exists():
            continue
        current: Listener | None = None
        for raw in source.read_text(encoding="utf-8", errors="replace").splitlines():
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            key = words[0]
            if key == "listener" and len(words) >= 2:
                address = words[2] if len(words) >= 3 else None
                current = Listener(str(source), words[1], address)
                found.append(current)
            elif key == "port" and len(words) >= 2:  # the old default listener: all interfaces
                current = Listener(str(source), words[1], None)
                found.append(current)
            elif current is not None:
                current.options.add(key)
    return found


def check_listeners(files: BrokerFiles, *, allow_plaintext: bool) -> list[Listener]:
    """Raise ConfigError for a plaintext listener off loopback; return the ones allowed anyway."""
    exposed = [item for item in listeners(files) if not item.loopback and not item.encrypted]
    if exposed and not allow_plaintext:
        where = ", ".join(f"port {i.port} on {i.address or 'every interface'} ({i.source})"
                          for i in exposed)
        raise ConfigError(
            f"refusing a broker listener without TLS off loopback: {where}. Device passwords "
            "would cross the network in clear text. Add certfile/keyfile to that listener "
            "(see deploy/mosquitto-tls.conf.example), bind it to 127.0.0.1, or, on a network "
            "you trust, pass --allow-plaintext-listener"
        )
    return exposed
