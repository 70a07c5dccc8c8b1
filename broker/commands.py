"""``calmdesk provision``, ``calmdesk hub`` and ``calmdesk demo``."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from broker.caution_command import add_caution_parser
from broker.intake import device_kind, publishing_devices
from broker.listeners import check_listeners
from broker.mosquitto import (
    BrokerError,
    MosquittoProcess,
    free_port,
    raise_fd_limit,
    reload_broker,
)
from broker.provision import ProvisionError, broker_files, enable_tls, provision, provision_demo
from broker.registry import Device, Registry, check_emergency_number
from broker.roster_keeper import kiosk_counters
from broker.supervisor import BrokerSupervisor, dead_parts
from shared.protocol import DeviceKind
from shared.settings import ConfigError, DeviceConfig, HubSettings, device_file

log = logging.getLogger(__name__)


def _settings(args: argparse.Namespace) -> HubSettings:
    overrides: dict[str, object] = {"data_dir": args.data_dir}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "allow_plaintext_listener", False):
        overrides["allow_plaintext_listener"] = True
    return HubSettings(**overrides)  # type: ignore[arg-type]


def run_provision(args: argparse.Namespace) -> int:
    try:
        return _provision(args)
    except BrokerError as error:
        print(f"calmdesk provision: {error}", file=sys.stderr)
        return 2


def _provision(args: argparse.Namespace) -> int:
    settings = _settings(args)
    exposed = check_listeners(
        broker_files(settings), allow_plaintext=settings.allow_plaintext_listener
    )
    for listener in exposed:
        print(f"warning: plaintext listener allowed off loopback: port {listener.port}")
    if args.tls:
        return _provision_tls(args, settings)
    if args.demo:
        done = provision_demo(settings, port=args.port or 1883)
        if not done:
            print(f"demo store already provisioned in {settings.data_dir} (nothing changed)")
        _demo_console_users(settings)
    else:
        if not args.device:
            print("say --demo, or --device ID --role ROLE (see --help)", file=sys.stderr)
            return 2
        if settings.registry_path.exists():
            registry = Registry.load(settings.registry_path)
        elif args.store:
            registry = Registry(store=args.store, broker_port=args.port or 1883)
        else:
            print("no registry yet: give --store ID for a new store", file=sys.stderr)
            return 2
        if args.emergency_number is not None:
            try:
                registry.emergency_number = check_emergency_number(args.emergency_number)
            except ValueError as error:
                print(f"calmdesk provision: {error}", file=sys.stderr)
                return 2
        existing = registry.device(args.device)
        role = args.role or (existing.role if existing else None)
        if role is None:
            print(f"{args.device} is new: give --role", file=sys.stderr)
            return 2
        device = Device(
            id=args.device,
            role=role,
            display_name=args.name or (existing.display_name if existing else ""),
            counter=args.counter or (existing.counter if existing else ""),
        )
        try:
            done = provision(settings, registry, [device])
        except ProvisionError as error:
            print(f"calmdesk provision: {error}", file=sys.stderr)
            return 2
    for item in done:
        print(f"{item.device.id:10} {item.device.role:9} password {item.password}  -> {item.file}")
    if done:
        print("Passwords are shown once. Copy each device file onto its device; keep var/ private.")
    files = broker_files(settings)
    print(f"broker files written to {files.folder}")
    if reload_broker(files):
        print("the running broker reloaded its passwords and ACL: new devices can connect now")
    else:
        print("no broker is running on these files; `calmdesk hub` loads them when it starts")
    return 0


def _provision_tls(args: argparse.Namespace, settings: HubSettings) -> int:
    registry = Registry.load(settings.registry_path)
    hosts = args.tls_host or registry.tls_hosts
    if not hosts:
        print("--tls needs --tls-host NAME (the hub machine's name or address on the store LAN)",
              file=sys.stderr)
        return 2
    rewritten = enable_tls(
        settings,
        registry,
        hosts=hosts,
        port=args.tls_port or registry.tls_port or 8883,
        bind=args.tls_bind or registry.tls_bind,
    )
    tls = broker_files(settings).tls
    print(f"store CA {tls.ca_cert} (its key {tls.ca_key} never leaves this machine)")
    print(f"broker certificate for {', '.join(hosts)}: {tls.server_cert}")
    print(f"TLS listener on {registry.tls_bind}:{registry.tls_port}")
    for path in rewritten:
        print(f"updated {path} (same password; now the CA and the TLS address): copy it again")
    if reload_broker(broker_files(settings)):
        print("restart the hub to open the TLS listener (a reload does not add listeners)")
    return 0


class StoreServices:
    """Mosquitto plus the hub, started and stopped together; the broker is supervised."""

    def __init__(self, settings: HubSettings, *, with_broker: bool = True) -> None:
        from broker.hub import Hub  # SQLAlchemy is only needed here

        self.settings = settings
        self.registry = Registry.load(settings.registry_path)
        self._registry_mtime = settings.registry_path.stat().st_mtime
        hub_config = DeviceConfig.load(device_file(settings, self.registry.hub.id))
        self.broker = (
            MosquittoProcess(broker_files(settings), "127.0.0.1", self.registry.broker_port)
            if with_broker
            else None
        )
        self.supervisor = BrokerSupervisor(self.broker) if self.broker is not None else None
        from shared.alerts.policy import load_store_policy

        self.hub = Hub(
            hub_config,
            settings.resolved_database_url(),
            policy=load_store_policy(self.registry.store, settings.data_dir / "policies"),
            counters=kiosk_counters(self.registry),
            registry_path=settings.registry_path,
            intake=self._intake_devices(),
        )
        self.database_url = settings.resolved_database_url()

    def _intake_devices(self) -> list[tuple[str, DeviceKind]]:
        return [(d.id, device_kind(d)) for d in publishing_devices(self.registry)]

    def start(self) -> None:
        if self.broker is not None:
            check_listeners(
                self.broker.files, allow_plaintext=self.settings.allow_plaintext_listener
            )
            limit = raise_fd_limit()
            log.info("open-file limit for the hub and its broker: %d", limit)
            self.broker.start()
        self.hub.start()
        if self.supervisor is not None:
            self.supervisor.start()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
        self.hub.stop()
        if self.broker is not None:
            self.broker.stop()

    def problems(self) -> list[str]:
        """What has died and will not heal by itself (the watchdog's view); [] when healthy."""
        found = [f"hub thread {name} died" for name in dead_parts(self.hub.threads())]
        if self.supervisor is not None:
            if self.supervisor.problem:
                found.append(self.supervisor.problem)
            elif not self.supervisor.alive:
                found.append("the broker supervisor thread died")
        return found

    def follow_registry(self) -> None:
        """A device provisioned while running gets its intake session at once."""
        try:
            mtime = self.settings.registry_path.stat().st_mtime
            if mtime == self._registry_mtime:
                return
            self._registry_mtime = mtime
            self.registry = Registry.load(self.settings.registry_path)
        except (OSError, ConfigError) as error:
            log.warning("could not reread the registry: %s", error)
            return
        if self.hub.intake is not None:
            self.hub.intake.sync(self._intake_devices())


def supervise(services: StoreServices, stop: threading.Event, poll_s: float = 0.5) -> int:
    """Run until ``stop`` is set (0) or a part of the hub died for good (1: systemd restarts
    the whole service, broker included)."""
    while not stop.wait(poll_s):
        problems = services.problems()
        if problems:
            log.critical("stopping the hub so it is restarted: %s", "; ".join(problems))
            return 1
        services.follow_registry()
    return 0


def _stop_on_signal(on_hangup: Callable[[], object] | None = None) -> threading.Event:
    stop = threading.Event()
    if on_hangup is not None:  # `kill -HUP`: re-read the registry now (it is also polled)
        signal.signal(signal.SIGHUP, lambda *_: on_hangup())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def run_hub(args: argparse.Namespace) -> int:
    settings = _settings(args)
    services = StoreServices(settings, with_broker=not args.no_broker)
    stop = _stop_on_signal(on_hangup=services.hub.reload_roster)
    services.start()
    print(f"hub running for store {services.registry.store}; database {services.database_url}")
    print("Ctrl-C to stop")
    code = supervise(services, stop)
    services.stop()
    return code


def _app_command(name: str, device: str, data_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "shared.cli",
        name,
        "--device",
        device,
        "--data-dir",
        str(data_dir),
    ]


def run_demo(args: argparse.Namespace) -> int:
    """Provision a demo store, start broker + hub, a kiosk and a pager window, and a console."""
    for noisy in ("shared", "alembic", "broker.mosquitto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # the console lines say it all
    settings = HubSettings(data_dir=args.data_dir)
    port = args.port
    if port is None:
        port = 1883 if _port_free(1883) else free_port()
    done = provision_demo(settings, port=port)
    for item in done:
        print(f"provisioned {item.device.id} ({item.device.role})")
    services = StoreServices(settings)
    services.start()
    print(f"broker on 127.0.0.1:{port}, hub recording to {services.database_url}")
    apps: list[subprocess.Popen[bytes]] = []
    if args.no_apps or not os.environ.get("DISPLAY"):
        if not args.no_apps:
            print("no DISPLAY: not opening the kiosk and pager windows (watch below instead)")
    else:
        # side by side (kiosk 1280 wide, then the pager), quiet consoles (Kivy logs to a file)
        for name, device, left in (("kiosk", "kiosk-1", 0), ("pager", "pager-s1", 1300)):
            window = {
                "KCFG_GRAPHICS_POSITION": "custom",
                "KCFG_GRAPHICS_LEFT": str(left),
                "KCFG_GRAPHICS_TOP": "40",
                "KCFG_KIVY_LOG_LEVEL": "warning",
                "KIVY_NO_CONSOLELOG": "1",
            }
            command = _app_command(name, device, settings.data_dir)
            # own session: a Ctrl-C in the terminal reaches the demo only, which then closes the
            # apps cleanly (a signal to the whole group would crash them and page the managers)
            apps.append(
                subprocess.Popen(command, env={**os.environ, **window}, start_new_session=True)
            )
        print("Sign in on the pager window (Start shift) so it rings for the kiosk's alerts.")
    console = _start_console(settings)
    print(
        "Raise an alert from the kiosk window, or in another terminal:\n"
        f"  {_self()} alert --kiosk kiosk-1 --level security --data-dir {settings.data_dir}\n"
        "Ctrl-C stops everything."
    )
    from shared.console import start_watching

    watcher = start_watching(settings.data_dir, "console", threading.Event())
    try:
        supervise(services, _stop_on_signal())
    finally:
        watcher.link.stop()
        for app in apps:
            app.terminate()
        for app in apps:
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
        if console is not None:
            console.should_exit = True
        services.stop()
        print("demo stopped")
    return 0


def _demo_console_users(settings: HubSettings) -> dict[str, str]:
    try:
        from console.demo import ensure_demo_users
    except ImportError:  # the console's packages are not installed
        return {}
    logins = ensure_demo_users(settings.data_dir, settings.resolved_database_url())
    for username, password in logins.items():
        print(f"console login {username:8} password {password}")
    return logins


def _start_console(settings: HubSettings):  # type: ignore[no-untyped-def]
    """The web console on 127.0.0.1:8553 (or a free port); None if it cannot run here."""
    try:
        from console.commands import DEFAULT_PORT, serve
        from console.config import ConsoleSettings
    except ImportError as error:
        print(f"console not started: {error}")
        return None
    logins = _demo_console_users(settings)
    port = DEFAULT_PORT if _port_free(DEFAULT_PORT) else free_port()
    server, _ = serve(ConsoleSettings.from_hub(settings.data_dir), "127.0.0.1", port)
    first = next(iter(logins.items()), ("manager", "?"))
    print(f"console: http://127.0.0.1:{port}/  sign in as {first[0]} / {first[1]}")
    return server


def _self() -> str:
    if Path(sys.argv[0]).name == "calmdesk":
        return sys.argv[0] if not shutil.which("calmdesk") else "calmdesk"
    return f"{sys.executable} -m shared.cli"


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def add_parsers(sub: argparse._SubParsersAction, data_dir: argparse.ArgumentParser) -> None:
    prov = sub.add_parser(
        "provision",
        parents=[data_dir],
        help="create devices and their credentials; write Mosquitto's config, passwords and ACL",
        description="Each device gets its own password (shown once) and a device file to copy "
        "onto it. Safe to run again; --device on an existing device rotates its password.",
    )
    prov.add_argument("--demo", action="store_true", help="provision a complete demo store")
    prov.add_argument("--store", help="store id for a new registry")
    prov.add_argument("--device", help="device id to add or re-provision")
    prov.add_argument("--role", choices=["kiosk", "manager", "security", "hub", "monitor"])
    prov.add_argument("--name", help="display name (the pager holder, or the counter)")
    prov.add_argument("--counter", help="counter name shown to responders (kiosks)")
    prov.add_argument("--port", type=int, help="broker port (default 1883)")
    prov.add_argument(
        "--tls",
        action="store_true",
        help="make a store CA and a broker certificate, add a TLS listener for the LAN, and "
        "put the CA and the TLS address into every device file (passwords unchanged)",
    )
    prov.add_argument(
        "--tls-host",
        action="append",
        help="name or address devices use to reach the hub machine (repeatable)",
    )
    prov.add_argument("--tls-port", type=int, help="TLS listener port (default 8883)")
    prov.add_argument("--tls-bind", help="address the TLS listener binds (default 0.0.0.0)")
    prov.add_argument(
        "--allow-plaintext-listener",
        action="store_true",
        help="accept a broker listener without TLS on a non-loopback address (trusted LAN only)",
    )
    prov.add_argument(
        "--emergency-number",
        metavar="NUMBER",
        help="the store's emergency number (police, fire, ambulance), shown large on the kiosk "
        "wherever a step says to phone; required before the first kiosk (--demo uses 112). "
        "Changing it: re-provision each kiosk so its device file carries the new number",
    )
    prov.set_defaults(func=run_provision)

    hub = sub.add_parser(
        "hub",
        parents=[data_dir],
        help="start Mosquitto with the generated config and run the recorder",
        description="Runs until Ctrl-C or SIGTERM.",
    )
    hub.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    hub.add_argument("--no-broker", action="store_true", help="use a broker started elsewhere")
    hub.add_argument(
        "--allow-plaintext-listener",
        action="store_true",
        help="accept a broker listener without TLS on a non-loopback address (trusted LAN only)",
    )
    hub.set_defaults(func=run_hub)

    demo = sub.add_parser(
        "demo",
        parents=[data_dir],
        help="run a whole demo store: broker, hub, a kiosk and a pager (SQLite)",
        description="Provisions a demo store if needed and starts everything; Ctrl-C stops all.",
    )
    demo.add_argument("--port", type=int, help="broker port (default 1883, or a free one)")
    demo.add_argument("--no-apps", action="store_true", help="broker, hub and console only")
    demo.set_defaults(func=run_demo)

    add_caution_parser(sub, data_dir)


__all__ = ["BrokerError", "ConfigError", "add_parsers"]
