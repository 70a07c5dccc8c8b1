"""The Alembic migrations build exactly the schema the SQLAlchemy models describe, on SQLite
and on a real PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db.engine import make_engine, migrate
from shared.db.models import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
