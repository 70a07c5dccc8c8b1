"""An append-only file of lines, each fsynced before it counts, for small on-device journals.

The kiosk's alert journal and the pager's alert journal keep their own record formats and
error handling; this is the part they share: durable appends, a tolerant read, and an atomic
rewrite that drops bad lines so the next append starts on a clean line. Errors are raised as
``OSError`` for the caller to log in its own words.
"""

from __future__ import annotations

import os
from pathlib import Path


class DurableLines:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, line: bytes, *, fresh: bool = False) -> None:
        """Write one line (``fresh``: as the whole new content) and fsync it."""
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("wb" if fresh else "ab") as file:
            file.write(line if line.endswith(b"\n") else line + b"\n")
            file.flush()
            os.fsync(file.fileno())
        if created:
            fsync_dir(self.path.parent)

    def read(self) -> tuple[list[tuple[int, bytes]], bool] | None:
        """The non-empty lines with their 1-based numbers, and whether the file ends cleanly
        (False: a cut-off last line, as a power cut leaves it). None if there is no file."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        lines = [
            (number, line) for number, line in enumerate(raw.split(b"\n"), start=1) if line.strip()
        ]
        return lines, not raw or raw.endswith(b"\n")

    def rewrite(self, lines: list[bytes]) -> None:
        """Replace the content with ``lines``, atomically."""
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("wb") as file:
            file.write(b"".join(line + b"\n" for line in lines))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        fsync_dir(self.path.parent)

    def remove(self) -> None:
        if self.path.exists():
            self.path.unlink()
            fsync_dir(self.path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a created, replaced or removed file name durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
