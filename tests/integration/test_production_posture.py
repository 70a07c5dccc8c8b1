"""Issue 9, cases 12 and 13: the broker survives a thousand idle sockets, and the database,
its WAL and the outboxes are readable by their owner only."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.protocol import AlertRaised
from tests.support.cli import calmdesk
from tests.support.faults import HubCommand, hub_presence_online
from tests.support.store import Store, eventually, running_store

ROOT = Path(__file__).resolve().parents[2]
IDLE_CONNECTIONS = 1_100
DEBIAN_DEFAULT_SOFT_LIMIT = 1_024


@pytest.fixture
def soft_limit_1024() -> Iterator[int]:
    """This process at Debian's default soft limit (hard limit untouched), restored after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE_CONNECTIONS + 200:
        pytest.skip(f"hard open-file limit {hard} is too low for this test")
    resource.setrlimit(resource.RLIMIT_NOFILE, (DEBIAN_DEFAULT_SOFT_LIMIT, hard))
    try:
        yield hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _max_open_files(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open-file limit in /proc")


def test_a_kiosk_connects_while_1100_idle_sockets_hold_the_broker(
    tmp_path: Path, soft_limit_1024: int
) -> None:
    store = Store(tmp_path)
    store.broker.start()  # started from a process at soft limit 1,024, as systemd would
    holder = [sys.executable, "-m", "tests.support.idle_sockets"]
    idle = subprocess.Popen(
        [*holder, str(store.port), str(IDLE_CONNECTIONS)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pid = int(store.broker.files.pid.read_text())
        assert _max_open_files(pid) == soft_limit_1024  # raised to the hard limit
        assert idle.stdout is not None
        assert idle.stdout.readline().strip() == f"ready {IDLE_CONNECTIONS}"
        link, _, events = store.link("kiosk-1", wait=False)
        assert link.wait_connected(15), f"kiosk-1 was locked out: {events[-3:]}"
    finally:
        idle.communicate("", timeout=30)
        store.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_wal_and_outbox_files_are_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a typical login umask: files would be 0644
    try:
        with running_store(tmp_path) as store:
            hub = HubCommand(store, no_broker=True).start()
            try:
                eventually(hub_presence_online(store), timeout=30)
                sent = calmdesk(
                    store.settings.data_dir, "alert", "--kiosk", "kiosk-1", "--level", "manager"
                )
                assert sent.returncode == 0, sent.stdout + sent.stderr
                database = store.settings.resolved_database_url()
                eventually(lambda: _alerts_recorded(database) == 1, timeout=30)
                data = store.settings.data_dir
                files = [data / "calmdesk.db", data / "calmdesk.db-wal", data / "calmdesk.db-shm"]
                files += sorted((data / "outbox").glob("kiosk-1.db*"))
                assert len(files) >= 4, files
                modes = {path.name: oct(_mode(path)) for path in files if path.exists()}
                assert set(modes.values()) == {"0o600"}, modes
            finally:
                hub.stop()
    finally:
        os.umask(old)


def _alerts_recorded(database: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM alerts")).scalar() or 0)
    except Exception:
        return 0
    finally:
        engine.dispose()


def test_outbox_and_sqlite_database_are_0600_even_without_the_command_line(
    tmp_path: Path,
) -> None:
    from shared.db.engine import make_engine, migrate
    from shared.outbox import Outbox

    old = os.umask(0o022)
    try:
        outbox = Outbox(tmp_path / "outbox" / "k.db")
        alert = AlertRaised(store="s1", device="k", level="manager", counter="C")
        outbox.put(alert.event_id, "t", b"x")
        url = f"sqlite:///{tmp_path / 'db' / 'calmdesk.db'}"
        migrate(url)
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            wal = sorted((tmp_path / "db").glob("calmdesk.db*")) + sorted(
                (tmp_path / "outbox").glob("k.db*")
            )
            assert {p.name: oct(_mode(p)) for p in wal} == {p.name: "0o600" for p in wal}
        engine.dispose()
        outbox.close()
    finally:
        os.umask(old)

