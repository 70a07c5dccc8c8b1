"""Fixtures shared by every kind of test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Kivy writes ~/.kivy and parses sys.argv unless told otherwise; keep tests hermetic.
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="calmdesk-kivy-"))
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

from tests.support.postgres import PostgresServer, PostgresUnavailable, create_database
from tests.support.store import Store, running_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A provisioned demo store whose real Mosquitto runs on a free loopback port."""
    with running_store(tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
    except (PostgresUnavailable, OSError) as error:
        if os.environ.get("CALMDESK_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL server could not be started here: {error}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The recorder's database: a SQLite file, and a fresh database on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'calmdesk.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"t_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    yield create_database(server, name)


@pytest.fixture
def postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database on the real PostgreSQL, for tests that are only about PostgreSQL."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    yield create_database(server, f"p_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}")
