"""Cold start of the kiosk: process start → first frame of the home screen drawn.

Provisions a throwaway demo store (no broker needed: the kiosk starts offline and says so),
then runs ``python -m kiosk --device kiosk-1`` several times with
CALMDESK_EXIT_AFTER_FIRST_FRAME set; the app prints ``first_frame_s`` after the first
``on_flip`` and exits. Needs a display (run under xvfb-run).

    xvfb-run -a -s "-screen 0 1280x800x24 +extension GLX" .venv/bin/python bench/kiosk_cold_start.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


BARE_KIVY_APP = """
import os, sys, time
from kivy.app import App
from kivy.core.window import Window
from kivy.uix.label import Label

class Bare(App):
    def build(self):
        Window.bind(on_flip=self.first)
        return Label(text="hello")

    def first(self, *_):
        Window.unbind(on_flip=self.first)
        took = time.time() - float(os.environ["CALMDESK_BENCH_T0"])
        print(f"first_frame_s={took:.3f}", flush=True)
        self.stop()

Bare().run()
"""


def first_frame(command: list[str], env: dict[str, str]) -> float | None:
    env["CALMDESK_BENCH_T0"] = repr(time.time())
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    line = next((x for x in result.stdout.splitlines() if x.startswith("first_frame_s=")), None)
    if line is None:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
        return None
    return float(line.split("=", 1)[1])


def main(runs: int = 5) -> int:
    from broker.provision import provision_demo
    from shared.settings import HubSettings

    with tempfile.TemporaryDirectory(prefix="calmdesk-bench-") as tmp:
        settings = HubSettings(data_dir=Path(tmp) / "var", broker_port=1)
        provision_demo(settings, port=1)
        env = {
            **os.environ,
            "CALMDESK_EXIT_AFTER_FIRST_FRAME": "1",
            "KIVY_NO_CONSOLELOG": "1",
            "KIVY_NO_ARGS": "1",
            "KIVY_HOME": str(Path(tmp) / "kivy"),
            "PYTHONPATH": str(ROOT),
        }
        kiosk = [
            sys.executable,
            "-m",
            "kiosk",
            "--device",
            "kiosk-1",
            "--data-dir",
            str(settings.data_dir),
        ]
        bare_app = Path(tmp) / "bare_app.py"  # Kivy's App wants a source file, not -c
        bare_app.write_text(BARE_KIVY_APP, encoding="utf-8")
        bare = [sys.executable, str(bare_app)]
        figures, baseline = [], []
        for _ in range(runs):  # interleaved, so both see the same machine load
            for command, into in ((bare, baseline), (kiosk, figures)):
                value = first_frame(command, dict(env))
                if value is None:
                    return 1
                into.append(value)
    print(
        f"baseline: bare Kivy app (one Label) to first frame over {runs} runs: "
        f"median {statistics.median(baseline):.2f} s, min {min(baseline):.2f} s, "
        f"max {max(baseline):.2f} s"
    )
    print(
        f"kiosk cold start to first home frame over {runs} runs: "
        f"median {statistics.median(figures):.2f} s, min {min(figures):.2f} s, "
        f"max {max(figures):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
