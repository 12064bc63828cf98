"""Complaint deadlines (issue 16, point 5): holidays as data, due dates, escalation

- ``holidays``: the days off (``nghi``) and make-up working days (``lam_bu``) the admin edits,
  seeded from ``survey_app/data/holidays.json`` (2026 and 2027);
- ``units.auto_complaints``: a low rating or integrity answer with a comment opens a complaint;
- ``complaints.due_at`` (backfilled: the end, Vietnam time, of the N-th working day after
  marking, N from ``SIPAS_COMPLAINT_DUE_WORKING_DAYS``, else ``SIPAS_COMPLAINT_DUE_DAYS``,
  else 5), ``escalated_head_at`` and ``escalated_office_at``;
- ``complaint_events``: the action ``leo_thang`` and events without an actor (the system).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 19:20:00

"""

import importlib.util
import json
import os
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# The package's own data file (the migrations sit beside the package in a checkout and inside
# it in an installed wheel, so the path is taken from the package, not from this file).
HOLIDAYS = Path(importlib.util.find_spec("survey_app").origin).parent / "data" / "holidays.json"
VN = timezone(timedelta(hours=7))
OLD_ACTIONS = "('danh_dau', 'giao', 'tra_loi', 'dong', 'mo_lai', 'rut')"
NEW_ACTIONS = "('danh_dau', 'giao', 'tra_loi', 'dong', 'mo_lai', 'rut', 'leo_thang')"


def _name(day: date) -> str:
    if (day.month, day.day) == (1, 1):
        return "Tết Dương lịch"
    if day.month in (1, 2):
        return "Tết Nguyên đán"
    if (day.month, day.day) == (4, 30):
        return "Ngày Chiến thắng"
    if day.month == 4:
        return "Giỗ Tổ Hùng Vương"
    if day.month == 5:
        return "Ngày Quốc tế Lao động"
    if day.month == 9:
        return "Quốc khánh"
    return "Ngày nghỉ"


def _shipped() -> list[date]:
    data = json.loads(HOLIDAYS.read_text(encoding="utf-8"))
    return sorted(
        date.fromisoformat(v) for k, values in data.items() if not k.startswith("_") for v in values
    )


def _due_days() -> int:
    for name in ("SIPAS_COMPLAINT_DUE_WORKING_DAYS", "SIPAS_COMPLAINT_DUE_DAYS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 5


def _due_at(created: datetime, n: int, off: set[date]) -> datetime:
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    day = created.astimezone(VN).date()
    for _ in range(n):
        day += timedelta(days=1)
        while day.weekday() >= 5 or day in off:
            day += timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=VN).astimezone(UTC)


def upgrade():
    holidays = op.create_table(
        "holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('nghi', 'lam_bu')", name=op.f("ck_holidays_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
        sa.UniqueConstraint("day", name=op.f("uq_holidays_day")),
    )
    now = datetime.now(UTC)
    days = _shipped()
    op.bulk_insert(
        holidays,
        [{"day": d, "name": _name(d), "kind": "nghi", "created_at": now} for d in days],
    )
    # A plain ADD COLUMN: copying ``units`` is refused while other tables point at it.
    op.add_column(
        "units",
        sa.Column("auto_complaints", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("complaints", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "complaints", sa.Column("escalated_head_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "complaints", sa.Column("escalated_office_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(op.f("ix_complaints_due_at"), "complaints", ["due_at"], unique=False)
    with op.batch_alter_table("complaint_events") as batch_op:
        batch_op.alter_column("actor_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(batch_op.f("ck_complaint_events_action"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_complaint_events_action"), f"action IN {NEW_ACTIONS}"
        )
    # Backfill: every existing complaint gets its deadline in working days.
    bind = op.get_bind()
    complaints = sa.table(
        "complaints",
        sa.column("id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("due_at", sa.DateTime(timezone=True)),
    )
    off, n = set(days), _due_days()
    rows = bind.execute(sa.select(complaints.c.id, complaints.c.created_at)).all()
    for complaint_id, created in rows:
        due = _due_at(created, n, off)
        bind.execute(complaints.update().where(complaints.c.id == complaint_id).values(due_at=due))


def downgrade():
    op.execute("DELETE FROM complaint_events WHERE action = 'leo_thang' OR actor_id IS NULL")
    with op.batch_alter_table("complaint_events") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_complaint_events_action"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_complaint_events_action"), f"action IN {OLD_ACTIONS}"
        )
        batch_op.alter_column("actor_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_complaints_due_at"), table_name="complaints")
    op.drop_column("complaints", "escalated_office_at")
    op.drop_column("complaints", "escalated_head_at")
    op.drop_column("complaints", "due_at")
    op.drop_column("units", "auto_complaints")
    op.drop_table("holidays")
