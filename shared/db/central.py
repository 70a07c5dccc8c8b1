"""The chain's central database: engine and migrations.

The central schema is the store schema (same models, same Alembic history) plus the
central-only tables of :mod:`shared.db.central_models`, which have their own Alembic history
and version table. ``migrate_central`` brings both to their newest revision.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from shared.db.engine import make_engine, migrate

CENTRAL_MIGRATIONS = Path(__file__).with_name("central_migrations")

# libpq options for a WAN link to HAProxy: fail in seconds on a dead or black-holed link
# instead of hanging on kernel TCP timeouts. None of them cancels a running statement:
# a commit waiting for the synchronous standby must never be cancelled (it would then
# report success for a transaction that only one node holds).
WAN_CONNECT_ARGS = {
    "connect_timeout": 3,
    "tcp_user_timeout": 10_000,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}


def central_alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(CENTRAL_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate_central(url: str) -> None:
    """Bring the central database to the newest store and central revisions (idempotent)."""
    migrate(url)
    command.upgrade(central_alembic_config(url), "head")


def make_central_engine(url: str) -> Engine:
    """An engine for a hub's forwarder: one connection at a time, recycled when idle, so
    thousands of stores do not each hold a backend open at head office."""
    if make_url(url).get_backend_name() != "postgresql":
        return make_engine(url)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=0,
        pool_recycle=60,
        connect_args=dict(WAN_CONNECT_ARGS),
    )
