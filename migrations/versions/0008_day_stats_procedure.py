"""Day statistics per procedure too, so the procedure filter needs no answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = ["day", "unit_id", "counter_id", "target_group", "channel", "questionnaire_id"]
NEW = [
    "day",
    "unit_id",
    "counter_id",
    "procedure_id",
    "target_group",
    "channel",
    "questionnaire_id",
]


def upgrade():
    op.execute("DELETE FROM day_stats")  # not split by procedure: computed again on demand
    with op.batch_alter_table("day_stats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("procedure_id", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("uq_day_stats_cell", type_="unique")
        batch_op.create_unique_constraint("uq_day_stats_cell", NEW)


def downgrade():
    op.execute("DELETE FROM day_stats")
    with op.batch_alter_table("day_stats", schema=None) as batch_op:
        batch_op.drop_constraint("uq_day_stats_cell", type_="unique")
        batch_op.create_unique_constraint("uq_day_stats_cell", OLD)
        batch_op.drop_column("procedure_id")
