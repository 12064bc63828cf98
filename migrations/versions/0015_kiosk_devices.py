"""Counter tablets (issue 15): devices, one-time enrolment codes, responses.device_id

``kiosk_devices`` holds each enrolled tablet (credential as a SHA-256 digest only);
``kiosk_enrolments`` the 15-minute single-use codes; ``responses.device_id`` the tablet that
sent a kiosk response (nullable; no copy of ``responses``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kiosk_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credential_hash", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("app_version", sa.String(length=40), nullable=True),
        sa.Column("queue_length", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_kiosk_devices_counter_id_counters")
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by_id"], ["users.id"], name=op.f("fk_kiosk_devices_enrolled_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_devices")),
        sa.UniqueConstraint("credential_hash", name=op.f("uq_kiosk_devices_credential_hash")),
    )
    op.create_index(
        op.f("ix_kiosk_devices_counter_id"), "kiosk_devices", ["counter_id"], unique=False
    )
    op.create_table(
        "kiosk_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_kiosk_enrolments_counter_id_counters")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_kiosk_enrolments_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["kiosk_devices.id"],
            name=op.f("fk_kiosk_enrolments_device_id_kiosk_devices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_enrolments")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_kiosk_enrolments_code_hash")),
    )
    op.create_index(
        op.f("ix_kiosk_enrolments_counter_id"), "kiosk_enrolments", ["counter_id"], unique=False
    )
    # No table copy (a batch operation): ``responses`` may hold millions of rows.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE responses ADD COLUMN device_id INTEGER "
            "CONSTRAINT fk_responses_device_id_kiosk_devices REFERENCES kiosk_devices (id)"
        )
    else:
        op.add_column("responses", sa.Column("device_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_responses_device_id_kiosk_devices",
            "responses",
            "kiosk_devices",
            ["device_id"],
            ["id"],
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_responses_device_id_kiosk_devices", "responses", type_="foreignkey")
    op.drop_column("responses", "device_id")
    op.drop_index(op.f("ix_kiosk_enrolments_counter_id"), table_name="kiosk_enrolments")
    op.drop_table("kiosk_enrolments")
    op.drop_index(op.f("ix_kiosk_devices_counter_id"), table_name="kiosk_devices")
    op.drop_table("kiosk_devices")
