"""Complaints can be withdrawn: status ``da_rut`` and history action ``rut``

Marking a comment as a complaint can be undone by whoever marked it within
``SIPAS_COMPLAINT_UNDO_MINUTES``, or withdrawn by a unit head (issue 12, "no slips"). The row
and its history stay; only the two CHECK constraints learn the new values.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:00:00

"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_STATUSES = "('moi', 'da_giao', 'da_tra_loi', 'da_dong')"
NEW_STATUSES = "('moi', 'da_giao', 'da_tra_loi', 'da_dong', 'da_rut')"
OLD_ACTIONS = "('danh_dau', 'giao', 'tra_loi', 'dong', 'mo_lai')"
NEW_ACTIONS = "('danh_dau', 'giao', 'tra_loi', 'dong', 'mo_lai', 'rut')"


def _checks(statuses: str, actions: str) -> None:
    with op.batch_alter_table("complaints") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_complaints_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_complaints_status"), f"status IN {statuses}"
        )
    with op.batch_alter_table("complaint_events") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_complaint_events_action"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_complaint_events_action"), f"action IN {actions}"
        )


def upgrade():
    _checks(NEW_STATUSES, NEW_ACTIONS)


def downgrade():
    op.execute("UPDATE complaints SET status = 'moi' WHERE status = 'da_rut'")
    op.execute("DELETE FROM complaint_events WHERE action = 'rut'")
    _checks(OLD_STATUSES, OLD_ACTIONS)
