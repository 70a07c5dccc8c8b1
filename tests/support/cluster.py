"""A real central cluster on loopback: three etcd members, three PostgreSQL nodes under
Patroni (run as the ``postgres`` user: PostgreSQL refuses to run as root), and HAProxy routing
to whichever node Patroni's REST API calls primary. All from Debian's packages
(``patroni``, ``etcd-server``, ``etcd-client``, ``haproxy``, ``postgresql``).

Timings are shortened for tests (ttl 10, loop_wait 2, retry_timeout 3, which keeps Patroni's
rule loop_wait + 2 * retry_timeout <= ttl); production uses ttl 20 or more (deploy/README.md).
Every process is started here, recorded by pid, and stopped by that pid.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from broker.mosquitto import free_port, wait_for_port

SUPERUSER_PASSWORD = "su-pass-test-only"
TTL, LOOP_WAIT, RETRY_TIMEOUT = 10, 2, 3


class ClusterUnavailable(RuntimeError):
    """A binary is missing or a part did not come up; the message says which."""


def _need(binary: str) -> str:
    found = shutil.which(binary)
    if found is None:
        raise ClusterUnavailable(
            f"{binary} not found: run scripts/setup.sh (Debian: patroni etcd-server "
            "etcd-client haproxy)"
        )
    return found


def _pg_bin_dir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise ClusterUnavailable("PostgreSQL binaries not found; install Debian's postgresql")
    return str(Path(found[-1]).parent)


def _get_json(url: str, timeout: float = 1.0) -> object | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None


def _stop(
    process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, wait: float = 15
) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class EtcdMember:
    name: str
    folder: Path
    client_port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    def start(self, initial_cluster: str) -> None:
        log = (self.folder / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [
                _need("etcd"),
                "--name",
                self.name,
                "--data-dir",
                str(self.folder / self.name),
                "--listen-client-urls",
                self.client_url,
                "--advertise-client-urls",
                self.client_url,
                "--listen-peer-urls",
                self.peer_url,
                "--initial-advertise-peer-urls",
                self.peer_url,
                "--initial-cluster",
                initial_cluster,
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                "calmdesk-test",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def healthy(self) -> bool:
        answer = _get_json(f"{self.client_url}/health")
        return isinstance(answer, dict) and answer.get("health") == "true"


@dataclass
class PatroniNode:
    name: str
    folder: Path
    etcd_hosts: str
    pg_port: int = field(default_factory=free_port)
    rest_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def config_file(self) -> Path:
        return self.folder / "patroni.yml"

    def write_config(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = {
            "scope": "calmdesk-test",
            "name": self.name,
            "restapi": {
                "listen": f"127.0.0.1:{self.rest_port}",
                "connect_address": f"127.0.0.1:{self.rest_port}",
            },
            "etcd3": {"hosts": self.etcd_hosts},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL,
                    "loop_wait": LOOP_WAIT,
                    "retry_timeout": RETRY_TIMEOUT,
                    "maximum_lag_on_failover": 1048576,
                    "synchronous_mode": True,
                    "postgresql": {"use_pg_rewind": True},
                },
                "initdb": [{"encoding": "UTF8"}, "data-checksums"],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{self.pg_port}",
                "connect_address": f"127.0.0.1:{self.pg_port}",
                "data_dir": str(self.data_dir),
                "bin_dir": _pg_bin_dir(),
                "pgpass": str(self.folder / "pgpass"),
                "pg_hba": [
                    "local all all trust",
                    "host replication replicator 127.0.0.1/32 scram-sha-256",
                    "host all all 127.0.0.1/32 scram-sha-256",
                ],
                "authentication": {
                    "superuser": {"username": "postgres", "password": SUPERUSER_PASSWORD},
                    "replication": {"username": "replicator", "password": "rep-pass-test"},
                    "rewind": {"username": "rewind_user", "password": "rewind-pass-test"},
                },
                "parameters": {
                    "unix_socket_directories": str(self.folder),
                    "max_connections": 60,
                    "shared_buffers": "32MB",
                    "wal_keep_size": "128MB",
                    # the faults here kill processes, not the machine: the page cache survives
                    "fsync": "off",
                },
            },
        }
        # JSON is valid YAML; no YAML library needed
        self.config_file.write_text(json.dumps(config, indent=2))
        user = pwd.getpwnam("postgres")
        for path in [self.folder, *self.folder.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
        self.folder.chmod(0o700)

    def start(self) -> None:
        log = (self.folder / "patroni.log").open("ab")
        as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": []}
        if os.geteuid() != 0:
            as_postgres = {}
        self.process = subprocess.Popen(  # type: ignore[call-overload]
            [_need("patroni"), str(self.config_file)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(self.folder), "LANG": "C.UTF-8"},
            **as_postgres,
        )

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def walreceiver_pid(self) -> int | None:
        """The WAL receiver process of this node's PostgreSQL (a standby), if any."""
        postmaster = self.postmaster_pid()
        if postmaster is None:
            return None
        children = subprocess.run(
            ["ps", "--ppid", str(postmaster), "-o", "pid=,args="],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for line in children.splitlines():
            pid, _, args = line.strip().partition(" ")
            if "walreceiver" in args:
                return int(pid)
        return None

    def crash(self) -> None:
        """SIGKILL Patroni and its postmaster together: a node that lost power."""
        postmaster = self.postmaster_pid()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        if postmaster is not None:
            try:
                os.kill(postmaster, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        """Stop Patroni (it stops its PostgreSQL), then make sure the postmaster is gone."""
        _stop(self.process, signal.SIGTERM, wait=20)
        postmaster = self.postmaster_pid()
        if postmaster is not None:
            try:
                os.kill(postmaster, 0)
            except ProcessLookupError:
                return
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    f"{_pg_bin_dir()}/pg_ctl",
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                check=False,
            )


class CentralCluster:
    """Three etcd, three Patroni/PostgreSQL nodes and one HAProxy, under one temp folder."""

    def __init__(self, root: Path | None = None) -> None:
        for binary in ("etcd", "patroni", "haproxy"):
            _need(binary)
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterUnavailable("no postgres user; install Debian's postgresql") from None
        self.root = root or Path(tempfile.mkdtemp(prefix="calmdesk-cluster-"))
        self.root.chmod(0o755)  # the postgres user must reach its node folders inside
        self.etcd = [EtcdMember(f"e{i}", self.root / "etcd") for i in (1, 2, 3)]
        hosts = ",".join(f"127.0.0.1:{m.client_port}" for m in self.etcd)
        self.nodes = [PatroniNode(f"pg{i}", self.root / f"pg{i}", hosts) for i in (1, 2, 3)]
        self.haproxy_port = free_port()
        self.haproxy: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The writer's address: HAProxy's primary port."""
        return self.url_via(self.haproxy_port)

    def url_via(self, port: int) -> str:
        return f"postgresql+psycopg://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{port}/postgres"

    # Bring-up ---------------------------------------------------------------------------

    def start(self, timeout: float = 90) -> None:
        (self.root / "etcd").mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            node.write_config()
        self.start_etcd()
        self.start_haproxy()
        for node in self.nodes:
            node.start()
        self.wait_ready(timeout)

    def start_etcd(self, timeout: float = 30) -> None:
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.etcd)
        for member in self.etcd:
            member.start(initial)
        deadline = time.monotonic() + timeout
        while not all(m.healthy() for m in self.etcd):
            if time.monotonic() > deadline:
                raise ClusterUnavailable(f"etcd not healthy; logs in {self.root / 'etcd'}")
            time.sleep(0.2)

    def start_haproxy(self) -> None:
        servers = "\n".join(
            f"    server {n.name} 127.0.0.1:{n.pg_port} maxconn 100 check port {n.rest_port}"
            for n in self.nodes
        )
        config = self.root / "haproxy.cfg"
        config.write_text(
            f"""global
    maxconn 400
defaults
    mode tcp
    retries 2
    timeout client 30m
    timeout connect 4s
    timeout server 30m
    timeout check 5s
listen primary
    bind 127.0.0.1:{self.haproxy_port}
    option httpchk OPTIONS /primary
    http-check expect status 200
    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
{servers}
"""
        )
        log = (self.root / "haproxy.log").open("ab")
        self.haproxy = subprocess.Popen(
            [_need("haproxy"), "-f", str(config), "-db"], stdout=log, stderr=subprocess.STDOUT
        )
        if not wait_for_port("127.0.0.1", self.haproxy_port, 10):
            raise ClusterUnavailable(f"haproxy did not listen; see {self.root / 'haproxy.log'}")

    def members(self) -> list[dict[str, object]]:
        for node in self.nodes:
            answer = _get_json(f"http://127.0.0.1:{node.rest_port}/cluster")
            if isinstance(answer, dict):
                return list(answer.get("members", []))
        return []

    def leader(self) -> PatroniNode | None:
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return next(n for n in self.nodes if n.name == member.get("name"))
        return None

    def wait_ready(self, timeout: float = 90, *, replicas: int = 2) -> None:
        """Until a leader runs, a synchronous standby streams, and HAProxy routes writes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    log = (node.folder / "patroni.log").read_text(errors="replace")[-2000:]
                    raise ClusterUnavailable(f"patroni {node.name} exited:\n{log}")
            members = self.members()
            leader = any(m.get("role") == "leader" for m in members)
            sync = any(m.get("role") == "sync_standby" for m in members)
            streaming = sum(
                1
                for m in members
                if m.get("role") in ("sync_standby", "replica")
                and m.get("state") in ("streaming", "running")
            )
            if leader and sync and streaming >= replicas and self.writable():
                return
            time.sleep(0.5)
        raise ClusterUnavailable(
            f"cluster not ready in {timeout:.0f} s: {self.members()}; logs under {self.root}"
        )

    def writable(self) -> bool:
        import sqlalchemy

        engine = sqlalchemy.create_engine(
            self.url, poolclass=sqlalchemy.NullPool, connect_args={"connect_timeout": 2}
        )
        try:
            with engine.connect() as connection:
                return (
                    not connection.execute(sqlalchemy.text("SHOW transaction_read_only")).scalar()
                    == "on"
                )
        except sqlalchemy.exc.SQLAlchemyError:
            return False
        finally:
            engine.dispose()

    # Faults -----------------------------------------------------------------------------

    def stop_all(self) -> None:
        """The whole central site goes down at once: every PostgreSQL node, then etcd."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            node.stop()
        for member in self.etcd:
            _stop(member.process)

    def start_all(self, timeout: float = 90) -> None:
        """And comes back: etcd first, then every Patroni node (data kept)."""
        self.start_etcd()
        for node in self.nodes:
            node.start()
        self.wait_ready(timeout)

    def close(self) -> None:
        _stop(self.haproxy)
        for node in self.nodes:
            node.stop()
        for member in self.etcd:
            _stop(member.process)
        shutil.rmtree(self.root, ignore_errors=True)
