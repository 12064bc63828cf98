"""Silent tablets and digests in the delivery log (issue 16)

``kiosk_silences``: a tablet silent during its unit's opening hours, from when until when,
and the alert it fired (the ``silent`` rule); the digests list them.  ``digest_mails``: each
digest as written when due; ``alert_deliveries`` now carry an alert or a digest (exactly
one), so a digest's e-mails are logged, retried and sent again like an alert's.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 19:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "digest_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_digest_mails_rule_id_alert_rules")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_digest_mails_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_mails")),
        sa.UniqueConstraint(
            "rule_id",
            "first_day",
            "last_day",
            name=op.f("uq_digest_mails_rule_id_first_day_last_day"),
        ),
    )
    op.create_table(
        "kiosk_silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_kiosk_silences_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_kiosk_silences_counter_id_counters")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["kiosk_devices.id"],
            name=op.f("fk_kiosk_silences_device_id_kiosk_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_kiosk_silences_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_silences")),
    )
    op.create_index(
        op.f("ix_kiosk_silences_device_id"), "kiosk_silences", ["device_id"], unique=False
    )
    op.create_index("ix_kiosk_silences_unit_since", "kiosk_silences", ["unit_id", "since"])
    op.create_index(
        "uq_kiosk_silences_open",
        "kiosk_silences",
        ["device_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    # Nothing points at alert_deliveries: a batch copy on SQLite is safe here.
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alert_deliveries_digest_id_digest_mails"),
            "digest_mails",
            ["digest_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_alert_deliveries_digest_id"), ["digest_id"], unique=False
        )
        batch_op.create_check_constraint("what", "(alert_id IS NULL) <> (digest_id IS NULL)")


def downgrade():
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_alert_deliveries_what"), type_="check")
        batch_op.drop_index(batch_op.f("ix_alert_deliveries_digest_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_alert_deliveries_digest_id_digest_mails"), type_="foreignkey"
        )
        batch_op.drop_column("digest_id")
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("uq_kiosk_silences_open", table_name="kiosk_silences")
    op.drop_index("ix_kiosk_silences_unit_since", table_name="kiosk_silences")
    op.drop_index(op.f("ix_kiosk_silences_device_id"), table_name="kiosk_silences")
    op.drop_table("kiosk_silences")
    op.drop_table("digest_mails")
