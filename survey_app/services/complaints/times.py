"""Handling times (SIPAS factor E): hours from marking to the answer and to the close, median
and 90th percentile (linear interpolation between order statistics, ``numpy.percentile``'s
default), and the overdue count (unanswered past ``due_at``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Complaint, Response, Unit, User, utcnow
from survey_app.services.complaints.access import WITHDRAWN, visible_filter
from survey_app.services.complaints.deadlines import due_working_days


@dataclass(frozen=True, slots=True)
class HandlingTimes:
    """One unit's handling of the complaints marked in ``[start, end)``; hours, or ``None``."""

    unit_id: int
    unit_name: str
    total: int
    open: int  # not closed
    overdue: int  # unanswered and past its due_at
    answer_median: float | None
    answer_p90: float | None
    close_median: float | None
    close_p90: float | None


def due_days_setting() -> int:
    """Working days a complaint has for its answer (``SIPAS_COMPLAINT_DUE_WORKING_DAYS``)."""
    return due_working_days()


def _hours(pairs: list[tuple[datetime, datetime]]) -> tuple[float | None, float | None]:
    if not pairs:
        return None, None
    values = sorted((b - a).total_seconds() / 3600 for a, b in pairs)
    return _percentile(values, 0.5), _percentile(values, 0.9)


def handling_times(
    user: User,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    due_days: int | None = None,
) -> list[HandlingTimes]:
    """Per unit, over the complaints the user sees that were marked in ``[start, end)``;
    overdue: unanswered, not closed, and past its ``due_at`` at ``now`` (``due_days`` is
    ignored: kept so that old callers still work; the deadline is set when marked)."""
    now = now or utcnow()
    del due_days
    rows = db.session.execute(
        select(
            Complaint.unit_id,
            Unit.name,
            Complaint.status,
            Complaint.created_at,
            Complaint.answered_at,
            Complaint.closed_at,
            Complaint.due_at,
        )
        .join(Response, Response.id == Complaint.response_id)
        .join(Unit, Unit.id == Complaint.unit_id)
        .where(
            visible_filter(user),
            Complaint.status != WITHDRAWN,
            Complaint.created_at >= start,
            Complaint.created_at < end,
        )
        .order_by(Unit.name, Complaint.unit_id)
    ).all()
    units: dict[int, list[Any]] = {}
    for r in rows:
        units.setdefault(r.unit_id, []).append(r)
    out = []
    for unit_id, items in units.items():
        a_med, a_p90 = _hours([(r.created_at, r.answered_at) for r in items if r.answered_at])
        c_med, c_p90 = _hours([(r.created_at, r.closed_at) for r in items if r.closed_at])
        out.append(
            HandlingTimes(
                unit_id=unit_id,
                unit_name=items[0].name,
                total=len(items),
                open=sum(1 for r in items if r.status != "da_dong"),
                overdue=sum(
                    1
                    for r in items
                    if r.status != "da_dong"
                    and r.answered_at is None
                    and r.due_at is not None
                    and r.due_at < now
                ),
                answer_median=a_med,
                answer_p90=a_p90,
                close_median=c_med,
                close_p90=c_p90,
            )
        )
    return out


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), of sorted ``values``."""
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)
