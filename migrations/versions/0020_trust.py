"""Trust signals (issue 14): responses.client_hash, inspectors' exclusions.

``responses.client_hash`` a keyed hash of the client's address for the local day (open QR
form only; bursts are found by it); ``trust_exclusions`` an inspector's exclusion of a
counter-day or a burst (reason, who, when, restored); ``responses.exclusion_id`` the
exclusion that covers a response (left out of every index while set).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 19:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trust_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client_hash", sa.String(length=32), nullable=True),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restored_by_id", sa.Integer(), nullable=True),
        sa.Column("restore_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('quay_ngay', 'dot')", name=op.f("ck_trust_exclusions_kind")),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_trust_exclusions_counter_id_counters")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_trust_exclusions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["restored_by_id"],
            ["users.id"],
            name=op.f("fk_trust_exclusions_restored_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_trust_exclusions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_exclusions")),
    )
    op.create_index(
        "ix_trust_exclusions_unit_day", "trust_exclusions", ["unit_id", "day"], unique=False
    )
    # No table copy (a batch operation): ``responses`` may hold millions of rows.
    op.add_column("responses", sa.Column("client_hash", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE responses ADD COLUMN exclusion_id INTEGER "
            "CONSTRAINT fk_responses_exclusion_id_trust_exclusions "
            "REFERENCES trust_exclusions (id)"
        )
    else:
        op.add_column("responses", sa.Column("exclusion_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_responses_exclusion_id_trust_exclusions",
            "responses",
            "trust_exclusions",
            ["exclusion_id"],
            ["id"],
        )
    op.create_index("ix_responses_exclusion_id", "responses", ["exclusion_id"], unique=False)


def downgrade():
    op.drop_index("ix_responses_exclusion_id", table_name="responses")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(
            "fk_responses_exclusion_id_trust_exclusions", "responses", type_="foreignkey"
        )
    op.drop_column("responses", "exclusion_id")
    op.drop_column("responses", "client_hash")
    op.drop_index("ix_trust_exclusions_unit_day", table_name="trust_exclusions")
    op.drop_table("trust_exclusions")
