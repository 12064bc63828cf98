"""Day blocks: each closed day's responses packed per unit, replacing per-cell statistics;
half-month buckets broken down by channel or procedure

``day_stats`` kept a 644-number statistics vector per fine cell (unit × counter ×
procedure × target group × channel × questionnaire × day): at a province's density almost
one vector (2.6 KB) per response.  ``day_blocks`` keeps the responses themselves, packed per
unit and day (about 40 bytes each).  The blocks are derived data: they are not converted
here but packed again from the responses when first needed (the half-month sums in
``stats_buckets`` stay valid and become the breakdown ``dimension`` "").

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("day_stats")
    op.create_table(
        "day_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("layout", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_blocks")),
        sa.UniqueConstraint("day", "unit_id", name="uq_day_blocks_day_unit"),
    )
    with op.batch_alter_table("day_blocks", schema=None) as batch_op:
        batch_op.create_index("ix_day_blocks_unit_day", ["unit_id", "day"], unique=False)
    with op.batch_alter_table("stats_buckets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dimension", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("value", sa.String(length=60), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_stats_buckets_cell", type_="unique")
        batch_op.create_unique_constraint(
            "uq_stats_buckets_cell",
            ["period_start", "dimension", "value", "unit_id", "target_group", "questionnaire_id"],
        )


def downgrade():
    op.execute("DELETE FROM stats_buckets WHERE dimension != ''")
    with op.batch_alter_table("stats_buckets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_stats_buckets_cell", type_="unique")
        batch_op.create_unique_constraint(
            "uq_stats_buckets_cell", ["period_start", "unit_id", "target_group", "questionnaire_id"]
        )
        batch_op.drop_column("value")
        batch_op.drop_column("dimension")
    # Recreated empty: the old code computes each day's statistics when first needed.
    op.drop_table("day_blocks")
    op.create_table(
        "day_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), server_default="0", nullable=False),
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
            "procedure_id",
            "target_group",
            "channel",
            "questionnaire_id",
            name="uq_day_stats_cell",
        ),
    )
