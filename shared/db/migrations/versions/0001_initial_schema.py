"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("kiosk", sa.String(length=48), nullable=False),
        sa.Column("counter", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("situation", sa.String(length=48), nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("risk", sa.String(length=16), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_role", sa.String(length=16), nullable=True),
        sa.Column("acknowledged_device", sa.String(length=48), nullable=True),
        sa.Column("on_scene_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("close_note", sa.String(length=200), nullable=True),
        sa.Column("escalation_steps", sa.Integer(), nullable=False),
        sa.Column("call_for_help", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_store"), ["store"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("device", sa.String(length=48), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_store"), ["store"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("kiosk", sa.String(length=48), nullable=False),
        sa.Column("counter", sa.String(length=200), nullable=False),
        sa.Column("situation", sa.String(length=48), nullable=True),
        sa.Column("steps_reached", sa.Integer(), nullable=False),
        sa.Column("near_miss", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("violence_type", sa.String(length=32), nullable=False),
        sa.Column("alone_or_unable_to_get_help", sa.Boolean(), nullable=False),
        sa.Column("injuries", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("follow_up_needed", sa.Boolean(), nullable=False),
        sa.Column("follow_up_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caution_description", sa.String(length=200), nullable=True),
        sa.Column("caution_reason", sa.String(length=200), nullable=True),
        sa.Column("caution_approved", sa.Boolean(), nullable=False),
        sa.Column("completed_by_role", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("event_id", name=op.f("uq_incidents_event_id")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_store"), ["store"], unique=False)

    op.create_table(
        "alert_responders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("device", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("eta_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.alert_id"], name=op.f("fk_alert_responders_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_responders")),
        sa.UniqueConstraint("alert_id", "device", name=op.f("uq_alert_responders_alert_id")),
    )
    with op.batch_alter_table("alert_responders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_responders_alert_id"), ["alert_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("alert_responders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_responders_alert_id"))

    op.drop_table("alert_responders")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_store"))
        batch_op.drop_index(batch_op.f("ix_incidents_incident_id"))

    op.drop_table("incidents")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_store"))
        batch_op.drop_index(batch_op.f("ix_events_alert_id"))

    op.drop_table("events")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_store"))
        batch_op.drop_index(batch_op.f("ix_alerts_status"))

    op.drop_table("alerts")
