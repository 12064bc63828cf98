"""Half-month buckets: the periods whose statistics are stored once they are over.

Half-months (the 1st–14th and the 15th–last day) tile both calendar periods and the
government reporting periods that cut on the 15th (METHOD §5).  Kept free of numpy so that
the submission path can invalidate buckets without loading the scoring stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import delete

from survey_app.extensions import db
from survey_app.models import StatsBucket
from survey_app.models.responses import DayBlock
from survey_app.services.storage import generations


def half_month(day: date) -> date:
    """First day of the half-month containing ``day``."""
    return day.replace(day=1 if day.day < 15 else 15)


def half_month_end(start: date) -> date:
    """Last day of the half-month starting on ``start``."""
    if start.day == 1:
        return start.replace(day=14)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def half_months(start: date, end: date) -> list[date]:
    """Starts of the half-months that overlap ``start``–``end``."""
    out, current = [], half_month(start)
    while current <= end:
        out.append(current)
        current = half_month_end(current) + timedelta(days=1)
    return out


def forget(days: Iterable[date], keep_days: bool = False) -> None:
    """Drop the stored statistics of the half-months containing ``days`` and the blocks of
    the days themselves, so they are computed again (call in the transaction that adds
    responses to past days), and raise the shared ``scores`` generation (every process's
    cached office overview).  ``keep_days``: the caller keeps the day blocks right itself
    (the bulk loader merges into them)."""
    days = sorted(set(days))
    periods = sorted({half_month(d) for d in days})
    if periods:
        db.session.execute(delete(StatsBucket).where(StatsBucket.period_start.in_(periods)))
    if days and not keep_days:
        db.session.execute(delete(DayBlock).where(DayBlock.day.in_(days)))
    if days:  # every process's cached overview is computed again (analytics.overview)
        generations.bump(generations.SCORES)
