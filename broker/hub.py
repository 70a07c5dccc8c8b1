"""The hub service: records every event of the store and publishes the alert state.

The hub is not in the paging path (kiosk → broker → pagers works without it). It subscribes
with a persistent session and manual acknowledgement, and acknowledges a message only after its
database commit, so a hub killed mid-write gets the message again. A database outage stops
recording, not the store: the message stays unacknowledged and is retried until it is written.

Nothing is recorded before :func:`shared.authz.judge` accepts it, against the roster built from
the registry (which the hub also publishes, retained, for the devices) and the database's
memory of who raised each alert. The hub re-reads the registry when the file changes (and on
SIGHUP, see broker/commands.py), so a device provisioned later is recognised everywhere.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from broker.escalation import HubEscalation
from broker.forwarder import forwarder_if_configured
from broker.intake import Intake
from broker.recorder import Recorded, Recorder
from broker.registry import Registry
from shared import topics
from shared.alerts.policy import Policy, default_policy
from shared.authz import RosterIndex, Verdict, judge_payload
from shared.db.engine import make_engine, migrate, session_factory
from shared.db.models import AlertRow
from shared.mqtt_link import LinkEvent, LinkState, MqttLink, Received
from shared.protocol import (
    AlertState,
    DeviceKind,
    IncidentRecorded,
    IncidentReport,
    Message,
    Presence,
    encode,
)
from shared.settings import ConfigError, DeviceConfig

log = logging.getLogger(__name__)

DB_RETRY_S = 2.0
REGISTRY_POLL_S = 2.0


@dataclass
class HubStats:
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[str] = field(default_factory=list)


class Hub:
    """Recorder loop plus retained alert state, for one store."""

    def __init__(
        self,
        config: DeviceConfig,
        database_url: str,
        *,
        on_recorded: Callable[[Recorded], None] | None = None,
        policy: Policy | None = None,
        counters: dict[str, str] | None = None,
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
        self._on_recorded = on_recorded
        self._inbox: queue.Queue[Received | None] = queue.Queue()
        self._stopping = threading.Event()
        store = config.store
        self._status_topic = topics.status(store, "hub", config.device)
        self._escalation_topic = topics.hub_escalation(store, config.device)
        self._roster_topic = topics.hub_roster(store, config.device)
        self._registry_path = registry_path
        self._registry_seen: tuple[int, int] | None = None
        self.roster = RosterIndex()
        registry = self._read_registry()
        if registry is not None:
            counters = _counters(registry)
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
            on_received=self._inbox.put,
            on_link_event=self._on_link_event,
            manual_ack=True,
            will=(self._status_topic, encode(self._presence(online=False, clean=False))),
        )
        self.intake = Intake(config, self._inbox.put, intake) if intake is not None else None
        self._worker = threading.Thread(target=self._work, name="hub-recorder", daemon=True)
        self._watcher = threading.Thread(target=self._watch, name="hub-registry", daemon=True)
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
        if self._registry_path is not None:
            self._watcher.start()
        if self.intake is not None:
            self.intake.start()

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

    def _on_link_event(self, event: LinkEvent) -> None:
        if event.state is LinkState.ONLINE:
            payload = encode(self._presence(online=True, clean=True))
            self.link.publish(self._status_topic, payload, retain=True)
            self._publish_roster(connected=True)
            self.escalation.connected()

    def _publish_own(self, message: Message) -> None:
        """Rungs and hub-raised alerts go out on the hub's own channel; we record them when
        they come back, like everyone else's."""
        self.link.publish(self._escalation_topic, encode(message))

    def _presence(self, *, online: bool, clean: bool) -> Presence:
        entry = self.roster.entry(self.config.device)
        return Presence(
            store=self.config.store,
            device=self.config.device,
            kind="hub",
            role="hub",
            online=online,
            clean=clean,
            display_name=entry.display_name if entry is not None else "hub",
        )

    # Roster ------------------------------------------------------------------------------

    def reload_roster(self) -> bool:
        """Re-read the registry; publish the roster if it changed. False if it is unreadable
        (the previous roster stays in force)."""
        previous = self.roster.roster
        registry = self._read_registry()
        if registry is None:
            return False
        if previous is None or previous.devices != self.roster.roster.devices:  # type: ignore[union-attr]
            self.escalation.set_counters(_counters(registry))
            self._publish_roster()
        return True

    def _read_registry(self) -> Registry | None:
        """Load the registry into ``self.roster``; None (roster unchanged) if unusable."""
        if self._registry_path is None:
            return None
        try:
            stat = self._registry_path.stat()
            registry = Registry.load(self._registry_path)
            roster = registry.roster(self.config.device)
        except (OSError, ConfigError, ValidationError) as error:
            log.error("registry not usable, keeping the previous roster: %s", error)
            return None
        self._registry_seen = (stat.st_mtime_ns, stat.st_size)
        if self.roster.roster is None or self.roster.roster.devices != roster.devices:
            self.roster = RosterIndex(roster)
            log.info("roster of store %s: %d device(s)", roster.store, len(roster.devices))
        return registry

    def _publish_roster(self, *, connected: bool = False) -> None:
        roster = self.roster.roster
        # offline, it is published on connecting
        if roster is not None and (connected or self.link.connected):
            self.link.publish(self._roster_topic, encode(roster), retain=True)

    def _watch(self) -> None:
        """Reload the roster when the registry file changes (``calmdesk provision``)."""
        assert self._registry_path is not None
        while not self._stopping.wait(REGISTRY_POLL_S):
            try:
                stat = self._registry_path.stat()
            except OSError:
                continue
            if (stat.st_mtime_ns, stat.st_size) != self._registry_seen:
                self.reload_roster()

    def _owner_of(self, alert_id: uuid.UUID) -> str | None:
        """Who raised an alert, from the database (the one memory that survives restarts)."""
        with self.sessions() as session:
            return session.scalar(select(AlertRow.kiosk).where(AlertRow.alert_id == alert_id))

    def _judge(self, received: Received) -> Verdict:
        """The authorization rule; a database error propagates (an outage: retried)."""
        try:
            return judge_payload(
                received.topic,
                received.payload,
                retained=received.retained,
                roster=self.roster,
                owner_of=self._owner_of,
            )
        except SQLAlchemyError:
            raise
        except Exception as error:  # a bug in the rule must not stop the recorder thread
            log.exception("could not judge a message on %s", received.topic)
            return Verdict(None, f"could not be judged ({error.__class__.__name__})")

    # Worker thread ---------------------------------------------------------------------

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
            received = self._inbox.get()
            if received is None:
                return
            if self._handle(received):
                link = self.intake.link_for(received.topic) if self.intake else None
                (link or self.link).ack(received)

    def threads(self) -> dict[str, threading.Thread | None]:
        """The hub's threads, for the watchdog (broker/supervisor.py)."""
        links = [self.link, *(self.intake.links() if self.intake else [])]
        return {
            "recorder": self._worker if self._worker.ident else None,
            "escalation": self.escalation.thread,
            **({"forwarder": self.forwarder.thread} if self.forwarder is not None else {}),
            **{f"mqtt {link.device_id}": link.network_thread for link in links},
        }

    def _handle(self, received: Received) -> bool:
        """Judge and record one message. False only when stopping before it was written."""
        while not self._stopping.is_set():
            try:
                # the judge reads the database (who raised the alert): inside the retry loop
                verdict = self._judge(received)
                if verdict.message is None:
                    break
                message = verdict.message
                result = self.recorder.record(message)
                break
            except SQLAlchemyError as error:
                log.error(
                    "database unavailable; message on %s stays unacknowledged, retry in %.0f s: %s",
                    received.topic,
                    DB_RETRY_S,
                    error.__class__.__name__,
                )
                self._stopping.wait(DB_RETRY_S)
        else:
            return False
        if verdict.message is None:
            self.stats.rejected += 1
            self.stats.rejections.append(verdict.reason)
            log.warning("rejected message on %s: %s", received.topic, verdict.reason)
            return True  # acknowledged, never recorded: resending it cannot make it valid
        if verdict.reason:
            log.warning("corrected message on %s: %s", received.topic, verdict.reason)
        if result.new:
            self.stats.recorded += 1
            self.escalation.observe(message, retained=received.retained)
        else:
            self.stats.duplicates += 1
        self._publish_consequences(result)
        if self._on_recorded is not None:
            self._on_recorded(result)
        return True

    def _publish_consequences(self, result: Recorded) -> None:
        message = result.message
        store, hub = self.config.store, self.config.device
        if isinstance(message, IncidentReport):
            # a receipt every time, duplicates too: the first one may have been lost
            receipt = IncidentRecorded(
                store=store, device=hub, report_event_id=message.event_id, for_device=message.device
            )
            self.link.publish(topics.hub_receipt(store, hub, message.device), encode(receipt))
        alert = result.alert
        if alert is None or not result.new:
            return
        topic = topics.hub_alert_state(store, hub, alert.alert_id)
        if alert.status in ("resolved", "cancelled"):
            self.link.publish(topic, b"", retain=True)  # clears the retained state
            return
        state = AlertState(
            store=store,
            device=hub,
            drill=alert.drill,
            alert_id=alert.alert_id,
            kiosk=alert.kiosk,
            counter=alert.counter,
            silent=alert.silent,
            escalation_steps=alert.escalation_steps,
            level=alert.level,  # type: ignore[arg-type]
            status=alert.status,  # type: ignore[arg-type]
            raised_at=alert.raised_at,
            responders=[alert.acknowledged_by] if alert.acknowledged_by else [],
        )
        self.link.publish(topic, encode(state), retain=True)


def _counters(registry: Registry) -> dict[str, str]:
    """Counter names for the alerts the hub raises when a kiosk drops off the network."""
    return {d.id: d.counter or d.display_name for d in registry.by_role("kiosk")}
