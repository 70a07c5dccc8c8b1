"""Mosquitto's files from the registry (config, password file, ACL), and the broker process.

The ACL is written per device (a ``user`` block each) rather than with ``pattern`` lines, so a
pager's credentials cannot publish on a kiosk subtree even under its own name, and incident
reports (free text about customers) are readable by the hub alone. ``use_username_as_clientid``
pins each connection's client id to its username, so one device cannot take over another's
session.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import pwd
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from broker.intake import intake_acl_lines, intake_password_lines
from broker.registry import Device, Registry
from broker.tls import TlsFiles
from shared import topics
from shared.protocol import MAX_PAYLOAD_BYTES

log = logging.getLogger(__name__)

MAX_PACKET_BYTES = 4 * MAX_PAYLOAD_BYTES  # above any valid message plus topic and properties
# Per receiving session (each offline pager, and each of the hub's per-device intake sessions,
# see broker/intake.py): a day of a busy store's traffic from one device is under 4,000
# messages; beyond either limit Mosquitto drops silently. Numbers and reasons: docs/RELIABILITY.md
MAX_QUEUED_MESSAGES = 10_000
MAX_QUEUED_BYTES = 32 * 1024 * 1024
MAX_INFLIGHT_MESSAGES = 1_000
"""Unacknowledged messages in flight to one client. The hub acknowledges after each database
batch, so this is how far ahead of the recorder its escalation can see (docs/ARCHITECTURE.md)."""
PBKDF2_ITERATIONS = 101  # what mosquitto_passwd 2.0 writes for its "$7$" format


class BrokerError(RuntimeError):
    """Mosquitto is missing, would not start, or stopped."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """Hash a password in Mosquitto's own ``$7$`` format (PBKDF2-SHA512)."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    salt_b64, digest_b64 = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"$7${PBKDF2_ITERATIONS}${salt_b64}${digest_b64}"


def new_password() -> str:
    return secrets.token_urlsafe(18)


def acl_lines(registry: Registry, device: Device) -> list[str]:
    """The topics one device may write and read."""
    store = registry.store
    lines = [f"user {device.id}"]
    if device.role == "hub":
        lines += [
            f"topic write {topics.ROOT}/{store}/hub/{device.id}/#",
            f"topic read {topics.everything(store)}",
        ]
        return lines
    common_reads = [
        topics.all_status(store),
        topics.all_pager_acks(store),
        topics.all_hub_escalations(store),
        topics.all_alert_states(store),
        topics.receipts_for(store, device.id),
        topics.all_rosters(store),
    ]
    if device.role == "monitor":  # a read-only console: alerts and acks, never incident notes
        reads = [*common_reads, topics.all_kiosk_alerts(store), topics.all_dead_letters(store)]
        return lines + [f"topic read {t}" for t in reads]
    if device.role == "kiosk":
        writes = [
            topics.kiosk_alert(store, device.id),
            topics.kiosk_incident(store, device.id),
            topics.status(store, "kiosk", device.id),
        ]
        reads = [*common_reads, topics.kiosk_alert(store, device.id)]
    else:  # manager or security pager
        writes = [topics.pager_ack(store, device.id), topics.status(store, "pager", device.id)]
        reads = [*common_reads, topics.all_kiosk_alerts(store)]
    lines += [f"topic write {t}" for t in writes]
    lines += [f"topic read {t}" for t in reads]
    return lines


@dataclass(frozen=True)
class BrokerFiles:
    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / "mosquitto.conf"

    @property
    def passwords(self) -> Path:
        return self.folder / "passwd"

    @property
    def acl(self) -> Path:
        return self.folder / "acl"

    @property
    def persistence(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "mosquitto.log"

    @property
    def tls(self) -> TlsFiles:
        """The store CA and the broker's certificate (``calmdesk provision --tls``)."""
        return TlsFiles(self.folder / "tls")

    @property
    def operator_dir(self) -> Path:
        """``conf.d``: the operator's ``*.conf`` files, included, never written by us."""
        return self.folder / "conf.d"

    @property
    def pid(self) -> Path:
        """Written by :class:`MosquittoProcess` while its broker runs; see :func:`reload_broker`."""
        return self.folder / "mosquitto.pid"


def write_broker_files(
    files: BrokerFiles,
    registry: Registry,
    password_hashes: dict[str, str],
    *,
    bind: str = "127.0.0.1",
    port: int | None = None,
) -> None:
    """Write config, password file and ACL. ``password_hashes`` maps device id to hash."""
    files.folder.mkdir(parents=True, exist_ok=True)
    files.persistence.mkdir(exist_ok=True)
    missing = [d.id for d in registry.devices if d.id not in password_hashes]
    if missing:
        raise BrokerError(f"no password for device(s) {', '.join(missing)}; provision them")
    ensure_not_hand_edited(files)
    password_lines = [f"{d.id}:{password_hashes[d.id]}" for d in registry.devices]
    password_lines += intake_password_lines(registry, password_hashes)
    files.passwords.write_text("".join(f"{line}\n" for line in password_lines), encoding="utf-8")
    files.passwords.chmod(0o600)
    acl = ["# generated by `calmdesk provision`; edit the registry, not this file", ""]
    for device in registry.devices:
        acl += [*acl_lines(registry, device), ""]
    acl += intake_acl_lines(registry)
    files.operator_dir.mkdir(exist_ok=True)
    files.acl.write_text("\n".join(acl), encoding="utf-8")
    listen_port = port if port is not None else registry.broker_port
    if os.geteuid() == 0 and _broker_user(files) == "root":
        log.info("%s is not reachable by the mosquitto user; the broker runs as root", files.folder)
    config = f"""user {_broker_user(files)}
per_listener_settings false
allow_anonymous false
password_file {files.passwords.resolve()}
acl_file {files.acl.resolve()}

listener {listen_port} {bind}
# a listener option: it must follow the listener line to take effect
use_username_as_clientid true
max_packet_size {MAX_PACKET_BYTES}
# without it the broker's own sends wait for Nagle + delayed ACK: ~40 ms per hop, measured
set_tcp_nodelay true
max_queued_messages {MAX_QUEUED_MESSAGES}
max_queued_bytes {MAX_QUEUED_BYTES}
max_inflight_messages {MAX_INFLIGHT_MESSAGES}
persistent_client_expiration 14d
{_tls_listener(files, registry)}
# save after every change: a killed broker must not lose a queued alert
persistence true
persistence_location {files.persistence.resolve()}/
autosave_on_changes true
autosave_interval 1

log_dest file {files.log.resolve()}
log_type error
log_type warning
log_type notice
log_type information
connection_messages true

# the operator's own additions (a TLS listener, a bridge): provisioning never writes there
include_dir {files.operator_dir.resolve()}
"""
    files.config.write_text(stamp_generated(config), encoding="utf-8")
    _hand_to_broker_user(files)


def _tls_listener(files: BrokerFiles, registry: Registry) -> str:
    """The store LAN's listener when TLS is provisioned: devices connect there."""
    if registry.tls_port is None:
        return ""
    tls = files.tls
    return f"""
# the store LAN: TLS with the store's own CA (`calmdesk provision --tls`)
listener {registry.tls_port} {registry.tls_bind}
use_username_as_clientid true
certfile {tls.server_cert.resolve()}
keyfile {tls.server_key.resolve()}
tls_version tlsv1.2
"""


def read_password_hashes(files: BrokerFiles) -> dict[str, str]:
    if not files.passwords.exists():
        return {}
    hashes = {}
    for line in files.passwords.read_text(encoding="utf-8").splitlines():
        if ":" in line:
            user, hashed = line.split(":", 1)
            hashes[user] = hashed
    return hashes


def _broker_user(files: BrokerFiles) -> str:
    """The user Mosquitto runs as once started.

    Started as root, Mosquitto drops to ``mosquitto``, which must then reach the files. Under a
    folder it cannot enter (a root-only home or temp dir) it keeps running as root, with a
    warning; a production install puts the folder under /var/lib/calmdesk instead.
    """
    if os.geteuid() != 0:
        return "mosquitto"  # ignored unless started as root
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return "root"
    for parent in files.folder.resolve().parents:
        if not parent.stat().st_mode & 0o001:
            return "root"
    return "mosquitto"


def _hand_to_broker_user(files: BrokerFiles) -> None:
    """Let the ``mosquitto`` user read the config and write persistence and log."""
    if os.geteuid() != 0 or _broker_user(files) != "mosquitto":
        return
    try:
        user = pwd.getpwnam("mosquitto")
    except KeyError:
        return
    for path in (files.folder, files.persistence, files.passwords, files.acl, files.config):
        os.chown(path, user.pw_uid, user.pw_gid)
    if files.operator_dir.exists():
        os.chown(files.operator_dir, user.pw_uid, user.pw_gid)
    tls = files.tls
    for path in (tls.folder, tls.server_cert, tls.server_key):  # never the CA key
        if path.exists():
            os.chown(path, user.pw_uid, user.pw_gid)
    for entry in files.persistence.iterdir():
        os.chown(entry, user.pw_uid, user.pw_gid)
    if files.log.exists():
        os.chown(files.log, user.pw_uid, user.pw_gid)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class MosquittoProcess:
    """Starts and stops a Mosquitto with the generated config."""

    def __init__(self, files: BrokerFiles, host: str, port: int) -> None:
        self.files = files
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise BrokerError(
                "mosquitto is not installed; run `make setup` (or `apt-get install mosquitto`)"
            )
        if self.files.log.exists():  # keep the previous run's log: it says why it died
            self.files.log.replace(self.files.log.with_name(self.files.log.name + ".1"))
        self.files.log.touch()
        _hand_to_broker_user(self.files)
        with self.files.log.open("ab") as early_errors:  # config errors come before its log
            self._process = subprocess.Popen(
                [binary, "-c", str(self.files.config)],
                stdout=subprocess.DEVNULL,
                stderr=early_errors,
                preexec_fn=raise_fd_limit,  # the child inherits the hub's raised soft limit
            )
        if not self._wait_listening(timeout):
            how = self.exit_description()
            self.stop()
            raise BrokerError(
                f"mosquitto did not open {self.host}:{self.port} ({how}); "
                f"see {self.files.log}\n{self.log_tail()}"
            )
        self.files.pid.write_text(f"{self._process.pid}\n")
        log.info("mosquitto listening on %s:%d", self.host, self.port)

    def _wait_listening(self, timeout: float) -> bool:
        """Wait for the port, but give up at once if the process has exited (a bad config)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            if wait_for_port(self.host, self.port, 0.2):
                return True
        return False

    def log_tail(self, lines: int = 20) -> str:
        if not self.files.log.exists():
            return ""
        return "\n".join(self.files.log.read_text(errors="replace").splitlines()[-lines:])

    def exit_description(self) -> str:
        """How the broker process ended, for the log."""
        code = self._process.poll() if self._process is not None else None
        if code is None:
            return "running" if self._process is not None else "not started"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exited with code {code}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self.files.pid.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would: whatever was not saved is lost."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
        self.files.pid.unlink(missing_ok=True)


def raise_fd_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; return the new limit.

    Mosquitto 2.0 never closes a TCP connection that has not sent CONNECT, so at Debian's
    default soft limit of 1,024 descriptors a thousand idle sockets lock real devices out. The
    hard limit (systemd's ``LimitNOFILE``) is what the operator meant to allow.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


_STAMP = "# generated by `calmdesk provision`; do not edit: put additions in conf.d/*.conf"


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def stamp_generated(body: str) -> str:
    """Prefix a generated config with a checksum of its body, to notice hand edits later."""
    return f"{_STAMP}\n# checksum {_checksum(body)}\n{body}"


def ensure_not_hand_edited(files: BrokerFiles) -> None:
    """Refuse to overwrite a ``mosquitto.conf`` that someone edited after we wrote it.

    Rewriting it would silently drop what they added (a TLS listener, a bridge).
    """
    if not files.config.exists():
        return
    text = files.config.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n", 2)
    ours = len(lines) == 3 and lines[0] == _STAMP and lines[1].startswith("# checksum ")
    if ours and lines[1] == f"# checksum {_checksum(lines[2])}":
        return
    raise BrokerError(
        f"{files.config} was edited by hand since `calmdesk provision` wrote it, and "
        "provisioning would lose those edits. Move your additions into "
        f"{files.operator_dir}/<name>.conf (included, never rewritten), delete "
        f"{files.config}, and run the command again"
    )


def reload_broker(files: BrokerFiles) -> bool:
    """Make the broker running on ``files`` reread its password file and ACL (SIGHUP).

    False when no such broker runs (no pid file, or a stale one): it reads them when it starts.
    """
    try:
        pid = int(files.pid.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return False
    ours = command[0].endswith(b"mosquitto") and str(files.config).encode() in command
    if not ours:
        return False  # the pid was reused by something else
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as error:
        log.warning("could not ask the broker (pid %d) to reload: %s", pid, error)
        return False
    return True
