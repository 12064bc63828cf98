"""The task queue (issue 16): report jobs remember what they were asked and how many runs
they started, so a job whose worker died is queued again.

Revision ID: 0015_queue
Revises: 0014
Create Date: 2026-12-03 16:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_queue"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("request")
