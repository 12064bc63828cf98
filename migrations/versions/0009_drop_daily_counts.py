"""Drop daily_counts: written on every insert, read by nothing (day_stats replaced it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 06:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("daily_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_counts_unit_day")
    op.drop_table("daily_counts")


def downgrade():
    # Recreated empty: nothing reads it (the counts of the responses are not rebuilt).
    op.create_table(
        "daily_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=60), nullable=False),
        sa.Column("item", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_counts")),
        sa.UniqueConstraint(
            "day",
            "unit_id",
            "counter_id",
            "target_group",
            "channel",
            "questionnaire_id",
            "item",
            "value",
            name="uq_daily_counts_cell",
        ),
    )
    with op.batch_alter_table("daily_counts", schema=None) as batch_op:
        batch_op.create_index("ix_daily_counts_unit_day", ["unit_id", "day"], unique=False)
