"""The central database: the store schema unchanged plus the central-only tables, built by
both Alembic histories, with the per-store and per-month indexes HQ queries rely on."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.orm import DeclarativeBase

from shared.db.central import migrate_central
from shared.db.central_models import CentralBase
from shared.db.engine import make_engine
from shared.db.models import Base
from tests.support.central import new_database
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

CENTRAL_ONLY_COLUMNS = {"central_at", "store_task_id"}
CENTRAL_ONLY_INDEXES = {
    "events": {"ix_central_events_store_sent_at", "ix_central_events_central_at"},
    "alerts": {"ix_central_alerts_store_raised_at", "ix_central_alerts_open"},
    "incidents": {"ix_central_incidents_store_reported_at"},
    "follow_up_tasks": {"ix_central_follow_up_tasks_store_task"},
}


def _context(connection: Connection, base: type[DeclarativeBase]) -> MigrationContext:
    """Compare one metadata with the database, ignoring the other history's own additions."""
    tables = set(base.metadata.tables)

    def include(obj: object, name: str | None, kind: str, reflected: bool, _other: object) -> bool:
        if kind == "table":
            return name in tables
        if kind == "index" and name and name.startswith("ix_central_"):
            return False
        return not (kind == "column" and name in CENTRAL_ONLY_COLUMNS)

    return MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include}
    )


def test_central_migrations_build_both_schemas_and_the_chain_indexes(
    postgres_server: PostgresServer,
) -> None:
    url = new_database(postgres_server)
    migrate_central(url)
    migrate_central(url)  # idempotent: a second hub or deploy run changes nothing
    engine = make_engine(url)
    with engine.connect() as connection:
        central = compare_metadata(_context(connection, CentralBase), CentralBase.metadata)
        store = compare_metadata(_context(connection, Base), Base.metadata)
        indexes = {
            table: {index["name"] for index in inspect(connection).get_indexes(table)}
            for table in CENTRAL_ONLY_INDEXES
        }
        columns = {column["name"] for column in inspect(connection).get_columns("events")}
    engine.dispose()
    assert central == []
    assert store == []
    for table, expected in CENTRAL_ONLY_INDEXES.items():
        assert expected <= indexes[table], table
    assert "central_at" in columns
