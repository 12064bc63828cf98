"""Integrity signals for inspectors: Q5/Q6 rates per unit and counter, conduct complaints.

METHOD §3–4: Q5 (harassment by officials) and Q6 (money beyond the rules) are answered
1 (no) · 2 (sometimes / some officials) · 3 (often / many); the **integrity rate** of an item
is the share of its valid answers that are 2 or 3, with a Wilson 95 % interval.  Every rate,
interval and change here comes from :func:`~survey_app.services.analytics.scores.score_stored`
(the ``scoring`` library) and :func:`scoring.compare`; nothing is recomputed.

Flags, per item (METHOD defines none for integrity; these are ours, worst first):

- ``rising``: the rate rose against the previous period of the same kind and the 95 %
  interval of the change excludes 0;
- ``reported``: at least one answer 2 or 3 in the period (rate > 0) — one report of a bribe
  is worth an inspector's look whatever the sample size;
- ``insufficient_data``: no answer 2–3, but fewer than ``DEFAULT_MIN_N`` (30) valid answers;
- ``none``: no answer 2–3 among at least 30; ``no_data``: no valid answer.

Who sees this: the ``inspector`` role (the units at and below the role's unit) and ``admin``
(every unit).  Counter ``staff``, unit heads and the office never do (the issue: integrity
signals "are not shown to the staff of the counter concerned", and integrity rates appear
"for inspector-scoped reports only").  Units outside the scope answer 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from scoring import DEFAULT_MIN_N, Estimate, compare
from survey_app.extensions import db
from survey_app.models import Complaint, Counter, Response, Unit, User
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.access.scope import role_unit_ids, unit_among, units_among
from survey_app.services.analytics.office import Filters
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.scores import Slice, score_stored
from survey_app.services.clock import VN_TZ
from survey_app.services.complaints import visible_filter
from survey_app.services.org import subtree_ids

CODES = ("Q5", "Q6")
FLAG_ORDER = ("rising", "reported", "insufficient_data", "none", "no_data")
COMPLAINT_LIMIT = 200


# --- who may see what ---------------------------------------------------------------------


def inspector_unit_ids(user: User) -> set[int] | None:
    """Units below the user's inspector roles; ``None`` = every unit (admin)."""
    return role_unit_ids(user, roles_with(Capability.VIEW_INTEGRITY))


def units_in_scope(ids: set[int] | None) -> list[Unit]:
    return units_among(ids)


def unit_in_scope(user: User, code: str) -> Unit:
    """The unit with this code, or 404 when it does not exist or is outside the scope."""
    return unit_among(inspector_unit_ids(user), code)


# --- signals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """One integrity item of one group: the rate (percent) with its interval, the change
    against the previous period, and the flag."""

    code: str
    n: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    change: float | None
    change_significant: bool
    flag: str


@dataclass(frozen=True)
class Line:
    """A unit or a counter: respondents in the period and its Q5/Q6 signals."""

    code: str
    name: str
    n: int
    signals: tuple[Signal, ...]

    @property
    def flag(self) -> str:
        """The worst of its items' flags."""
        return min((s.flag for s in self.signals), key=FLAG_ORDER.index, default="no_data")


NO_DATA = Estimate(0, None, None, None, None)


def signal(code: str, now: Estimate | None, before: Estimate | None) -> Signal:
    """The :class:`Signal` of ``code`` from its integrity rates (``index``: the share of
    answers 2–3) now and in the previous period."""
    if now is None or not now.n:
        return Signal(code, 0, None, None, None, None, False, "no_data")
    change = compare(before or NO_DATA, now)
    rising = change.significant and (change.difference or 0) > 0
    if rising:
        flag = "rising"
    elif (now.index or 0.0) > 0:
        flag = "reported"
    elif now.n < DEFAULT_MIN_N:
        flag = "insufficient_data"
    else:
        flag = "none"
    return Signal(
        code,
        now.n,
        now.index,
        now.ci_low,
        now.ci_high,
        change.difference,
        change.significant,
        flag,
    )


def _line(code: str, name: str, now: ScoredGroup | None, before: ScoredGroup | None) -> Line:
    empty: Mapping[str, Estimate] = {}
    integrity_now = now.integrity if now else empty
    integrity_before = before.integrity if before else empty
    return Line(
        code,
        name,
        now.n if now else 0,
        tuple(signal(c, integrity_now.get(c), integrity_before.get(c)) for c in CODES),
    )


def _score(filters: Filters, by: tuple[str, ...], unit_code: str | None) -> tuple[ScoredGroup, ...]:
    return score_stored(
        Slice(
            start=filters.start, end=filters.end, by=by, cutoff=filters.cutoff, unit_code=unit_code
        )
    )


def _unit_groups(
    filters: Filters, ids: set[int] | None, units: list[Unit]
) -> dict[str, ScoredGroup]:
    """unit code → group (pooled over its subtree), for every unit of the scope."""
    if ids is None:
        groups = _score(filters, ("unit",), None)
    else:
        roots = [u for u in units if u.parent_id not in ids]
        groups = tuple(g for root in roots for g in _score(filters, ("unit",), root.code))
    codes = {u.code for u in units}
    return {g.key["unit"]: g for g in groups if g.key["unit"] in codes}


def unit_lines(user: User, filters: Filters) -> list[Line]:
    """Every unit in the inspector's scope, in code order."""
    ids = inspector_unit_ids(user)
    units = units_in_scope(ids)
    now = _unit_groups(filters, ids, units)
    before = _unit_groups(filters.previous(), ids, units)
    return [_line(u.code, u.name, now.get(u.code), before.get(u.code)) for u in units]


def unit_line(unit: Unit, filters: Filters) -> Line:
    def pick(f: Filters) -> ScoredGroup | None:
        return next(
            (g for g in _score(f, ("unit",), unit.code) if g.key["unit"] == unit.code), None
        )

    return _line(unit.code, unit.name, pick(filters), pick(filters.previous()))


def counter_lines(unit: Unit, filters: Filters) -> list[Line]:
    """The unit's own counters (and responses without a counter, code ``""``)."""

    def by_counter(f: Filters) -> dict[str, ScoredGroup]:
        return {
            g.key["counter"]: g
            for g in _score(f, ("counter",), unit.code)
            if g.key["unit"] == unit.code
        }

    now, before = by_counter(filters), by_counter(filters.previous())
    counters = db.session.scalars(
        select(Counter).where(Counter.unit_id == unit.id).order_by(Counter.code)
    )
    lines = [_line(c.code, c.name, now.get(c.code), before.get(c.code)) for c in counters]
    if "" in now:
        lines.append(_line("", "", now[""], before.get("")))
    return lines


# --- conduct complaints -------------------------------------------------------------------


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Vietnamese local days ``start``..``end`` (inclusive) as a UTC ``[from, to)``."""
    low = datetime.combine(start, time.min, VN_TZ)
    high = datetime.combine(end + timedelta(days=1), time.min, VN_TZ)
    return low, high


def conduct_complaints(
    user: User, filters: Filters, unit: Unit | None = None, limit: int = COMPLAINT_LIMIT
) -> list[Complaint]:
    """Comments marked as complaints about an official's conduct (``thai_do``) whose
    comment was written in the period, in the inspector's scope (or ``unit``'s subtree),
    newest first; also filtered by :func:`.complaints.visible_filter`."""
    ids = inspector_unit_ids(user)
    if unit is not None:
        below = set(subtree_ids([unit.id]))
        ids = below if ids is None else ids & below
    low, high = _utc_bounds(filters.start, filters.end)
    query = (
        select(Complaint)
        .join(Response, Response.id == Complaint.response_id)
        .options(
            joinedload(Complaint.response).joinedload(Response.unit),
            joinedload(Complaint.response).joinedload(Response.counter),
        )
        .where(
            Complaint.kind == "thai_do",
            visible_filter(user),
            and_(Response.submitted_at >= low, Response.submitted_at < high),
        )
    )
    if ids is not None:
        query = query.where(Complaint.unit_id.in_(ids))
    return list(
        db.session.scalars(
            query.order_by(Response.submitted_at.desc(), Complaint.id.desc()).limit(limit)
        )
    )
