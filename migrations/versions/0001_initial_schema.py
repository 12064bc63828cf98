"""Initial schema: units, counters, tokens, procedures, questionnaires, responses, daily counts

Revision ID: 0001
Revises:
Create Date: 2026-11-23 02:11:47.059072

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

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

    op.create_table(
        "procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "target_group IN ('chung', 'dat_dai_xay_dung_dau_tu')",
            name=op.f("ck_procedures_target_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
        sa.UniqueConstraint("code", name=op.f("uq_procedures_code")),
    )
    op.create_table(
        "questionnaire_versions",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_versions")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("place_name", sa.String(length=300), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("questionnaire_id", sa.String(length=60), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "target_group IN ('chung', 'dat_dai_xay_dung_dau_tu')",
            name=op.f("ck_units_target_group"),
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaire_versions.id"],
            name=op.f("fk_units_questionnaire_id_questionnaire_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("code", name=op.f("uq_units_code")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_counters_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counters")),
        sa.UniqueConstraint("unit_id", "code", name=op.f("uq_counters_unit_id_code")),
    )
    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counters_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "unit_procedures",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_unit_procedures_procedure_id_procedures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_unit_procedures_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_id", "procedure_id", name=op.f("pk_unit_procedures")),
    )
    op.create_table(
        "counter_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_counter_tokens_counter_id_counters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_counter_tokens_token")),
    )
    with op.batch_alter_table("counter_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_tokens_counter_id"), ["counter_id"], unique=False
        )

    op.create_table(
        "responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_responses_counter_id_counters")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedures.id"], name=op.f("fk_responses_procedure_id_procedures")
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaire_versions.id"],
            name=op.f("fk_responses_questionnaire_id_questionnaire_versions"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_responses_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint(
            "counter_id", "idempotency_key", name=op.f("uq_responses_counter_id_idempotency_key")
        ),
        sa.UniqueConstraint(
            "unit_id", "receipt_hash", name=op.f("uq_responses_unit_id_receipt_hash")
        ),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_local_day", ["local_day"], unique=False)
        batch_op.create_index("ix_responses_unit_day", ["unit_id", "local_day"], unique=False)


def downgrade():

    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_unit_day")
        batch_op.drop_index("ix_responses_local_day")

    op.drop_table("responses")
    with op.batch_alter_table("counter_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_tokens_counter_id"))

    op.drop_table("counter_tokens")
    op.drop_table("unit_procedures")
    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counters_unit_id"))

    op.drop_table("counters")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_parent_id"))

    op.drop_table("units")
    op.drop_table("questionnaire_versions")
    op.drop_table("procedures")
    with op.batch_alter_table("daily_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_counts_unit_day")

    op.drop_table("daily_counts")
