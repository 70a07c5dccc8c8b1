"""forwarded follow-up tasks keep their store's own task id (the key of a re-sent change)

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A store's task ids collide across stores, so the central row keeps its own id and the
    # store's id here. Manager completions need nothing similar: one per incident, keyed by
    # the central incident row (found by the incident's event id), unique already.
    op.add_column("follow_up_tasks", sa.Column("store_task_id", sa.Integer(), nullable=True))
    op.create_index(
        "ix_central_follow_up_tasks_store_task",
        "follow_up_tasks",
        ["store", "store_task_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_central_follow_up_tasks_store_task", "follow_up_tasks")
    with op.batch_alter_table("follow_up_tasks") as batch:
        batch.drop_column("store_task_id")
