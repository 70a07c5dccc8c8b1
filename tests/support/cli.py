"""Run the `calmdesk` command line as a user would: a separate process on a store's data dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def calmdesk(data_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``calmdesk ARGS --data-dir DATA_DIR``; output captured as text, never raises on failure."""
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
