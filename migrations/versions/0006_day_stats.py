"""Day statistics: sufficient statistics of each closed day per cell, for fast pages

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 05:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "day_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=60), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("stats", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_stats")),
        sa.UniqueConstraint(
            "day",
            "unit_id",
            "counter_id",
            "target_group",
            "channel",
            "questionnaire_id",
            name="uq_day_stats_cell",
        ),
    )


def downgrade():
    op.drop_table("day_stats")
