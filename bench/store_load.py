"""One store at scale: 10 kiosks, 50 pagers and the hub, with alerts and acknowledgements.

    .venv/bin/python -m bench.store_load                       # 10 minutes, one alert a second
    .venv/bin/python -m bench.store_load --seconds 60 --rate 10  # quick: 600 alerts

Every device is provisioned (its own password and ACL entry) and runs the real device stack
(``DeviceRuntime``: outbox with fsync, MQTT link, presence) with the apps' subscriptions, in a
few processes: kiosk ``bench-k1`` alone in one (the process whose memory is reported), the
other nine kiosks in a second, the 50 pagers ten to a process. The hub is ``calmdesk hub
--no-broker`` recording to SQLite, as a store runs it.

Alerts go out at ``--rate`` a second in total, round robin over the kiosks. Every pager times
each alert's arrival (kiosk ``send`` → the pager's runtime has it decoded); two pagers chosen
by the alert id acknowledge it at once, and the first resolves it a second later. Each kiosk
times the acknowledgements of its own alerts (pager ``send`` → the kiosk has it decoded). All
processes stamp with CLOCK_MONOTONIC, which is one clock for the whole machine.

Baseline in the same run, on the same broker and while the load runs: a bare paho client
publishes QoS 1 to another (demo kiosk-2 → pager-m2's credentials), one message in flight,
spread over the run so it yields at least 1,000 samples.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.support import (
    ROOT,
    HubProcess,
    bench_store,
    env_note,
    latency_line,
    percentile,
    rss_mb,
    sqlite_url,
)
from broker.registry import Device

KIOSKS = [f"bench-k{i}" for i in range(1, 11)]
PAGERS = [f"bench-p{i}" for i in range(1, 51)]
ACKS_PER_ALERT = 2
GOAL_P99_MS = 50.0
GOAL_RSS_MB = 150.0


def pager_role(pager: str) -> str:
    return "security" if int(pager.rsplit("p", 1)[1]) % 2 else "manager"


def responders(alert_id: object) -> list[str]:
    """The pagers that acknowledge this alert (spread evenly by the alert id)."""
    first = int(str(alert_id).replace("-", ""), 16) % len(PAGERS)
    step = len(PAGERS) // ACKS_PER_ALERT
    return [PAGERS[(first + i * step) % len(PAGERS)] for i in range(ACKS_PER_ALERT)]


# Worker processes ----------------------------------------------------------------------------


def _runtimes(data_dir: Path, devices: list[str], subscriptions: list[str], on_message):  # type: ignore[no-untyped-def]
    from shared.device_runtime import DeviceRuntime
    from shared.settings import DeviceConfig, HubSettings, device_file

    settings = HubSettings(data_dir=data_dir)
    runtimes = {}
    for device in devices:
        config = DeviceConfig.load(device_file(settings, device))
        runtimes[device] = DeviceRuntime(
            config,
            data_dir,
            subscriptions=subscriptions,
            on_message=lambda message, device=device: on_message(device, message),
        )
    for runtime in runtimes.values():
        runtime.start()
    for device, runtime in runtimes.items():
        if not (runtime.link.wait_connected(60) and runtime.link.wait_subscribed(60)):
            raise SystemExit(f"{device} could not connect")
    return runtimes


def kiosk_worker(args: argparse.Namespace) -> None:
    from shared import topics
    from shared.protocol import Acknowledged, AlertRaised

    store = args.store
    mine = args.devices.split(",")
    sent: dict[str, tuple[str, float]] = {}  # alert id -> (kiosk, sent at)
    acks: list[tuple[str, str, float]] = []  # (ack event id, alert id, received at)
    lock = threading.Lock()

    def on_message(device: str, message: object) -> None:
        if isinstance(message, Acknowledged):
            now = time.monotonic()
            with lock:
                owner = sent.get(str(message.alert_id))
                if owner is not None and owner[0] == device:
                    acks.append((str(message.event_id), str(message.alert_id), now))

    subscriptions = [
        topics.all_pager_acks(store),
        topics.all_hub_escalations(store),
        topics.all_status(store),
    ]
    runtimes = _runtimes(args.data_dir, mine, subscriptions, on_message)
    print("ready", flush=True)
    start_at = float(sys.stdin.readline().split()[1])
    total = int(args.seconds * args.rate)
    for index in range(total):
        kiosk = KIOSKS[index % len(KIOSKS)]
        if kiosk not in runtimes:
            continue
        due = start_at + index / args.rate
        time.sleep(max(0.0, due - time.monotonic()))
        alert = AlertRaised(store=store, device=kiosk, level="security", counter=kiosk)
        with lock:
            sent[str(alert.alert_id)] = (kiosk, time.monotonic())
        runtimes[kiosk].send(alert, topics.kiosk_alert(store, kiosk))
    print("sent", flush=True)
    sys.stdin.readline()  # "stop"
    for runtime in runtimes.values():
        runtime.stop()
    with lock:
        result = {"sent": [[a, k, t] for a, (k, t) in sent.items()], "acks": acks}
    Path(args.results).write_text(json.dumps(result))


def pager_worker(args: argparse.Namespace) -> None:
    from shared import topics
    from shared.protocol import Acknowledged, AlertRaised, Resolved

    store = args.store
    mine = args.devices.split(",")
    arrivals: list[tuple[str, str, float]] = []  # (alert id, pager, received at)
    acks_sent: list[tuple[str, str, str, float]] = []  # (ack event id, alert id, pager, sent at)
    lock = threading.Lock()
    runtimes: dict[str, object] = {}
    timers: list[threading.Timer] = []

    def on_message(device: str, message: object) -> None:
        if not isinstance(message, AlertRaised):
            return
        now = time.monotonic()
        with lock:
            arrivals.append((str(message.alert_id), device, now))
        chosen = responders(message.alert_id)
        if device not in chosen:
            return
        fields = {
            "store": store,
            "device": device,
            "alert_id": message.alert_id,
            "responder_name": device,
            "responder_role": pager_role(device),
        }
        ack = Acknowledged(**fields, eta_minutes=1)  # type: ignore[arg-type]
        runtime = runtimes[device]
        topic = topics.pager_ack(store, device)
        with lock:
            acks_sent.append((str(ack.event_id), str(message.alert_id), device, time.monotonic()))
        runtime.send(ack, topic)  # type: ignore[attr-defined]
        if device == chosen[0]:
            resolved = Resolved(**fields, note="calm")  # type: ignore[arg-type]
            timer = threading.Timer(1.0, runtime.send, args=(resolved, topic))  # type: ignore[attr-defined]
            timer.daemon = True
            timer.start()
            timers.append(timer)

    subscriptions = [
        topics.all_kiosk_alerts(store),
        topics.all_pager_acks(store),
        topics.all_hub_escalations(store),
    ]
    runtimes.update(_runtimes(args.data_dir, mine, subscriptions, on_message))
    print("ready", flush=True)
    sys.stdin.readline()  # "go ..."
    sys.stdin.readline()  # "stop"
    for runtime in runtimes.values():
        runtime.stop()  # type: ignore[attr-defined]
    with lock:
        result = {"arrivals": arrivals, "acks_sent": acks_sent}
    Path(args.results).write_text(json.dumps(result))


# Orchestrator --------------------------------------------------------------------------------


class Worker:
    def __init__(self, kind: str, devices: list[str], store: object, args, work: Path) -> None:  # type: ignore[no-untyped-def]
        self.results = work / f"{kind}-{devices[0]}.json"
        command = [
            sys.executable,
            "-m",
            "bench.store_load",
            "--worker",
            kind,
            "--devices",
            ",".join(devices),
            "--store",
            store.store_id,  # type: ignore[attr-defined]
            "--data-dir",
            str(store.settings.data_dir),  # type: ignore[attr-defined]
            "--results",
            str(self.results),
            "--seconds",
            str(args.seconds),
            "--rate",
            str(args.rate),
        ]
        self.log = (work / f"{kind}-{devices[0]}.log").open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def expect(self, word: str, timeout: float) -> None:
        """Wait for the worker to print ``word``; queue.Empty on time-out."""
        line = self.lines.get(timeout=timeout)
        if line != word:
            raise RuntimeError(f"worker said {line!r}, expected {word!r}; see {self.log.name}")

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self) -> dict:  # type: ignore[type-arg]
        self.say("stop")
        self.process.wait(120)
        return json.loads(self.results.read_text())


def baseline(
    port: int, creds: dict[str, str], stop: threading.Event, interval: float
) -> list[float]:
    """Raw paho QoS 1 publish → subscribe, one in flight, while the load runs."""
    import socket

    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    topic = "calmdesk/v1/demo/kiosk/kiosk-2/alert"
    arrived: queue.Queue[float] = queue.Queue()
    ready = threading.Event()

    def client(user: str) -> paho.Client:
        c = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=user, protocol=MQTTProtocolVersion.MQTTv5
        )
        c.username_pw_set(user, creds[user])
        c.on_socket_open = lambda cl, u, sock: sock.setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )
        return c

    subscriber = client("pager-m2")
    subscriber.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    subscriber.on_subscribe = lambda *a: ready.set()
    subscriber.on_message = lambda c, u, m: arrived.put(time.monotonic())
    publisher = client("kiosk-2")
    for c in (subscriber, publisher):
        c.connect("127.0.0.1", port)
        c.loop_start()
    ready.wait(10)
    time.sleep(0.2)
    samples = []
    payload = b"x" * 400  # about an AlertRaised
    while not stop.is_set():
        started = time.monotonic()
        publisher.publish(topic, payload, qos=1)
        try:
            samples.append((arrived.get(timeout=5) - started) * 1000)
        except queue.Empty:
            samples.append(float("inf"))
        stop.wait(interval)
    for c in (publisher, subscriber):
        c.disconnect()
        c.loop_stop()
    return samples


def orchestrate(args: argparse.Namespace) -> int:
    extra = [Device(id=k, role="kiosk", counter=f"Counter {k}") for k in KIOSKS]
    extra += [Device(id=p, role=pager_role(p), display_name=p) for p in PAGERS]
    total_alerts = int(args.seconds * args.rate)
    print(
        f"store load: {len(KIOSKS)} kiosks, {len(PAGERS)} pagers, hub on SQLite; "
        f"{total_alerts} alerts over {args.seconds:.0f} s; {env_note()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="calmdesk-load-") as folder:
        work = Path(folder)
        with bench_store(work / "store", extra) as store:
            hub = HubProcess(store, sqlite_url(work, "hub.db"), work / "hub.log")
            hub.start()
            groups = [("kiosk", KIOSKS[:1]), ("kiosk", KIOSKS[1:])]
            groups += [("pager", PAGERS[i : i + 10]) for i in range(0, len(PAGERS), 10)]
            workers = [Worker(kind, devices, store, args, work) for kind, devices in groups]
            try:
                for worker in workers:
                    worker.expect("ready", 180)
                hub.check_alive()
                stop = threading.Event()
                creds = {d: store.device(d).password for d in ("kiosk-2", "pager-m2")}
                base: list[float] = []
                interval = max(0.0, min(1.0, args.seconds / 1300))  # >= 1,000 samples
                thread = threading.Thread(
                    target=lambda: base.extend(baseline(store.port, creds, stop, interval))
                )
                thread.start()
                start_at = time.monotonic() + 1.0
                for worker in workers:
                    worker.say(f"go {start_at}")
                memory: dict[str, float] = {"hub": 0.0, "kiosk": 0.0}
                kiosk_pid = workers[0].process.pid
                for worker in workers[:2]:
                    while True:
                        try:
                            worker.expect("sent", 2.0)
                            break
                        except queue.Empty:
                            hub.check_alive()
                            memory["hub"] = max(memory["hub"], rss_mb(hub.pid)[0])
                            memory["kiosk"] = max(memory["kiosk"], rss_mb(kiosk_pid)[0])
                time.sleep(3.0 if args.seconds >= 10 else 1.5)  # the last acks and resolutions
                hub_peak = rss_mb(hub.pid)[1]
                kiosk_peak = rss_mb(kiosk_pid)[1]
                stop.set()
                thread.join()
                results = [(w, w.finish()) for w in workers]
            finally:
                for worker in workers:
                    if worker.process.poll() is None:
                        worker.process.kill()
                hub.stop()
    report(args, results, base, memory, hub_peak, kiosk_peak)
    return 0


def report(args, results, base, memory, hub_peak, kiosk_peak) -> None:  # type: ignore[no-untyped-def]
    sent: dict[str, tuple[str, float]] = {}
    kiosk_acks: list[tuple[str, str, float]] = []
    arrivals: list[tuple[str, str, float]] = []
    acks_sent: dict[str, tuple[str, str, float]] = {}
    for _worker, result in results:
        if "sent" in result:
            sent.update({a: (k, t) for a, k, t in result["sent"]})
            kiosk_acks += [tuple(x) for x in result["acks"]]
        else:
            arrivals += [tuple(x) for x in result["arrivals"]]
            acks_sent.update({e: (a, p, t) for e, a, p, t in result["acks_sent"]})
    to_pager = [(t - sent[a][1]) * 1000 for a, _, t in arrivals if a in sent]
    deliveries = Counter((a, p) for a, p, _ in arrivals)
    expected_pager = len(sent) * len(PAGERS)
    lost_pager = expected_pager - len(deliveries)
    dup_pager = sum(c - 1 for c in deliveries.values())
    ack_times = Counter(e for e, _, _ in kiosk_acks)
    to_kiosk = [(t - acks_sent[e][2]) * 1000 for e, _, t in kiosk_acks if e in acks_sent]
    lost_ack = len(acks_sent) - len(set(ack_times) & set(acks_sent))
    dup_ack = sum(c - 1 for c in ack_times.values())
    finite = [b for b in base if b != float("inf")]
    print(latency_line("baseline: raw paho pub → sub (same broker, same time)", finite))
    print(f"  baseline lost (no arrival within 5 s): {len(base) - len(finite)}")
    print(latency_line("kiosk send → pager has it (every pager)", to_pager))
    print(f"  alerts {len(sent)} × pagers {len(PAGERS)}: lost {lost_pager}, duplicated {dup_pager}")
    print(latency_line("pager ack send → kiosk has it", to_kiosk))
    print(f"  acknowledgements {len(acks_sent)}: lost {lost_ack}, duplicated {dup_ack}")
    print(
        f"memory: hub {memory['hub']:.0f} MB (sampled max RSS; peak {hub_peak:.0f} MB), "
        f"kiosk process (one kiosk runtime) {memory['kiosk']:.0f} MB (peak {kiosk_peak:.0f} MB)"
    )
    p99s = [percentile(s, 0.99) for s in (to_pager, to_kiosk) if s]
    met = (
        len(p99s) == 2
        and max(p99s) < GOAL_P99_MS
        and lost_pager == 0
        and lost_ack == 0
        and max(hub_peak, kiosk_peak) < GOAL_RSS_MB
    )
    print(
        f"goal (p99 < {GOAL_P99_MS:.0f} ms, lost 0, RSS < {GOAL_RSS_MB:.0f} MB): "
        f"{'MET' if met else 'NOT MET'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=1.0, help="alerts a second, store-wide")
    parser.add_argument("--worker", choices=["kiosk", "pager"], help=argparse.SUPPRESS)
    parser.add_argument("--devices", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--results", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "kiosk":
        kiosk_worker(args)
        return 0
    if args.worker == "pager":
        pager_worker(args)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
