"""Units choose what their QR cards open: the quick form first (with "trả lời thêm" towards
the unit's questionnaire) or the unit's questionnaire at once; audit entries without an actor

``units.form_start`` is ``nhanh`` (the default, also for the units that exist: on a phone the
full questionnaire is 6.5 screens and 3–4 minutes, the quick one under a minute) or
``day_du``. ``audit_entries.actor_id`` may be empty: a change made on the command line
(``sipas users reset-password``) has no signed-in actor.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("form_start", sa.String(length=10), server_default="nhanh", nullable=False)
        )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("actor_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    # audit_entries.actor_id stays nullable: entries made on the command line have no actor,
    # and the append-only log is not cut short to restore a NOT NULL.
    # A plain DROP COLUMN (SQLite 3.35+): copying ``units`` to a new table, as a batch
    # operation would, is refused while counters and responses point at it.
    op.drop_column("units", "form_start")
