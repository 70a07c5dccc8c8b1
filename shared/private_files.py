"""Files only their owner may read: databases, WAL files and outboxes hold incident notes,
caution text and queued alerts (issue 9, case 13).

Two layers. Every ``calmdesk`` process sets a ``077`` umask at start, so whatever it creates
(SQLite's ``-wal`` and ``-shm`` files, journals, logs) is private by default. And the database
and outbox files are created ``0600`` explicitly, for code that opens them outside the command
line; SQLite gives its ``-wal`` and ``-shm`` files the mode of their database file.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_MODE = 0o600


def private_umask() -> int:
    """Make files this process creates readable by its own user only; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; tighten it if it is wider."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_MODE)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE_MODE)
