"""A fresh central database on the test PostgreSQL server, migrated like head office's."""

from __future__ import annotations

import time
import uuid

import sqlalchemy
from sqlalchemy.orm import Session, sessionmaker

from broker.forwarder import read_lag
from shared.db.central import migrate_central
from tests.support.postgres import PostgresServer


def new_database(server: PostgresServer, prefix: str = "central") -> str:
    """Create an empty database on ``server``; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def new_central(server: PostgresServer) -> str:
    url = new_database(server)
    migrate_central(url)
    return url


def wait_drained(sessions: sessionmaker[Session], store: str, timeout: float) -> bool:
    """True once the store's database has nothing left to forward."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_lag(sessions, store).pending == 0:
            return True
        time.sleep(0.05)
    return False
