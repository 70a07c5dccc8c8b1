"""The generated ACL, cell by cell: every role × every topic family of shared/topics.py (in its
own store and another, for every device slot, plus ``$SYS``) × publish / retained publish /
subscribe, judged by what is actually delivered, not by the PUBACK.

An ``observer`` account that may read and write everything (added to the generated files for
this test only) sees which publishes got through, publishes what each role should or should
not read, and afterwards lists what the broker kept retained. The expected answers below are
written from the design (docs/ARCHITECTURE.md), independently of broker/mosquitto.py.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from broker.mosquitto import hash_password, new_password, reload_broker
from shared import topics
from tests.support.store import Store

STORES = ("demo", "other")
SLOTS = ("kiosk-1", "kiosk-2", "pager-m1", "pager-s1", "hub", "console")
ROLES = {  # role -> the device that plays it
    "kiosk": "kiosk-1",
    "manager": "pager-m1",
    "security": "pager-s1",
    "monitor": "console",
    "hub": "hub",
}
ALERT = uuid.UUID(int=7)
FAMILIES: dict[str, Callable[[str, str], str]] = {
    "kiosk_alert": topics.kiosk_alert,
    "kiosk_incident": topics.kiosk_incident,
    "pager_ack": topics.pager_ack,
    "kiosk_status": lambda s, d: topics.status(s, "kiosk", d),
    "pager_status": lambda s, d: topics.status(s, "pager", d),
    "hub_status": lambda s, d: topics.status(s, "hub", d),
    "hub_escalation": topics.hub_escalation,
    "hub_alert_state": lambda s, d: topics.hub_alert_state(s, d, ALERT),
    "receipt_from": lambda s, d: topics.hub_receipt(s, d, "kiosk-1"),
    "receipt_for": lambda s, d: topics.hub_receipt(s, "hub", d),
    "hub_roster": topics.hub_roster,
}
SYS_TOPIC = "$SYS/broker/calmdesk-test"


@dataclass(frozen=True)
class Cell:
    family: str
    store: str
    slot: str

    @property
    def topic(self) -> str:
        return FAMILIES[self.family](self.store, self.slot)


CELLS = [Cell(f, s, d) for f in FAMILIES for s in STORES for d in SLOTS]
FILTERS = (  # wide filters and every concrete topic: delivery, not SUBACK, is what counts
    "#",
    "$SYS/#",
    *(topics.everything(s) for s in STORES),
    *(topics.all_kiosk_alerts(s) for s in STORES),
    *(topics.all_kiosk_incidents(s) for s in STORES),
    *sorted({cell.topic for cell in CELLS}),
)


def may_write(role: str, me: str, cell: Cell) -> bool:
    """Each device publishes only its own messages, in its own store."""
    if cell.store != "demo":
        return False
    own = cell.slot == me
    if role == "kiosk":
        return own and cell.family in ("kiosk_alert", "kiosk_incident", "kiosk_status")
    if role in ("manager", "security"):
        return own and cell.family in ("pager_ack", "pager_status")
    if role == "hub":  # its own subtree: status, rungs, alert states, receipts, roster
        hub_subtree = ("hub_status", "hub_escalation", "hub_alert_state", "receipt_from")
        return cell.family == "receipt_for" or (own and cell.family in (*hub_subtree, "hub_roster"))
    return False  # a monitor writes nothing


def may_read(role: str, me: str, cell: Cell) -> bool:
    """Everyone reads presence, answers, rungs, alert states and rosters of its own store;
    receipts only their own; kiosk alerts the pagers (a kiosk only its own); incident notes
    the hub alone."""
    if cell.store != "demo":
        return False
    if role == "hub":
        return True
    shared = (
        "kiosk_status",
        "pager_status",
        "hub_status",
        "pager_ack",
        "hub_escalation",
        "hub_alert_state",
        "hub_roster",
    )
    if cell.family in shared:
        return True
    if cell.family == "receipt_for":
        return cell.slot == me
    if cell.family == "receipt_from":
        return me == "kiosk-1"  # every test receipt is addressed to kiosk-1
    if cell.family == "kiosk_alert":
        return role != "kiosk" or cell.slot == me
    return False  # kiosk_incident


class Client:
    """A bare paho client (the attacker's tool), recording what it receives."""

    def __init__(self, store: Store, user: str, password: str) -> None:
        self.received: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.connected: queue.Queue[str] = queue.Queue()
        self.acked: queue.Queue[int] = queue.Queue()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=user, protocol=MQTTProtocolVersion.MQTTv5
        )
        self.client.username_pw_set(user, password)
        self.client.max_inflight_messages_set(200)
        self.client.on_connect = lambda c, u, f, rc, p: self.connected.put(str(rc))
        self.client.on_message = lambda c, u, m: self.received.put(
            (m.topic, m.payload, bool(m.retain))
        )
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.acked.put(mid)
        self.client.connect("127.0.0.1", store.port, keepalive=10)
        self.client.loop_start()
        assert self.connected.get(timeout=5) == "Success", f"{user} could not connect"

    def subscribe(self, filters: tuple[str, ...]) -> None:
        self.client.subscribe([(f, 1) for f in filters])
        self.acked.get(timeout=5)

    def publish_all(self, items: list[tuple[str, bytes, bool]]) -> None:
        infos = [self.client.publish(t, p, qos=1, retain=r) for t, p, r in items]
        for info in infos:
            info.wait_for_publish(10)

    def settle(self, quiet: float = 0.4, limit: float = 5.0) -> list[tuple[str, bytes, bool]]:
        """Everything received until nothing new came for ``quiet`` seconds."""
        out: list[tuple[str, bytes, bool]] = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                out.append(self.received.get(timeout=quiet))
            except queue.Empty:
                break
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def add_observer(store: Store) -> str:
    """A test-only account that reads and writes everything, $SYS included."""
    files = store.broker.files
    password = new_password()
    with files.passwords.open("a", encoding="utf-8") as handle:
        handle.write(f"observer:{hash_password(password)}\n")
    with files.acl.open("a", encoding="utf-8") as handle:
        handle.write("\nuser observer\ntopic readwrite #\ntopic readwrite $SYS/#\n")
    assert reload_broker(files)
    return password


def connect_observer(store: Store, password: str) -> Client:
    deadline = time.monotonic() + 5
    while True:  # the broker rereads its files asynchronously after SIGHUP
        try:
            return Client(store, "observer", password)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def marker(who: str, topic: str, retain: bool) -> bytes:
    return f"{who}|{topic}|{int(retain)}".encode()


def test_every_role_topic_and_verb_is_decided_by_delivery(store: Store) -> None:
    password = add_observer(store)
    observer = connect_observer(store, password)
    observer.subscribe(("#", "$SYS/#"))
    roles = {role: Client(store, dev, store.device(dev).password) for role, dev in ROLES.items()}
    for client in roles.values():
        client.subscribe(FILTERS)
    problems: list[str] = []

    # subscribe / read: the observer publishes on every topic once
    observer.publish_all(
        [(cell.topic, marker("observer", cell.topic, False), False) for cell in CELLS]
    )
    for role, client in roles.items():
        got = {t for t, p, _ in client.settle() if p.startswith(b"observer|") or t[0] == "$"}
        problems.extend(
            f"{role} read {cell.topic}: {'got' if cell.topic in got else 'no'}"
            for cell in CELLS
            if may_read(role, ROLES[role], cell) != (cell.topic in got)
        )
        if any(t.startswith("$SYS") for t in got):
            problems.append(f"{role} read $SYS")
    sys_seen = [t for t, _, _ in observer.settle() if t.startswith("$SYS")]
    assert sys_seen, "the observer should see $SYS (else the $SYS check proves nothing)"

    # publish and retained publish, on every topic, by every role
    for role, client in roles.items():
        items = [
            (topic, marker(role, topic, retain), retain)
            for topic in [*(cell.topic for cell in CELLS), SYS_TOPIC]
            for retain in (False, True)
        ]
        client.publish_all(items)
    delivered = {p for _, p, _ in observer.settle()}
    for role, device in ROLES.items():
        for cell in CELLS:
            for retain in (False, True):
                expected = may_write(role, device, cell)
                if expected != (marker(role, cell.topic, retain) in delivered):
                    verb = "retained publish" if retain else "publish"
                    problems.append(f"{role} {verb} {cell.topic}: delivered={not expected}")
        if any(marker(role, SYS_TOPIC, r) in delivered for r in (False, True)):
            problems.append(f"{role} published on $SYS")
    observer.close()

    # what the broker kept: only retained publishes that were allowed
    keeper = connect_observer(store, password)
    keeper.subscribe(("#",))
    kept = {t: p for t, p, retained in keeper.settle() if retained}
    for cell in CELLS:
        writers = [role for role, dev in ROLES.items() if may_write(role, dev, cell)]
        wanted = marker(writers[-1], cell.topic, True) if writers else None
        if kept.get(cell.topic) != wanted:
            problems.append(f"retained on {cell.topic}: {kept.get(cell.topic)!r}, not {wanted!r}")
    keeper.close()
    for client in roles.values():
        client.close()

    cells = len(ROLES) * (len(CELLS) + 1) * 3
    assert not problems, f"{len(problems)} of {cells} cells wrong:\n" + "\n".join(problems)
