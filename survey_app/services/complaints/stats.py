"""The share of complaints answered on time, per unit and period (indicator 5.2 of
Quyết định 766/QĐ-TTg; docs/method.md, "Complaints answered on time").

A complaint counts in the period in which it **fell due** (``due_at`` in ``[start, end)``),
withdrawn ones never. Of those:

- answered on time: ``answered_at`` ≤ ``due_at``;
- answered late: ``answered_at`` > ``due_at``;
- open and overdue: no answer and ``due_at`` < ``now``;
- not counted yet: no answer and still within its time (``due_at`` ≥ ``now``).

``due`` = on time + late + open overdue; ``share`` = on time / due (``None`` when ``due`` is 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Complaint, Unit, User, utcnow
from survey_app.services.access.capabilities import Capability, can
from survey_app.services.access.scope import role_unit_ids, units_among
from survey_app.services.clock import VN_TZ
from survey_app.services.complaints.access import CONDUCT_ROLES, WITHDRAWN


@dataclass(frozen=True, slots=True)
class OnTime:
    """One unit's complaints that fell due in the period."""

    unit_id: int
    due: int
    answered_on_time: int
    answered_late: int
    open_overdue: int

    @property
    def share(self) -> float | None:
        """Answered on time / due, in [0, 1]; ``None`` when nothing fell due."""
        return self.answered_on_time / self.due if self.due else None


def on_time(
    unit_ids: Iterable[int], start: datetime, end: datetime, now: datetime | None = None
) -> dict[int, OnTime]:
    """Per unit of ``unit_ids`` (each unit its own complaints, not its subtree's), the
    complaints whose ``due_at`` falls in ``[start, end)`` (aware datetimes); every unit asked
    for is in the answer, with zeros when nothing fell due."""
    ids = sorted(set(unit_ids))
    now = now or utcnow()
    counts = {u: [0, 0, 0] for u in ids}
    if ids:
        rows = db.session.execute(
            select(Complaint.unit_id, Complaint.due_at, Complaint.answered_at).where(
                Complaint.unit_id.in_(ids),
                Complaint.status != WITHDRAWN,
                Complaint.due_at.is_not(None),
                Complaint.due_at >= start,
                Complaint.due_at < end,
            )
        )
        for unit_id, due_at, answered_at in rows:
            if due_at is None:
                continue
            if answered_at is not None:
                counts[unit_id][0 if answered_at <= due_at else 1] += 1
            elif due_at < now:
                counts[unit_id][2] += 1
    return {
        u: OnTime(
            unit_id=u,
            due=sum(c),
            answered_on_time=c[0],
            answered_late=c[1],
            open_overdue=c[2],
        )
        for u, c in counts.items()
    }


def on_time_for(
    user: User, first: date, last: date, now: datetime | None = None
) -> list[tuple[Unit, OnTime]]:
    """The complaints page's table: :func:`on_time` over the local days ``first``–``last``
    for the units where ``user`` sees conduct complaints too (unit heads, office, inspectors,
    admin — counts include conduct complaints, so ``staff`` alone sees none), units with
    something due only, by code."""
    if not can(user, Capability.SEE_CONDUCT_COMPLAINTS):
        return []
    units = units_among(role_unit_ids(user, CONDUCT_ROLES))
    start = datetime.combine(first, time(0), tzinfo=VN_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=VN_TZ)
    found = on_time([u.id for u in units], start, end, now)
    return [(u, found[u.id]) for u in units if found[u.id].due]
