"""Stats buckets: sufficient statistics of closed half-months, for fast scoring

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stats_buckets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=60), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("stats", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_buckets")),
        sa.UniqueConstraint(
            "period_start",
            "unit_id",
            "target_group",
            "questionnaire_id",
            name="uq_stats_buckets_cell",
        ),
    )
    with op.batch_alter_table("stats_buckets", schema=None) as batch_op:
        batch_op.create_index("ix_stats_buckets_unit", ["unit_id", "period_start"], unique=False)


def downgrade():
    with op.batch_alter_table("stats_buckets", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_buckets_unit")
    op.drop_table("stats_buckets")
