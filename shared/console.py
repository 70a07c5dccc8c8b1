"""Terminal tools: ``calmdesk watch`` prints every event of the store as it arrives, one line
each, like a console pager; ``calmdesk alert`` (``shared.alert_command``) raises an alert."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from pathlib import Path

from shared import topics
from shared.alert_command import add_parser as add_alert_parser
from shared.device_runtime import DeviceRuntime
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
    add_alert_parser(sub, data_dir)  # its own light module: a panic button starts it

    watcher = sub.add_parser(
        "watch",
        parents=[data_dir],
        help="print every event of the store as it arrives",
        description="A console pager: one line per event. Ctrl-C to stop.",
    )
    watcher.add_argument("--device", default="console", help="a provisioned device to watch as")
    watcher.set_defaults(func=watch)
