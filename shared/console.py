"""Terminal tools: ``calmdesk alert`` raises an alert as a kiosk, ``calmdesk watch`` prints
every event of the store as it arrives, one line each, like a console pager."""

from __future__ import annotations

import argparse
import queue
import signal
import threading
import time
from pathlib import Path

from shared import topics
from shared.device_runtime import Delivery, DeviceRuntime
from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    AlertState,
    Message,
    MessageQuarantined,
    OnScene,
    Presence,
    Resolved,
)
from shared.settings import ConfigError, DeviceConfig, HubSettings, device_file


def _config(data_dir: Path, device: str, *, role: str | None = None) -> DeviceConfig:
    config = DeviceConfig.load(device_file(HubSettings(data_dir=data_dir), device))
    if role is not None and config.role != role:
        raise SystemExit(f"{device} is a {config.role}, not a {role}")
    return config


def raise_alert(args: argparse.Namespace) -> int:
    """Raise an alert through the kiosk's own outbox; report honestly what happened."""
    config = _config(args.data_dir, args.kiosk, role="kiosk")
    deliveries: queue.Queue[Delivery] = queue.Queue()
    runtime = DeviceRuntime(
        config,
        args.data_dir,
        subscriptions=[],
        on_message=lambda message: None,
        on_delivery=deliveries.put,
        announce_presence=False,
        borrowed=True,
    )
    runtime.start()
    alert = AlertRaised(
        store=config.store,
        device=config.device,
        level=args.level,
        silent=args.silent,
        drill=args.drill,
        counter=config.counter or config.display_name or config.device,
    )
    runtime.send(alert, topics.kiosk_alert(config.store, config.device))
    label = f"{'DRILL ' if args.drill else ''}{args.level} alert {alert.alert_id}"
    deadline = time.monotonic() + args.wait
    try:
        while True:
            remaining = deadline - time.monotonic()
            delivery = deliveries.get(timeout=max(remaining, 0.01))
            if delivery.event_id != alert.event_id:
                continue
            if delivery.status == "delivered":
                print(f"{label}: delivered to the store broker ({delivery.detail})")
                return 0
            if delivery.status == "failed":
                print(f"{label}: NOT DELIVERED, the broker refused it: {delivery.detail}")
                return 2
    except queue.Empty:
        print(
            f"{label}: NOT DELIVERED yet (broker unreachable). It is kept in "
            f"{runtime.outbox.path} and sent when the kiosk next connects. Call for help now."
        )
        return 3
    finally:
        runtime.link.stop()


def describe(message: Message) -> str:
    """One human line for an event."""
    if isinstance(message, AlertRaised):
        situation = message.context.situation or "no situation chosen"
        silent = " SILENT" if message.silent else ""
        return f"{message.level.upper()} NEEDED{silent} at {message.counter} ({situation})"
    if isinstance(message, AlertCancelled):
        return f"alert cancelled by {message.device}: {message.reason.replace('_', ' ')}"
    if isinstance(message, AlertEscalated):
        extra = " - CALL FOR HELP by phone or out loud" if message.call_for_help else ""
        roles = ", ".join(message.notify_roles) or "same responders"
        return f"escalated ({message.step_id}): paging {roles}{extra}"
    if isinstance(message, Acknowledged):
        eta = f", ETA {message.eta_minutes} min" if message.eta_minutes is not None else ""
        return f"{message.responder_name} ({message.responder_role}) is on the way{eta}"
    if isinstance(message, OnScene):
        return f"{message.responder_name} ({message.responder_role}) is on scene"
    if isinstance(message, Resolved):
        note = f": {message.note}" if message.note else ""
        return f"resolved by {message.responder_name}{note}"
    if isinstance(message, Presence):
        state = "online" if message.online else ("offline" if message.clean else "LOST")
        duty = ", on duty" if message.on_duty else ""
        who = message.display_name or message.role
        return f"{message.kind} {message.device} ({who}) {state}{duty}"
    if isinstance(message, MessageQuarantined):
        what = f"{message.topic} ({message.kind})"
        return f"HUB COULD NOT RECORD a message on {what}: {message.reason}"
    if isinstance(message, AlertState):
        return f"alert {message.alert_id} is {message.status}"
    return message.type  # type: ignore[attr-defined, no-any-return]


def print_event(message: Message) -> None:
    when = message.sent_at.astimezone().strftime("%H:%M:%S")
    drill = "[DRILL] " if message.drill else ""
    short = str(getattr(message, "alert_id", ""))[:8]
    print(f"{when} {drill}{describe(message)}{f'  #{short}' if short else ''}", flush=True)


def start_watching(data_dir: Path, device: str, stop: threading.Event) -> DeviceRuntime:
    """Connect as ``device`` and print every store event; sets ``stop`` if refused."""
    config = _config(data_dir, device)
    store = config.store

    def link(event: LinkEvent) -> None:
        if event.state is LinkState.ONLINE:
            print(f"-- watching store {store} as {config.device}", flush=True)
        elif event.state is LinkState.REFUSED:
            print(f"-- {event.detail}", flush=True)
            stop.set()

    runtime = DeviceRuntime(
        config,
        data_dir,
        subscriptions=[
            topics.all_kiosk_alerts(store),
            topics.all_pager_acks(store),
            topics.all_status(store),
            topics.all_hub_escalations(store),
            topics.all_dead_letters(store),
        ],
        on_message=print_event,
        on_link=link,
        on_duty=False,
    )
    runtime.link.start()
    return runtime


LAG_EVERY_S = 30.0


def central_lag_line(data_dir: Path) -> str | None:
    """How far the store's record is behind the chain's central database, when it forwards
    there (CALMDESK_CENTRAL_URL set, or a forwarding mark in the store database)."""
    from sqlalchemy.exc import SQLAlchemyError

    from broker.forwarder import TARGET, read_lag
    from shared.db.engine import make_engine, session_factory
    from shared.db.models import ForwardMark

    settings = HubSettings(data_dir=data_dir)
    url = settings.resolved_database_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        with sessions() as session:
            if settings.central_url is None and session.get(ForwardMark, TARGET) is None:
                return None
        from broker.registry import Registry

        store = Registry.load(settings.registry_path).store
        return read_lag(sessions, store).describe()
    except (SQLAlchemyError, ConfigError) as error:
        return f"central: lag unknown ({error.__class__.__name__})"
    finally:
        engine.dispose()


def watch(args: argparse.Namespace) -> int:
    """Print every event of the store until Ctrl-C."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runtime = start_watching(args.data_dir, args.device, stop)
    next_lag = 0.0
    try:
        while not stop.wait(0.5):
            if time.monotonic() >= next_lag:
                next_lag = time.monotonic() + LAG_EVERY_S
                line = central_lag_line(args.data_dir)
                if line:
                    print(f"-- {line}", flush=True)
    except KeyboardInterrupt:
        pass
    runtime.link.stop()
    return 0


def add_parsers(sub: argparse._SubParsersAction, data_dir: argparse.ArgumentParser) -> None:
    alert = sub.add_parser(
        "alert",
        parents=[data_dir],
        help="raise an alert as a kiosk (drills, scripts, hardware panic buttons)",
        description="Raise a Manager or Security alert as the given kiosk, through its outbox.",
    )
    alert.add_argument(
        "--kiosk",
        required=True,
        help="kiosk device id, e.g. kiosk-1; give a hardware button its own kiosk id, since "
        "one id can hold only one connection at a time",
    )
    alert.add_argument("--level", required=True, choices=["manager", "security"])
    alert.add_argument(
        "--silent", action="store_true", help="a silent alert (no sound at the counter)"
    )
    alert.add_argument("--drill", action="store_true", help="mark it as a DRILL everywhere")
    alert.add_argument("--wait", type=float, default=5.0, help="seconds to wait for the broker")
    alert.set_defaults(func=raise_alert)

    watcher = sub.add_parser(
        "watch",
        parents=[data_dir],
        help="print every event of the store as it arrives",
        description="A console pager: one line per event. Ctrl-C to stop.",
    )
    watcher.add_argument("--device", default="console", help="a provisioned device to watch as")
    watcher.set_defaults(func=watch)
