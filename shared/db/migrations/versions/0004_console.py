"""console accounts, audit trail, report completion, follow-ups, holds

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("store", sa.String(length=48), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("store", sa.String(length=48), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("username", name=op.f("uq_console_users_username")),
    )
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_users_store"), ["store"], unique=False)

    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["console_users.id"],
            name=op.f("fk_console_sessions_user_id_console_users"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "follow_up_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_row_id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_row_id"],
            ["incidents.id"],
            name=op.f("fk_follow_up_tasks_incident_row_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_tasks")),
    )
    with op.batch_alter_table("follow_up_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_up_tasks_incident_row_id"), ["incident_row_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_follow_up_tasks_store"), ["store"], unique=False)

    op.create_table(
        "incident_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_row_id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("in_log", sa.Boolean(), nullable=False),
        sa.Column("violence_type", sa.Integer(), nullable=False),
        sa.Column("perpetrator", sa.String(length=32), nullable=False),
        sa.Column("place", sa.String(length=32), nullable=False),
        sa.Column("area", sa.String(length=200), nullable=False),
        sa.Column(
            "circumstances",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "incident_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("security_contacted", sa.Boolean(), nullable=False),
        sa.Column("police_contacted", sa.Boolean(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("injuries", sa.Boolean(), nullable=False),
        sa.Column("days_off", sa.Integer(), nullable=False),
        sa.Column("protective_actions", sa.Text(), nullable=False),
        sa.Column("investigation", sa.Text(), nullable=False),
        sa.Column("corrective_measures", sa.Text(), nullable=False),
        sa.Column("internal_note", sa.Text(), nullable=False),
        sa.Column("completed_by_name", sa.String(length=200), nullable=False),
        sa.Column("completed_by_title", sa.String(length=200), nullable=False),
        sa.Column("completed_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_row_id"],
            ["incidents.id"],
            name=op.f("fk_incident_reviews_incident_row_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_reviews")),
        sa.UniqueConstraint("incident_row_id", name=op.f("uq_incident_reviews_incident_row_id")),
    )
    with op.batch_alter_table("incident_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_reviews_store"), ["store"], unique=False)

    op.create_table(
        "record_holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_row_id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_row_id"],
            ["incidents.id"],
            name=op.f("fk_record_holds_incident_row_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_holds")),
    )
    with op.batch_alter_table("record_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_holds_incident_row_id"), ["incident_row_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("record_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_holds_incident_row_id"))

    op.drop_table("record_holds")
    with op.batch_alter_table("incident_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_reviews_store"))

    op.drop_table("incident_reviews")
    with op.batch_alter_table("follow_up_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_tasks_store"))
        batch_op.drop_index(batch_op.f("ix_follow_up_tasks_incident_row_id"))

    op.drop_table("follow_up_tasks")
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_user_id"))

    op.drop_table("console_sessions")
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_users_store"))

    op.drop_table("console_users")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
