"""`calmdesk alert` → the line in `calmdesk watch`, against mosquitto_pub → mosquitto_sub.

Both pairs are command-line tools run the way a person or a hardware panic button would run
them, on one real Mosquitto with the generated config and ACL:

1. baseline: ``mosquitto_pub`` (QoS 1, MQTT v5, as kiosk-1) until ``mosquitto_sub`` (as the
   console) prints the payload;
2. CalmDesk: ``python -m shared.cli alert --kiosk kiosk-1 --level manager`` until the running
   ``calmdesk watch`` prints "MANAGER NEEDED …". Split into the command's own start-up (until
   it prints "delivered", i.e. the broker's PUBACK) and the total.

Each sample is a fresh process, as in real use, so interpreter start-up and imports are part
of the figure. Run: ``.venv/bin/python -m bench.alert_to_watch [N]``.
"""

from __future__ import annotations

import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.support import env_note
from shared import topics
from tests.support.store import Store, running_store

ROOT = Path(__file__).resolve().parents[1]


class LineReader:
    """Timestamps every line a long-running process prints (read on its own thread)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))

    def wait_for(self, wanted: Callable[[str], bool], timeout: float = 15.0) -> float:
        deadline = time.monotonic() + timeout
        while True:
            stamp, line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            if wanted(line):
                return stamp


def children_cpu_ms() -> float:
    """CPU time (user + system) of every child process reaped so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def summary(name: str, samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    return (
        f"{name:44} n={len(ordered):3}  median {statistics.median(ordered):7.1f} ms  "
        f"min {ordered[0]:7.1f} ms  max {ordered[-1]:7.1f} ms"
    )


def mosquitto_baseline(store: Store, n: int) -> tuple[list[float], list[float]]:
    kiosk, console = store.device("kiosk-1"), store.device("console")
    topic = topics.kiosk_alert(store.store_id, "kiosk-1")
    common = ["-h", "127.0.0.1", "-p", str(store.port), "-V", "mqttv5", "-q", "1"]
    publish = ["mosquitto_pub", *common, "-u", "kiosk-1", "-P", kiosk.password, "-t", topic]
    subscriber = subprocess.Popen(
        ["mosquitto_sub", *common, "-u", "console", "-P", console.password, "-t", topic],
        stdout=subprocess.PIPE,
        text=True,
    )
    reader = LineReader(subscriber)
    time.sleep(0.5)  # mosquitto_sub prints nothing when subscribed
    samples, cpu = [], []
    try:
        for i in range(n):
            cpu_before = children_cpu_ms()
            started = time.perf_counter()
            subprocess.run([*publish, "-m", f"sample-{i}"], check=True)
            arrived = reader.wait_for(lambda line, i=i: line == f"sample-{i}")
            samples.append((arrived - started) * 1000)
            cpu.append(children_cpu_ms() - cpu_before)
    finally:
        subscriber.terminate()
        subscriber.wait()
    return samples, cpu


def calmdesk_pair(store: Store, n: int) -> tuple[list[float], list[float], list[float]]:
    data_dir = str(store.settings.data_dir)
    cli = [sys.executable, "-m", "shared.cli"]
    raise_alert = [*cli, "alert", "--kiosk", "kiosk-1", "--level", "manager", "--data-dir"]
    raise_alert.append(data_dir)
    watcher = subprocess.Popen(
        [*cli, "watch", "--data-dir", data_dir], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    reader = LineReader(watcher)
    reader.wait_for(lambda line: line.startswith("-- watching"))
    time.sleep(0.5)  # "watching" is printed on connect; let the SUBSCRIBE land too
    delivered, totals, cpu = [], [], []
    try:
        for _ in range(n):
            cpu_before = children_cpu_ms()
            started = time.perf_counter()
            alert = subprocess.Popen(raise_alert, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            alert_reader = LineReader(alert)
            arrived = reader.wait_for(lambda line: "MANAGER NEEDED" in line)
            acked = alert_reader.wait_for(lambda line: "delivered to the store broker" in line)
            assert alert.wait(15) == 0
            cpu.append(children_cpu_ms() - cpu_before)
            delivered.append((acked - started) * 1000)
            totals.append((arrived - started) * 1000)
    finally:
        watcher.terminate()
        watcher.wait()
    return delivered, totals, cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    if shutil.which("mosquitto_pub") is None:
        sys.exit("mosquitto_pub is not installed (apt-get install mosquitto-clients)")
    with tempfile.TemporaryDirectory() as folder, running_store(Path(folder)) as store:
        base, base_cpu = mosquitto_baseline(store, n)
        print(summary("baseline: mosquitto_pub → mosquitto_sub line", base))
        delivered, totals, cpu = calmdesk_pair(store, n)
        print(summary("calmdesk alert: start → broker PUBACK", delivered))
        print(summary("calmdesk alert → line in calmdesk watch", totals))
        # CPU time barely depends on how busy the machine is; wall time does
        print(summary("CPU time of one mosquitto_pub process", base_cpu))
        print(summary("CPU time of one calmdesk alert process", cpu))
        ratio = statistics.median(totals) / statistics.median(base)
        print(f"calmdesk alert → watch line: {ratio:.0f}× mosquitto_pub's median; {env_note()}")


if __name__ == "__main__":
    main()
