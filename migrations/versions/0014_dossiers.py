"""Dossiers, their invitations and the integration keys that send them (issue 13)

``dossiers`` holds what the one-stop system knows of each dossier (no personal data);
``invitations`` one single-use link per dossier; ``integration_keys`` the source systems'
keys (hash only). ``responses.dossier_id`` marks a verified response (unique: one response
per dossier); ``units.open_qr`` lets a unit switch its open QR cards off.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("procedure_code", sa.String(length=40), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("receiving_unit_id", sa.Integer(), nullable=False),
        sa.Column("receiving_counter_id", sa.Integer(), nullable=True),
        sa.Column("resolving_unit_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_day", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("supplements", sa.Integer(), nullable=False),
        sa.Column("apology_sent", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('da_tra', 'tu_choi', 'rut', 'dang_xu_ly')",
            name=op.f("ck_dossiers_outcome"),
        ),
        sa.CheckConstraint("supplements >= 0", name=op.f("ck_dossiers_supplements")),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedures.id"], name=op.f("fk_dossiers_procedure_id_procedures")
        ),
        sa.ForeignKeyConstraint(
            ["receiving_unit_id"], ["units.id"], name=op.f("fk_dossiers_receiving_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["receiving_counter_id"],
            ["counters.id"],
            name=op.f("fk_dossiers_receiving_counter_id_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["resolving_unit_id"], ["units.id"], name=op.f("fk_dossiers_resolving_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("code", name=op.f("uq_dossiers_code")),
    )
    op.create_index(
        "ix_dossiers_resolving_returned", "dossiers", ["resolving_unit_id", "returned_day"]
    )
    op.create_index(
        "ix_dossiers_receiving_returned", "dossiers", ["receiving_unit_id", "returned_day"]
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_invitations_dossier_id_dossiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_invitations_dossier_id")),
        sa.UniqueConstraint("token", name=op.f("uq_invitations_token")),
    )
    op.create_table(
        "integration_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_integration_keys_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_integration_keys_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_integration_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_integration_keys_name")),
    )
    # No table copy (a batch operation): complaints point at ``responses``, which may hold
    # millions of rows. A column with its reference, then a unique index.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE responses ADD COLUMN dossier_id INTEGER "
            "CONSTRAINT fk_responses_dossier_id_dossiers REFERENCES dossiers (id)"
        )
    else:
        op.add_column("responses", sa.Column("dossier_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_responses_dossier_id_dossiers", "responses", "dossiers", ["dossier_id"], ["id"]
        )
    op.create_index("uq_responses_dossier_id", "responses", ["dossier_id"], unique=True)
    op.add_column(
        "units",
        sa.Column("open_qr", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade():
    op.drop_column("units", "open_qr")
    op.drop_index("uq_responses_dossier_id", table_name="responses")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_responses_dossier_id_dossiers", "responses", type_="foreignkey")
    op.drop_column("responses", "dossier_id")
    op.drop_table("integration_keys")
    op.drop_table("invitations")
    op.drop_index("ix_dossiers_receiving_returned", table_name="dossiers")
    op.drop_index("ix_dossiers_resolving_returned", table_name="dossiers")
    op.drop_table("dossiers")
