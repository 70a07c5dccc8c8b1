"""The hub service: records every event of the store, in batches, and escalates.

The hub is not in the paging path (kiosk → broker → pagers works without it). It subscribes
with a persistent session and manual acknowledgement. Three threads, each with one job:

- the network thread (paho) admits each message (:meth:`Hub._admit`, the one admission point)
  and hands it to the recorder, and to the escalation thread at once;
- the recorder thread takes messages in batches (up to ``batch_max`` or ``batch_wait_s``,
  whichever comes first), writes each batch in one transaction, and only then acknowledges its
  messages to the broker, in arrival order: a hub killed mid-batch gets the whole batch again,
  and recording is idempotent. A database outage stops recording, not the store: the batch
  stays unacknowledged and is retried until it is written;
- the escalation thread (:mod:`broker.escalation`) runs the ladders and pages for a lost kiosk
  on its own clock, so neither ever waits behind a batch.

Nothing is recorded before :func:`shared.authz.judge` accepts it (broker/admission.py), against
the roster built from the registry (which the hub also publishes, retained, for the devices,
broker/roster_keeper.py) and the memory of who raised each alert. With ``intake``, the hub reads
each device through a broker session of its own (broker/intake.py), so one device's flood cannot
push another's alert out of a queue. With ``CALMDESK_CENTRAL_URL`` set, a forwarder thread sends
the record on to the chain's central database (broker/forwarder.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from broker.admission import Admission
from broker.escalation import HubEscalation
from broker.forwarder import forwarder_if_configured
from broker.intake import Intake
from broker.recorder import (
    BatchOutcome,
    DeadLetter,
    Incoming,
    Outage,
    Recorded,
    Recorder,
)
from broker.registry import Registry
from broker.roster_keeper import RosterKeeper, kiosk_counters
from shared import topics
from shared.alerts.policy import Policy, default_policy
from shared.db.engine import make_engine, migrate, session_factory
from shared.mqtt_link import LinkEvent, LinkState, MqttLink, Received
from shared.protocol import (
    DeviceKind,
    IncidentRecorded,
    IncidentReport,
    Message,
    MessageQuarantined,
    Presence,
    Roster,
    encode,
)
from shared.settings import DeviceConfig

log = logging.getLogger(__name__)

DB_RETRY_S = 2.0
BATCH_MAX = 500
"""At most this many messages per transaction. The broker sends the hub at most
``max_inflight_messages`` unacknowledged messages at once, which bounds a batch further."""
BATCH_WAIT_S = 0.01
"""How long a batch waits for more messages after its first one: the added recording delay
when the store is quiet, and the time a burst has to fill the batch."""


@dataclass
class HubStats:
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    quarantined: int = 0
    batches: int = 0
    rejections: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Admitted:
    """A message off the wire and the admission verdict: ``incoming`` or ``refusal``; neither
    when the verdict needed the database and it did not answer (judged again in the recorder
    thread, which retries through outages)."""

    received: Received
    incoming: Incoming | None
    refusal: str = ""

    @property
    def deferred(self) -> bool:
        return self.incoming is None and not self.refusal


class Hub:
    """Recorder loop plus escalation, for one store."""

    def __init__(
        self,
        config: DeviceConfig,
        database_url: str,
        *,
        on_recorded: Callable[[Recorded], None] | None = None,
        policy: Policy | None = None,
        counters: dict[str, str] | None = None,
        batch_max: int = BATCH_MAX,
        batch_wait_s: float = BATCH_WAIT_S,
        registry_path: Path | None = None,
        intake: Sequence[tuple[str, DeviceKind]] | None = None,
    ) -> None:
        """``registry_path``: the store's registry, the source of the roster. Without it (some
        tests) the hub judges claims at face value, like a device that has no roster yet.
        ``intake``: (device, kind) pairs read through a session each (broker/intake.py);
        None reads the whole store through the hub's one session."""
        if config.role != "hub":
            raise ValueError(f"{config.device} is a {config.role}, not a hub")
        self.config = config
        self.database_url = database_url
        self.schema_ready = threading.Event()
        self.engine = make_engine(database_url)
        self.sessions = session_factory(self.engine)
        self.recorder = Recorder(self.sessions)
        self.stats = HubStats()
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self._on_recorded = on_recorded
        self._inbox: queue.Queue[_Admitted | None] = queue.Queue()
        self._deferred = 0
        """Messages waiting to be judged on the recorder thread. While there are any, every new
        message waits behind them: a kiosk's cancel must not be judged before its own raise,
        whose judgement is what tells who raised the alert."""
        self._deferred_lock = threading.Lock()
        self._stopping = threading.Event()
        store = config.store
        self._status_topic = topics.status(store, "hub", config.device)
        self._escalation_topic = topics.hub_escalation(store, config.device)
        self._roster_topic = topics.hub_roster(store, config.device)
        self.roster = RosterKeeper(registry_path, config.device, on_change=self._roster_changed)
        if self.roster.registry is not None:
            counters = kiosk_counters(self.roster.registry)
        self.admission = Admission(self.roster, self.sessions)
        self.escalation = HubEscalation(
            store=store,
            hub=config.device,
            policy=policy or default_policy(),
            publish=self._publish_own,
            counters=counters or {},
        )
        self.link = MqttLink(
            device_id=config.device,
            password=config.password,
            address=config.address,
            subscriptions=[
                topics.all_kiosk_alerts(store),
                topics.all_kiosk_incidents(store),
                topics.all_pager_acks(store),
                topics.all_status(store),
                topics.all_hub_escalations(store),
            ]
            if intake is None
            else [topics.all_hub_escalations(store), self._status_topic],
            on_received=self._admit,
            on_link_event=self._on_link_event,
            manual_ack=True,
            will=(self._status_topic, encode(self._presence(online=False, clean=False))),
        )
        self.intake = Intake(config, self._admit, intake) if intake is not None else None
        self._worker = threading.Thread(target=self._work, name="hub-recorder", daemon=True)
        self._watcher = threading.Thread(
            target=self.roster.watch, args=(self._stopping,), name="hub-registry", daemon=True
        )
        self.forwarder = forwarder_if_configured(store, self.sessions, self.schema_ready)

    def start(self) -> None:
        """Connect and record. If the database is down, start anyway: messages wait in the
        broker, unacknowledged, until it is back."""
        self._try_migrate()
        self._worker.start()
        if self.forwarder is not None:
            self.forwarder.start()
        self.escalation.start()
        self.link.start()
        if self.roster.path is not None:
            self._watcher.start()
        if self.intake is not None:
            self.intake.start()

    def threads(self) -> dict[str, threading.Thread | None]:
        """The hub's threads, for the watchdog (broker/supervisor.py)."""
        links = [self.link, *(self.intake.links() if self.intake else [])]
        return {
            "recorder": self._worker if self._worker.ident else None,
            "escalation": self.escalation.thread,
            **({"forwarder": self.forwarder.thread} if self.forwarder is not None else {}),
            **{f"mqtt {link.device_id}": link.network_thread for link in links},
        }

    def reload_roster(self) -> bool:
        """Re-read the registry now (SIGHUP); False if it is unreadable."""
        return self.roster.reload()

    def stop(self) -> None:
        if self.forwarder is not None:
            self.forwarder.stop()
        self.escalation.stop()
        self._stopping.set()
        self._inbox.put(None)
        self._worker.join(10)
        if self.intake is not None:
            self.intake.stop()
        final = (self._status_topic, encode(self._presence(online=False, clean=True)))
        self.link.stop(final_message=final)
        self.engine.dispose()

    # Network thread ------------------------------------------------------------------

    def _admit(self, received: Received) -> None:
        """The one admission point: is this message acceptable on its topic? (network thread)

        Admitted messages go to the escalation thread at once and to the recorder's queue;
        refused ones go to the recorder's queue too, so that every acknowledgement leaves in
        arrival order, as MQTT requires (MQTT 5, 4.6).
        """
        with self._deferred_lock:
            behind = self._deferred > 0
            if behind:
                self._deferred += 1
        if behind:
            admitted = _Admitted(received, None)  # judged in order, after those before it
        else:
            try:
                admitted = self._judge(received)
            except SQLAlchemyError as error:
                log.warning(
                    "who raised the alert on %s must come from the database, which did not "
                    "answer (%s): judged again when it does",
                    received.topic,
                    error.__class__.__name__,
                )
                with self._deferred_lock:
                    self._deferred += 1
                admitted = _Admitted(received, None)
        self._inbox.put(admitted)
        if admitted.incoming is not None:
            self.escalation.feed(admitted.incoming.message, retained=received.retained)

    def _judge(self, received: Received) -> _Admitted:
        """The authorization rule's verdict; SQLAlchemyError if it needed the database."""
        verdict = self.admission.judge(received)
        if verdict.message is None:
            return _Admitted(received, None, verdict.reason or "refused")
        if verdict.reason:
            log.warning("corrected message on %s: %s", received.topic, verdict.reason)
        incoming = Incoming(verdict.message, received.topic, received.payload, datetime.now(UTC))
        return _Admitted(received, incoming)

    def _on_link_event(self, event: LinkEvent) -> None:
        if event.state is LinkState.ONLINE:
            payload = encode(self._presence(online=True, clean=True))
            self.link.publish(self._status_topic, payload, retain=True)
            self._publish_roster(self.roster.index.roster, connected=True)
            self.escalation.connected()

    def _publish_own(self, message: Message) -> None:
        """Rungs and hub-raised alerts go out on the hub's own channel; we record them when
        they come back, like everyone else's."""
        self.link.publish(self._escalation_topic, encode(message))

    def _roster_changed(self, roster: Roster, registry: Registry) -> None:
        self.escalation.set_counters(kiosk_counters(registry))
        self._publish_roster(roster)

    def _publish_roster(self, roster: Roster | None, *, connected: bool = False) -> None:
        # offline, it is published on connecting
        if roster is not None and (connected or self.link.connected):
            self.link.publish(self._roster_topic, encode(roster), retain=True)

    def _presence(self, *, online: bool, clean: bool) -> Presence:
        entry = self.roster.index.entry(self.config.device)
        return Presence(
            store=self.config.store,
            device=self.config.device,
            kind="hub",
            role="hub",
            online=online,
            clean=clean,
            display_name=entry.display_name if entry is not None else "hub",
        )

    # Recorder thread -------------------------------------------------------------------

    def _try_migrate(self) -> bool:
        try:
            migrate(self.database_url)
        except (SQLAlchemyError, OSError) as error:
            log.error(
                "database not reachable (%s); messages wait unacknowledged, retry in %.0f s",
                error.__class__.__name__,
                DB_RETRY_S,
            )
            return False
        self.schema_ready.set()
        return True

    def _prepare_database(self) -> bool:
        """Retry the migration while the database is unreachable. False if stopped first."""
        while not self.schema_ready.is_set():
            if self._stopping.is_set():
                return False
            if not self._try_migrate():
                self._stopping.wait(DB_RETRY_S)
        return True

    def _work(self) -> None:
        if not self._prepare_database():
            return
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if not self._handle(batch):
                return

    def _next_batch(self) -> list[_Admitted] | None:
        """Up to ``batch_max`` messages, or what came within ``batch_wait_s`` of the first."""
        first = self._inbox.get()
        if first is None:
            return None
        batch = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_max:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._inbox.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                self._inbox.put(None)  # stop after this batch
                break
            batch.append(item)
        return batch

    def _handle(self, batch: list[_Admitted]) -> bool:
        """Record a batch, then acknowledge it. False if stopped before it was written."""
        batch = self._judge_deferred(batch)
        if batch is None:
            return False
        for item in batch:
            if item.incoming is None:
                self.stats.rejected += 1
                self.stats.rejections.append(item.refusal)
                log.warning("rejected message on %s: %s", item.received.topic, item.refusal)
        admitted = [item.incoming for item in batch if item.incoming is not None]
        outcome = self._record(admitted)
        if outcome is None:
            return False
        for item in batch:  # refused ones too: resending cannot make them valid
            self._link_of(item.received).ack(item.received)
        self.stats.batches += 1
        self._after_commit(outcome)
        return True

    def _link_of(self, received: Received) -> MqttLink:
        """The session a message came in on, which is the one that must acknowledge it."""
        link = self.intake.link_for(received.topic) if self.intake is not None else None
        return link or self.link

    def _judge_deferred(self, batch: list[_Admitted]) -> list[_Admitted] | None:
        """Judge again what admission could not (the database was down), retrying through the
        outage; None if stopped first."""
        if not any(item.deferred for item in batch):
            return batch
        judged: list[_Admitted] = []
        for item in batch:
            while item.deferred and not self._stopping.is_set():
                try:
                    item = self._judge(item.received)
                except SQLAlchemyError as error:
                    log.error(
                        "database unavailable; message on %s stays unacknowledged, retry in "
                        "%.0f s: %s",
                        item.received.topic,
                        DB_RETRY_S,
                        error.__class__.__name__,
                    )
                    self._stopping.wait(DB_RETRY_S)
                    continue
                if item.incoming is not None:
                    self.escalation.feed(item.incoming.message, retained=item.received.retained)
                if not item.deferred:
                    with self._deferred_lock:
                        self._deferred -= 1
            if item.deferred:
                return None
            judged.append(item)
        return judged

    def _record(self, admitted: list[Incoming]) -> BatchOutcome | None:
        """Write the batch, retrying through outages; None if stopped first."""
        while not self._stopping.is_set():
            try:
                return self.recorder.record_batch(admitted)
            except Outage as error:
                log.error(
                    "database unavailable; %d message(s) stay unacknowledged, retry in %.0f s: %s",
                    len(admitted),
                    DB_RETRY_S,
                    error,
                )
                self._stopping.wait(DB_RETRY_S)
        return None

    def _after_commit(self, outcome: BatchOutcome) -> None:
        self.stats.recorded += len(outcome.new)
        self.stats.duplicates += len(outcome.duplicates)
        self.stats.quarantined += len(outcome.dead)
        store, hub = self.config.store, self.config.device
        receipts = [m for m in (*outcome.new, *outcome.duplicates) if isinstance(m, IncidentReport)]
        for letter in outcome.dead:
            self._announce_dead_letter(letter)
            if isinstance(letter.incoming.message, IncidentReport):
                receipts.append(letter.incoming.message)  # kept verbatim: the kiosk may let go
        for report in receipts:
            # a receipt every time, duplicates too: the first one may have been lost
            receipt = IncidentRecorded(
                store=store, device=hub, report_event_id=report.event_id, for_device=report.device
            )
            self.link.publish(topics.hub_receipt(store, hub, report.device), encode(receipt))
        if self._on_recorded is not None:
            for message in outcome.new:
                alert = outcome.alerts.get(getattr(message, "alert_id", None))  # type: ignore[arg-type]
                self._on_recorded(Recorded(message, new=True, alert=alert))
            for message in outcome.duplicates:
                self._on_recorded(Recorded(message, new=False))

    def _announce_dead_letter(self, letter: DeadLetter) -> None:
        incoming = letter.incoming
        log.error(
            "quarantined a message on %s (event %s) in the dead letters: %s",
            incoming.topic,
            incoming.message.event_id,
            letter.reason,
        )
        notice = MessageQuarantined(
            store=self.config.store,
            device=self.config.device,
            kind=letter.kind,  # type: ignore[arg-type]
            topic=incoming.topic[:300],
            quarantined_event_id=incoming.message.event_id,
            reason=letter.reason[:200],
            drill=incoming.message.drill,
        )
        self.link.publish(
            topics.hub_dead_letter(self.config.store, self.config.device), encode(notice)
        )
