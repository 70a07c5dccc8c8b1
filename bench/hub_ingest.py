"""Hub ingest: a backlog of N events, queued in the broker while the hub was down, recorded.

    .venv/bin/python -m bench.hub_ingest [--events 8000] [--kiosks 10]
                                           [--databases sqlite,postgresql]

1. A store with K extra kiosks (each provisioned: its own password and ACL entry) and a second
   hub identity for the baseline, on a real Mosquitto with the generated config.
2. The hub (``calmdesk hub --no-broker``, its own process) starts once so its persistent
   session exists, then stops. The baseline's session is created the same way.
3. The kiosks and the four demo pagers publish N events through their own links: a realistic
   mix (raise; acknowledged, on scene, resolved from pagers; some false alarms cancelled; an
   incident report after some), built with the protocol models on the real topics.
4. Baseline: a bare paho subscriber with a persistent session on the hub's topic filters
   drains the same N messages (auto-ack QoS 1, no parsing).
5. The hub starts; time until every one of the N event ids is in its events table. Then the
   bench checks each id is there exactly once (duplicates must be 0) and none is missing.

Repeated on SQLite (the hub's default file, WAL, synchronous=FULL) and on a throwaway
PostgreSQL (the test suite's server: tests/support/postgres.py, fsync off). N is capped by
the broker's per-session queue (max_queued_messages 10,000).
"""

from __future__ import annotations

import argparse
import queue
import random
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.support import EventCounter, HubProcess, bench_store, env_note, sqlite_url
from broker.registry import Device
from shared import topics
from shared.mqtt_link import PublishOutcome
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertRaised,
    IncidentReport,
    Message,
    OnScene,
    Resolved,
    encode,
)
from tests.support.store import Store

PAGERS = (
    ("pager-m1", "Alex", "manager"),
    ("pager-m2", "Robin", "manager"),
    ("pager-s1", "Sam", "security"),
    ("pager-s2", "Kim", "security"),
)
BASELINE_ID = "hub-bench"
GOAL_EVENTS_PER_S = 2000.0
GOAL_RATIO = 2.0
STALLED_S = 120.0  # no new row for this long: the hub is stuck, not slow
MAX_EVENTS = 9500  # under the broker's max_queued_messages, with room for presence


@dataclass(frozen=True)
class Event:
    sender: str
    topic: str
    payload: bytes
    event_id: uuid.UUID


def realistic_mix(store_id: str, kiosks: list[str], n: int, seed: int = 10) -> list[Event]:
    """N events from whole alert life cycles, in the order the devices would send them."""
    chooser = random.Random(seed)
    events: list[Event] = []

    def add(sender: str, topic: str, message: Message) -> None:
        events.append(Event(sender, topic, encode(message), message.event_id))

    while len(events) < n:
        kiosk = chooser.choice(kiosks)
        pager, name, role = chooser.choice(PAGERS)
        alert_topic = topics.kiosk_alert(store_id, kiosk)
        ack_topic = topics.pager_ack(store_id, pager)
        raised = AlertRaised(store=store_id, device=kiosk, level=role, counter=f"Counter {kiosk}")
        add(kiosk, alert_topic, raised)
        responder = {"store": store_id, "device": pager, "alert_id": raised.alert_id}
        responder |= {"responder_name": name, "responder_role": role}
        if chooser.random() < 0.1:
            add(
                kiosk,
                alert_topic,
                AlertCancelled(
                    store=store_id, device=kiosk, alert_id=raised.alert_id, reason="false_alarm"
                ),
            )
            continue
        add(pager, ack_topic, Acknowledged(**responder, eta_minutes=2))
        add(pager, ack_topic, OnScene(**responder))
        add(pager, ack_topic, Resolved(**responder, note="calmed down"))
        if chooser.random() < 0.3:
            report = IncidentReport(
                store=store_id,
                device=kiosk,
                incident_id=uuid.uuid4(),
                alert_id=raised.alert_id,
                counter=f"Counter {kiosk}",
                outcome="handed_to_manager",
                violence_type="verbal_abuse",
                notes="Raised voice about a refund; calmed after the manager came.",
            )
            add(kiosk, topics.kiosk_incident(store_id, kiosk), report)
    return events[:n]


def publish_all(store: Store, events: list[Event]) -> float:
    """Every event through its sender's own link; returns when the broker acknowledged all."""
    senders = sorted({e.sender for e in events})
    links = {name: store.link(name)[0] for name in senders}
    done = threading.Semaphore(0)
    refused: list[str] = []

    def outcome(result: PublishOutcome) -> None:
        if not result.ok:
            refused.append(result.reason)
        done.release()

    started = time.perf_counter()
    for event in events:
        links[event.sender].publish(event.topic, event.payload, on_outcome=outcome)
    for _ in events:
        if not done.acquire(timeout=60):
            raise RuntimeError("the broker stopped acknowledging publishes")
    took = time.perf_counter() - started
    for link in links.values():
        link.stop(timeout=1)
    if refused:
        raise RuntimeError(f"{len(refused)} publishes refused, e.g. {refused[0]}")
    return took


def hub_filters(store_id: str) -> list[str]:
    return [
        topics.all_kiosk_alerts(store_id),
        topics.all_kiosk_incidents(store_id),
        topics.all_pager_acks(store_id),
        topics.all_status(store_id),
        topics.all_hub_escalations(store_id),
    ]


class BareSubscriber:
    """The baseline: plain paho, MQTT v5, persistent session, QoS 1 auto-ack, no parsing."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=BASELINE_ID, protocol=MQTTProtocolVersion.MQTTv5
        )
        self.client.username_pw_set(BASELINE_ID, store.device(BASELINE_ID).password)
        self.client.max_inflight_messages_set(100)
        self.arrivals: queue.Queue[float] = queue.Queue()
        self.subscribed = threading.Event()
        filters = [(f, 1) for f in hub_filters(store.store_id)]
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(filters)
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = self._message

    def _message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        # the events under test: not presence, not the hub's own rungs from an earlier phase
        if "/kiosk/" in message.topic or "/pager/" in message.topic:
            if not message.topic.endswith("/status"):
                self.arrivals.put(time.perf_counter())

    def connect(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", self.store.port, clean_start=False, properties=props)
        self.client.loop_start()

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def drain(self, n: int) -> tuple[float, float]:
        """Connect and take n queued messages: (seconds from connect, seconds first→last)."""
        self.arrivals = queue.Queue()
        started = time.perf_counter()
        self.connect()
        stamps = [self.arrivals.get(timeout=60) for _ in range(n)]
        self.disconnect()
        return stamps[-1] - started, stamps[-1] - stamps[0]


@dataclass
class HubResult:
    total_s: float
    recording_s: float
    missing: int
    duplicates: int


def wait_for_hub_session(hub: HubProcess, counter: EventCounter, timeout: float = 120) -> None:
    """Until the hub has recorded its own presence: it is subscribed and writing."""
    deadline = time.monotonic() + timeout
    while not (counter.rows() and counter.ids(device="hub")):
        hub.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError("the hub did not start recording")
        time.sleep(0.1)


def drain_hub(hub: HubProcess, counter: EventCounter, wanted: set[uuid.UUID]) -> HubResult:
    before = counter.rows()
    started = hub.start()
    first: float | None = None
    progress, last_rows = started, before
    while True:
        hub.check_alive()
        rows = counter.rows()
        now = time.perf_counter()
        if first is None and rows > before:
            first = now
        if rows != last_rows:
            progress, last_rows = now, rows
        if rows - before >= len(wanted) and wanted <= set(counter.ids()):
            break
        if now - progress > STALLED_S:
            raise TimeoutError(
                f"the hub recorded {rows - before} of {len(wanted)}, then nothing for "
                f"{STALLED_S:.0f} s"
            )
        time.sleep(0.02)
    done = time.perf_counter()
    time.sleep(1.0)  # anything recorded twice would show up now
    seen = Counter(i for i in counter.ids() if i in wanted)
    return HubResult(
        total_s=done - started,
        recording_s=done - (first or started),
        missing=len(wanted - set(seen)),
        duplicates=sum(count - 1 for count in seen.values()),
    )


def run_one(store: Store, database: str, url: str, kiosks: list[str], n: int, work: Path) -> None:
    counter = EventCounter(url)
    hub = HubProcess(store, url, work / f"hub-{database}.log")
    hub.start()  # first start: migrate, create the persistent session, then go away
    try:
        wait_for_hub_session(hub, counter)
    finally:
        hub.stop()
    baseline = BareSubscriber(store)
    baseline.connect()
    assert baseline.subscribed.wait(10), "baseline subscription not granted"
    baseline.disconnect()

    events = realistic_mix(store.store_id, kiosks, n)
    kinds = Counter(e.payload.split(b'"type":"')[1].split(b'"')[0].decode() for e in events)
    took = publish_all(store, events)
    print(
        f"[{database}] {n} events queued in {took:.1f} s from {len(kiosks)} kiosks and "
        f"{len(PAGERS)} pagers: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
        flush=True,
    )

    base_total, base_span = baseline.drain(n)
    base_rate = n / base_total
    print(
        f"[{database}] baseline: bare paho persistent session drains {n} in "
        f"{base_total:.2f} s: {base_rate:,.0f} events/s (first→last {n / base_span:,.0f}/s)",
        flush=True,
    )
    try:
        result = drain_hub(hub, counter, {e.event_id for e in events})
    finally:
        hub.stop()
        counter.close()
    hub_rate = n / result.total_s
    print(
        f"[{database}] hub: start → all {n} recorded in {result.total_s:.2f} s: "
        f"{hub_rate:,.0f} events/s (first row→last {n / result.recording_s:,.0f}/s); "
        f"{base_rate / hub_rate:.1f}× the baseline's time"
    )
    print(
        f"[{database}] recorded exactly once: missing {result.missing}, "
        f"duplicates {result.duplicates}"
    )
    met = hub_rate >= GOAL_EVENTS_PER_S and base_rate / hub_rate <= GOAL_RATIO
    met = met and result.missing == 0 and result.duplicates == 0
    print(
        f"[{database}] goal (≥ {GOAL_EVENTS_PER_S:,.0f} events/s, within {GOAL_RATIO:.0f}× "
        f"of the baseline, 0 duplicates, 0 missing): {'MET' if met else 'NOT MET'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=8000)
    parser.add_argument("--kiosks", type=int, default=10)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    if not 1 <= args.events <= MAX_EVENTS:
        parser.error(f"--events must be 1..{MAX_EVENTS} (the broker queues 10,000 per session)")
    kiosks = [f"bench-k{i}" for i in range(1, args.kiosks + 1)]
    extra = [Device(id=k, role="kiosk", counter=f"Counter {k}") for k in kiosks]
    extra.append(Device(id=BASELINE_ID, role="hub", display_name="bench baseline"))
    print(f"hub ingest: {args.events} events, {args.kiosks} kiosks; {env_note()}")
    with tempfile.TemporaryDirectory(prefix="calmdesk-ingest-") as folder:
        work = Path(folder)
        with bench_store(work / "store", extra) as store:
            for database in args.databases.split(","):
                if database == "sqlite":
                    run_one(
                        store, database, sqlite_url(work, "ingest.db"), kiosks, args.events, work
                    )
                elif database == "postgresql":
                    from tests.support.postgres import PostgresServer, create_database

                    server = PostgresServer()
                    server.start()
                    try:
                        url = create_database(server, "ingest")
                        run_one(store, database, url, kiosks, args.events, work)
                    finally:
                        server.stop()
                else:
                    parser.error(f"unknown database {database!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
