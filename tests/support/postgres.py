"""A throwaway PostgreSQL server for tests, run as the ``postgres`` user when we are root
(PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from broker.mosquitto import free_port, wait_for_port


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found is None:
        raise PostgresUnavailable(f"{name} not found; install Debian's postgresql package")
    return found


class PostgresServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="calmdesk-pg-"))
        self.data = self.folder / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("no postgres user; install Debian's postgresql") from None
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        run = [*self._as_user]
        subprocess.run(
            [*run, _bin("initdb"), "-A", "trust", "-U", "postgres", "-D", str(self.data)],
            check=True,
            capture_output=True,
        )
        self.start_server()

    def start_server(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "log")
        subprocess.run(
            [
                *self._as_user,
                _bin("pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                log,
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        if not wait_for_port("127.0.0.1", self.port, 15):
            raise PostgresUnavailable(f"postgres did not open port {self.port}")

    def stop_server(self) -> None:
        subprocess.run(
            [*self._as_user, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
        )

    def stop(self) -> None:
        self.stop_server()
        shutil.rmtree(self.folder, ignore_errors=True)


def create_database(server: PostgresServer, name: str) -> str:
    """A new, empty database on ``server``; returns its SQLAlchemy URL."""
    import sqlalchemy

    admin = sqlalchemy.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}"
