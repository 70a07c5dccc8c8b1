"""incident log fields: who it was (perpetrator type); who decided a caution note, and when

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column(
                "perpetrator", sa.String(length=16), server_default="customer", nullable=False
            )
        )
        batch.add_column(sa.Column("caution_decided_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("caution_decided_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("caution_decided_at")
        batch.drop_column("caution_decided_by")
        batch.drop_column("perpetrator")
