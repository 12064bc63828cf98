"""Report jobs: report packs built in the background, their progress and files

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 05:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("cutoff", sa.String(length=10), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=True),
        sa.Column("integrity", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("active_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_report_jobs_status")
        ),
        sa.CheckConstraint("cutoff IN ('calendar', 'report')", name=op.f("ck_report_jobs_cutoff")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_jobs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_jobs")),
        sa.UniqueConstraint("active_user_id", name=op.f("uq_report_jobs_active_user_id")),
    )
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_jobs_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_jobs_user_id"))
    op.drop_table("report_jobs")
