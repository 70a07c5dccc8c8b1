"""Every bench runs, in a tiny mode, so none of them rots. Speed is not checked here (the
figures are in docs/PERFORMANCE.md); what a bench checks for correctness is: nothing lost,
nothing recorded twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # about a minute and a half on the loaded development machine


def bench(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_pubsub_latency_and_alert_to_watch() -> None:
    assert "CalmDesk kiosk send -> hub commit" in bench("bench.pubsub_latency", "5")
    assert "calmdesk alert → line in calmdesk watch" in bench("bench.alert_to_watch", "2")


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_hub_ingest(database: str) -> None:
    out = bench("bench.hub_ingest", "--events", "60", "--kiosks", "2", "--databases", database)
    assert f"[{database}] recorded exactly once: missing 0, duplicates 0" in out


def test_store_load() -> None:
    out = bench("bench.store_load", "--seconds", "3", "--rate", "4")
    assert "alerts 12 × pagers 50: lost 0, duplicated 0" in out
    assert "acknowledgements 24: lost 0, duplicated 0" in out


@pytest.mark.ui
def test_display_benches() -> None:
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display (run under xvfb-run)")
    out = bench("bench.tap_feedback", "4")
    assert "kiosk Security touch → alert status frame drawn  n=    4" in out
    assert "kiosk cold start" in bench("bench.kiosk_cold_start", "1")
    assert "kiosk Security touch -> pager ring" in bench("bench.tap_to_ring", env={"ROUNDS": "1"})
