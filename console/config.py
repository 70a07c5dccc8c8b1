"""Console settings: which database, where the store's files are, and the store's policies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.settings import HubSettings


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str
    data_dir: Path
    secure_cookies: bool = True
    """Cookies carry Secure; browsers accept that on loopback http and on https."""
    refresh_seconds: float = 2.0
    """How often the live board asks for news."""
    hq: bool = False
    """Head office: migrate the central schema too. Without it, HQ mode is still chosen when
    the database has the central tables (see console.hq)."""

    @classmethod
    def from_hub(cls, data_dir: Path, database_url: str | None = None) -> ConsoleSettings:
        hub = HubSettings(
            data_dir=data_dir, **({"database_url": database_url} if database_url else {})
        )
        return cls(database_url=hub.resolved_database_url(), data_dir=data_dir)
