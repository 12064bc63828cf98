"""Today's feedback for a staff member's scope: responses per counter, latest comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import Counter, Response, Unit, User, utcnow
from .responses import VN_TZ, local_day
from .scope import response_filter

LATEST_COMMENTS = 20


@dataclass(frozen=True, slots=True)
class CounterCount:
    unit_name: str
    counter_name: str | None  # None: responses that name no counter
    n: int


@dataclass(frozen=True, slots=True)
class Comment:
    at: datetime  # local time (Asia/Ho_Chi_Minh)
    unit_name: str
    counter_name: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Today:
    day: date
    total: int
    counters: list[CounterCount]
    comments: list[Comment]


def today(user: User, day: date | None = None) -> Today:
    """Responses of one local day (default today) within the user's scope."""
    day = day or local_day(utcnow())
    where = (Response.local_day == day, response_filter(user))
    counts = [
        CounterCount(unit_name, counter_name, n)
        for unit_name, counter_name, n in db.session.execute(
            select(Unit.name, Counter.name, func.count(Response.id))
            .select_from(Response)
            .join(Unit, Unit.id == Response.unit_id)
            .outerjoin(Counter, Counter.id == Response.counter_id)
            .where(*where)
            .group_by(Unit.id, Unit.name, Counter.id, Counter.code, Counter.name)
            .order_by(Unit.name, Counter.code))
    ]
    comments = [
        Comment(at.astimezone(VN_TZ), unit_name, counter_name, text)
        for at, unit_name, counter_name, text in db.session.execute(
            select(Response.submitted_at, Unit.name, Counter.name, Response.comment)
            .select_from(Response)
            .join(Unit, Unit.id == Response.unit_id)
            .outerjoin(Counter, Counter.id == Response.counter_id)
            .where(*where, Response.comment.is_not(None), Response.comment != "")
            .order_by(Response.submitted_at.desc(), Response.id.desc())
            .limit(LATEST_COMMENTS))
    ]
    return Today(day, sum(c.n for c in counts), counts, comments)
