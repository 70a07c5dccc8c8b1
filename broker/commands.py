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
from pathlib import Path

from broker.caution_command import add_caution_parser
from broker.mosquitto import BrokerError, MosquittoProcess, free_port, reload_broker
from broker.provision import ProvisionError, broker_files, provision, provision_demo
from broker.registry import Device, Registry, check_emergency_number
from shared.settings import ConfigError, DeviceConfig, HubSettings, device_file

log = logging.getLogger(__name__)


def _settings(args: argparse.Namespace) -> HubSettings:
    overrides = {"data_dir": args.data_dir}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return HubSettings(**overrides)


def run_provision(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.demo:
        done = provision_demo(settings, port=args.port or 1883)
        if not done:
            print(f"demo store already provisioned in {settings.data_dir} (nothing changed)")
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


class StoreServices:
    """Mosquitto plus the hub, started and stopped together."""

    def __init__(self, settings: HubSettings, *, with_broker: bool = True) -> None:
        from broker.hub import Hub  # SQLAlchemy is only needed here

        self.registry = Registry.load(settings.registry_path)
        hub_config = DeviceConfig.load(device_file(settings, self.registry.hub.id))
        self.broker = (
            MosquittoProcess(broker_files(settings), "127.0.0.1", self.registry.broker_port)
            if with_broker
            else None
        )
        from shared.alerts.policy import load_store_policy

        self.hub = Hub(
            hub_config,
            settings.resolved_database_url(),
            policy=load_store_policy(self.registry.store, settings.data_dir / "policies"),
            counters={d.id: d.counter or d.display_name for d in self.registry.by_role("kiosk")},
        )
        self.database_url = settings.resolved_database_url()

    def start(self) -> None:
        if self.broker is not None:
            self.broker.start()
        self.hub.start()

    def stop(self) -> None:
        self.hub.stop()
        if self.broker is not None:
            self.broker.stop()


def _wait_for_signal() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def run_hub(args: argparse.Namespace) -> int:
    settings = _settings(args)
    services = StoreServices(settings, with_broker=not args.no_broker)
    services.start()
    print(f"hub running for store {services.registry.store}; database {services.database_url}")
    print("Ctrl-C to stop")
    _wait_for_signal()
    services.stop()
    return 0


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
    print(
        "Raise an alert from the kiosk window, or in another terminal:\n"
        f"  {_self()} alert --kiosk kiosk-1 --level security --data-dir {settings.data_dir}\n"
        "Ctrl-C stops everything."
    )
    from shared.console import start_watching

    watcher = start_watching(settings.data_dir, "console", threading.Event())
    try:
        _wait_for_signal()
    finally:
        watcher.link.stop()
        for app in apps:
            app.terminate()
        for app in apps:
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
        services.stop()
        print("demo stopped")
    return 0


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
