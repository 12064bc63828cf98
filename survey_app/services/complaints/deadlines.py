"""Complaint deadlines in Vietnamese working days, and escalation (issue 16, point 5).

- Due: the end (midnight, Vietnam time) of the ``SIPAS_COMPLAINT_DUE_WORKING_DAYS``-th working
  day after the day of marking (working days: Monday–Friday minus the ``holidays`` table's
  days off, plus its make-up days), stored in ``complaints.due_at`` when marked.
- Escalation (:func:`escalate`, the periodic task ``complaints.escalate``): a complaint still
  new (``moi``: nobody assigned, no answer) after ``SIPAS_COMPLAINT_ACK_WORKING_HOURS`` working
  hours — time inside its unit's opening hours on working days — goes to the unit head
  (``escalated_head_at``); one unanswered past ``due_at`` goes to the office
  (``escalated_office_at``). Each happens once, with a ``leo_thang`` history event and an
  alert through :func:`services.alerts.escalate` (a conduct complaint: e-mail only, never a
  webhook, and the alert is seen by roles that see conduct complaints only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from survey_app.extensions import db
from survey_app.models import Complaint, ComplaintEvent, Unit, utcnow
from survey_app.services import alerts
from survey_app.services.clock import VN_TZ
from survey_app.services.org import holidays
from survey_app.services.workdays import Calendar, unit_opening_hours

ESCALATE = "complaints.escalate"
OPEN = ("moi", "da_giao")  # unanswered


def due_working_days() -> int:
    """``SIPAS_COMPLAINT_DUE_WORKING_DAYS`` (the old ``SIPAS_COMPLAINT_DUE_DAYS`` as fallback)."""
    return int(current_app.config["COMPLAINT_DUE_WORKING_DAYS"])


def ack_working_hours() -> int:
    return int(current_app.config["COMPLAINT_ACK_WORKING_HOURS"])


def due_at_for(unit_id: int, marked_at: datetime, calendar: Calendar | None = None) -> datetime:
    """When a complaint of ``unit_id`` marked at ``marked_at`` is due (see the docstring)."""
    del unit_id  # one calendar for the province; kept for a per-unit calendar later
    return (calendar or holidays.calendar()).due_at(marked_at, due_working_days())


@dataclass(frozen=True)
class Escalated:
    head: list[int]  # complaint ids escalated to the unit head in this run
    office: list[int]  # … to the office


def _claim(complaint_id: int, column: str, now: datetime) -> bool:
    """Set ``column`` once (a racing second worker updates nothing)."""
    col = getattr(Complaint, column)
    done = db.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint_id, col.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def _escalate_one(complaint: Complaint, level: str, now: datetime) -> bool:
    column = "escalated_head_at" if level == "lanh_dao" else "escalated_office_at"
    if not _claim(complaint.id, column, now):
        db.session.rollback()
        return False
    db.session.add(
        ComplaintEvent(
            complaint_id=complaint.id, actor_id=None, at=now, action="leo_thang", note=level
        )
    )
    due = complaint.due_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if complaint.due_at else ""
    alert = alerts.escalate(
        complaint.unit_id,
        "complaint_head" if level == "lanh_dao" else "complaint_office",
        complaint.id,
        now,
        {"complaint": complaint.id, "kind": complaint.kind, "due": due},
        relay=complaint.kind != "thai_do",
    )
    db.session.commit()
    alerts.queue_deliveries(alert)
    return True


def escalate(now: datetime | None = None) -> Escalated:
    """One run of the escalation (the periodic task; ``now`` frozen in tests)."""
    now = now or utcnow()
    calendar = holidays.calendar()
    default_hours = str(current_app.config["KIOSK_OPENING_HOURS"])
    limit = ack_working_hours() * 3600
    head: list[int] = []
    office: list[int] = []
    waiting = db.session.scalars(
        select(Complaint).where(
            Complaint.status == "moi",
            Complaint.assignee_id.is_(None),
            Complaint.escalated_head_at.is_(None),
            Complaint.created_at < now,
        )
    ).all()
    units: dict[int, Unit | None] = {}
    for complaint in waiting:
        if complaint.unit_id not in units:
            units[complaint.unit_id] = db.session.get(Unit, complaint.unit_id)
        hours = unit_opening_hours(units[complaint.unit_id], default_hours)
        if calendar.working_seconds(complaint.created_at, now, hours) >= limit:
            complaint_id = complaint.id
            if _escalate_one(complaint, "lanh_dao", now):
                head.append(complaint_id)
    late = db.session.scalars(
        select(Complaint).where(
            Complaint.status.in_(OPEN),
            Complaint.escalated_office_at.is_(None),
            Complaint.due_at.is_not(None),
            Complaint.due_at < now,
        )
    ).all()
    for complaint in late:
        complaint_id = complaint.id
        if _escalate_one(complaint, "van_phong", now):
            office.append(complaint_id)
    return Escalated(head=head, office=office)
