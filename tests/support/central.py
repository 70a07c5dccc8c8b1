"""A fresh central database on the test PostgreSQL server, migrated like head office's."""

from __future__ import annotations

import uuid

import sqlalchemy

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
