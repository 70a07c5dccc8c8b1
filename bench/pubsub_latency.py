"""Latency of the alert path, against raw Mosquitto publish -> subscribe in the same run.

Three figures, each over N sequential messages (one in flight at a time, so this is latency,
not throughput), on a real Mosquitto with the generated config and ACL on loopback:

1. baseline: a bare paho-mqtt v5 client publishes QoS 1, another receives it;
2. CalmDesk kiosk -> pager: DeviceRuntime.send (validate, outbox write with synchronous=FULL,
   publish) until the pager's MqttLink has the payload decoded;
3. kiosk -> hub recorded: the same send until the hub has committed it to SQLite.

Run: ``make bench`` or ``.venv/bin/python -m bench.pubsub_latency [N]``.
"""

from __future__ import annotations

import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from broker.hub import Hub
from shared import topics
from shared.device_runtime import DeviceRuntime
from shared.protocol import AlertRaised, ProtocolError, decode
from tests.support.store import running_store


def summary(name: str, samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"{name:34} n={len(ordered):4}  median {statistics.median(ordered):6.2f} ms  "
        f"p95 {p95:6.2f} ms  max {ordered[-1]:6.2f} ms"
    )


def raw_baseline(
    store_port: int, user: str, password: str, sub_user: str, sub_pw: str, n: int
) -> list[float]:
    arrived: queue.Queue[float] = queue.Queue()
    topic = "calmdesk/v1/demo/kiosk/kiosk-1/alert"
    subscriber = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=sub_user, protocol=MQTTProtocolVersion.MQTTv5
    )
    subscriber.username_pw_set(sub_user, sub_pw)
    subscriber.on_message = lambda c, u, m: arrived.put(time.perf_counter())
    subscriber.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    subscriber.connect("127.0.0.1", store_port)
    subscriber.loop_start()
    publisher = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=user, protocol=MQTTProtocolVersion.MQTTv5
    )
    publisher.username_pw_set(user, password)
    publisher.connect("127.0.0.1", store_port)
    publisher.loop_start()
    time.sleep(0.5)
    payload = b"x" * 400  # about the size of an AlertRaised
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        publisher.publish(topic, payload, qos=1)
        samples.append((arrived.get(timeout=5) - start) * 1000)
    publisher.loop_stop()
    subscriber.loop_stop()
    publisher.disconnect()
    subscriber.disconnect()
    return samples


def calmdesk_path(store: object, data_dir: Path, n: int, *, to_hub: Hub | None) -> list[float]:
    sid = store.store_id  # type: ignore[attr-defined]
    arrived: queue.Queue[tuple[object, float]] = queue.Queue()
    if to_hub is None:
        pager, _, _ = store.link(  # type: ignore[attr-defined]
            "pager-s1", subscriptions=(topics.all_kiosk_alerts(sid),)
        )

        def on_pager(received: object) -> None:
            try:
                message = decode(received.payload)  # type: ignore[attr-defined]
            except ProtocolError:
                return  # the raw round-trip clients' payloads, on the same store
            arrived.put((message.event_id, time.perf_counter()))

        pager._on_received = on_pager  # bench only: time-stamp at arrival
    else:
        to_hub._on_recorded = lambda r: arrived.put((r.message.event_id, time.perf_counter()))
    kiosk = DeviceRuntime(
        store.device("kiosk-1"),  # type: ignore[attr-defined]
        data_dir,
        subscriptions=[],
        on_message=lambda m: None,
    )
    kiosk.start()
    assert kiosk.link.wait_connected(5)
    samples = []
    topic = topics.kiosk_alert(sid, "kiosk-1")
    for _ in range(n):
        alert = AlertRaised(store=sid, device="kiosk-1", level="security", counter="Counter 1")
        start = time.perf_counter()
        kiosk.send(alert, topic)
        while True:  # the hub also records presence and its own escalation rungs
            event_id, at = arrived.get(timeout=5)
            if event_id == alert.event_id:
                break
        samples.append((at - start) * 1000)
    kiosk.stop()
    return samples


def round_trips(port: int, creds: dict[str, str], n: int, *, nodelay: bool) -> list[float]:
    """Kiosk publishes, the pager answers at once, the kiosk hears the answer: request/response,
    where Nagle's algorithm plus delayed ACK can add ~40 ms per hop without TCP_NODELAY."""
    import socket

    answers: queue.Queue[float] = queue.Queue()
    # devices of their own: the earlier measurements' links are still connected
    ask, reply = "calmdesk/v1/demo/kiosk/kiosk-2/alert", "calmdesk/v1/demo/pager/pager-s2/ack"

    def client(user: str) -> paho.Client:
        c = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=user, protocol=MQTTProtocolVersion.MQTTv5
        )
        c.username_pw_set(user, creds[user])
        if nodelay:
            c.on_socket_open = lambda cl, u, sock: sock.setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )
        return c

    pager = client("pager-s2")
    pager.on_connect = lambda c, u, f, rc, p: c.subscribe(ask, qos=1)
    pager.on_message = lambda c, u, m: c.publish(reply, b"ack", qos=1)
    kiosk = client("kiosk-2")
    kiosk.on_connect = lambda c, u, f, rc, p: c.subscribe(reply, qos=1)
    kiosk.on_message = lambda c, u, m: answers.put(time.perf_counter())
    for c in (pager, kiosk):
        c.connect("127.0.0.1", port)
        c.loop_start()
    time.sleep(0.5)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        kiosk.publish(ask, b"x" * 400, qos=1)
        samples.append((answers.get(timeout=5) - start) * 1000)
    for c in (pager, kiosk):
        c.loop_stop()
        c.disconnect()
    return samples


def main(n: int = 200) -> None:
    with tempfile.TemporaryDirectory() as folder, running_store(Path(folder)) as store:
        kiosk, pager = store.device("kiosk-1"), store.device("pager-s1")
        print(f"Mosquitto on 127.0.0.1:{store.port}; {n} sequential QoS 1 messages each")
        print(
            summary(
                "baseline raw paho pub -> sub",
                raw_baseline(store.port, "kiosk-1", kiosk.password, "pager-s1", pager.password, n),
            )
        )
        print(
            summary(
                "CalmDesk kiosk send -> pager", calmdesk_path(store, Path(folder), n, to_hub=None)
            )
        )
        creds = {d: store.device(d).password for d in ("kiosk-2", "pager-s2")}
        for nodelay in (False, True):
            name = f"alert->ack round trip, NODELAY {'on' if nodelay else 'off'}"
            print(summary(name, round_trips(store.port, creds, n, nodelay=nodelay)))
        hub = Hub(store.device("hub"), f"sqlite:///{Path(folder) / 'hub.db'}")
        hub.start()
        assert hub.link.wait_subscribed(5)
        print(
            summary(
                "CalmDesk kiosk send -> hub commit",
                calmdesk_path(store, Path(folder), n, to_hub=hub),
            )
        )
        hub.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
