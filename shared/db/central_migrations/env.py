"""Alembic environment for the central-only tables (its own version table)."""

from __future__ import annotations

from alembic import context

from shared.db.central_models import CentralBase
from shared.db.engine import make_engine

VERSION_TABLE = "alembic_version_central"

config = context.config
engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=CentralBase.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
