"""forwarding of changing records: a revision on manager completions and follow-up tasks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("incident_reviews", "follow_up_tasks")


def upgrade() -> None:
    counters = op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counters")),
    )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("revision", sa.Integer(), server_default="0", nullable=False)
            )
            batch_op.create_index(batch_op.f(f"ix_{table}_revision"), ["revision"], unique=False)
        # rows written before this revision are forwarded too, in the order they were made
        op.execute(f"UPDATE {table} SET revision = id")  # noqa: S608 (constant table names)
    highest = 0
    connection = op.get_bind()
    for table in TABLES:
        found = connection.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar()  # noqa: S608
        highest = max(highest, found or 0)
    op.bulk_insert(counters, [{"name": "records", "value": highest}])


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_revision"))
            batch_op.drop_column("revision")
    op.drop_table("change_counters")
