"""The hub service: records every event of the store and publishes the alert state.

The hub is not in the paging path (kiosk → broker → pagers works without it). It subscribes
with a persistent session and manual acknowledgement, and acknowledges a message only after its
database commit, so a hub killed mid-write gets the message again. A database outage stops
recording, not the store: the message stays unacknowledged and is retried until it is written.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from broker.escalation import HubEscalation
from broker.forwarder import forwarder_if_configured
from broker.recorder import Recorded, Recorder, Rejected, validate
from shared import topics
from shared.alerts.policy import Policy, default_policy
from shared.db.engine import make_engine, migrate, session_factory
from shared.mqtt_link import LinkEvent, LinkState, MqttLink, Received
from shared.protocol import (
    AlertState,
    IncidentRecorded,
    IncidentReport,
    Message,
    Presence,
    encode,
)
from shared.settings import DeviceConfig

log = logging.getLogger(__name__)

DB_RETRY_S = 2.0


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
    ) -> None:
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
            ],
            on_received=self._inbox.put,
            on_link_event=self._on_link_event,
            manual_ack=True,
            will=(self._status_topic, encode(self._presence(online=False, clean=False))),
        )
        self._worker = threading.Thread(target=self._work, name="hub-recorder", daemon=True)
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

    def stop(self) -> None:
        if self.forwarder is not None:
            self.forwarder.stop()
        self.escalation.stop()
        self._stopping.set()
        self._inbox.put(None)
        self._worker.join(10)
        final = (self._status_topic, encode(self._presence(online=False, clean=True)))
        self.link.stop(final_message=final)
        self.engine.dispose()

    # Network thread ------------------------------------------------------------------

    def _on_link_event(self, event: LinkEvent) -> None:
        if event.state is LinkState.ONLINE:
            payload = encode(self._presence(online=True, clean=True))
            self.link.publish(self._status_topic, payload, retain=True)
            self.escalation.connected()

    def _publish_own(self, message: Message) -> None:
        """Rungs and hub-raised alerts go out on the hub's own channel; we record them when
        they come back, like everyone else's."""
        self.link.publish(self._escalation_topic, encode(message))

    def _presence(self, *, online: bool, clean: bool) -> Presence:
        return Presence(
            store=self.config.store,
            device=self.config.device,
            kind="hub",
            role="hub",
            online=online,
            clean=clean,
            display_name="hub",
        )

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
                self.link.ack(received)

    def _handle(self, received: Received) -> bool:
        """Validate and record one message. False only when stopping before it was written."""
        try:
            message = validate(received.topic, received.payload)
        except Rejected as error:
            self.stats.rejected += 1
            self.stats.rejections.append(str(error))
            log.warning("rejected message on %s: %s", received.topic, error)
            return True  # acknowledged, never recorded: resending it cannot make it valid
        while not self._stopping.is_set():
            try:
                result = self.recorder.record(message)
                break
            except SQLAlchemyError as error:
                log.error(
                    "database unavailable; message %s stays unacknowledged, retry in %.0f s: %s",
                    message.event_id,
                    DB_RETRY_S,
                    error.__class__.__name__,
                )
                self._stopping.wait(DB_RETRY_S)
        else:
            return False
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
