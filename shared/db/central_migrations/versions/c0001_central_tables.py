"""central tables: stores, store_sync, device_presence; chain-scale indexes on the store tables

Revision ID: c0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stores",
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("store", name=op.f("pk_stores")),
    )
    op.create_index(op.f("ix_stores_region"), "stores", ["region"])
    op.create_table(
        "store_sync",
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events_total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("store", name=op.f("pk_store_sync")),
    )
    op.create_table(
        "device_presence",
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("device", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store", "device", name=op.f("pk_device_presence")),
    )
    # When the central database received each event (the kiosk-to-HQ lag is central_at - sent_at).
    # A server default, so the shared ORM model needs no column of its own.
    now = "clock_timestamp()" if op.get_bind().dialect.name == "postgresql" else "CURRENT_TIMESTAMP"
    op.add_column(
        "events",
        sa.Column("central_at", sa.DateTime(timezone=True), server_default=sa.text(now)),
    )
    # Per store and per month: every HQ query names a store (or a region's stores) and a time
    # range, so a (store, time) B-tree answers it from one index range scan.
    op.create_index("ix_central_events_store_sent_at", "events", ["store", "sent_at"])
    op.create_index("ix_central_alerts_store_raised_at", "alerts", ["store", "raised_at"])
    op.create_index("ix_central_incidents_store_reported_at", "incidents", ["store", "reported_at"])
    if op.get_bind().dialect.name == "postgresql":
        # chain-wide time ranges: rows arrive in time order, so a BRIN index stays tiny
        op.execute("CREATE INDEX ix_central_events_central_at ON events USING brin (central_at)")
        # the health table's "open alerts" per store, without scanning closed ones
        op.execute(
            "CREATE INDEX ix_central_alerts_open ON alerts (store) "
            "WHERE status IN ('raised', 'acknowledged', 'on_scene')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_central_alerts_open")
        op.execute("DROP INDEX ix_central_events_central_at")
    op.drop_index("ix_central_incidents_store_reported_at", "incidents")
    op.drop_index("ix_central_alerts_store_raised_at", "alerts")
    op.drop_index("ix_central_events_store_sent_at", "events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("central_at")
    op.drop_table("device_presence")
    op.drop_table("store_sync")
    op.drop_index(op.f("ix_stores_region"), "stores")
    op.drop_table("stores")
