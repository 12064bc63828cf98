"""Integrity signals for inspectors: Q5/Q6 rates per unit and counter, conduct complaints.

METHOD §3–4: Q5 (harassment by officials) and Q6 (money beyond the rules) are answered
1 (no) · 2 (sometimes / some officials) · 3 (often / many); the **integrity rate** of an item
is the share of its valid answers that are 2 or 3, with a Wilson 95 % interval.  Every rate,
interval and change here comes from :func:`~survey_app.services.analytics.scores.score_stored`
(the ``scoring`` library) and :func:`scoring.compare`; nothing is recomputed.

Flags, per item (METHOD defines none for integrity; these are ours, worst first) — only the
first two are *flags* that ask for an inspector's look (triage, docs/method.md):

- ``rising``: the rate rose against the previous period of the same kind and the 95 %
  interval of the change excludes 0;
- ``above``: the lower bound of the rate's Wilson 95 % interval is at or above the threshold
  (setting ``INTEGRITY_FLAG_PERCENT``, 5 by default): the rate is above it beyond chance;
- ``some``: answers 2–3 were given, but neither of the above (a single answer among a few
  is no evidence of a rate above the threshold);
- ``insufficient_data``: no answer 2–3, but fewer than ``DEFAULT_MIN_N`` (30) valid answers;
- ``none``: no answer 2–3 among at least 30; ``no_data``: no valid answer.

Triage (:func:`triage`) ranks the units that serve citizens (units with counters or
responses of their own, each once on its own responses) or the counters by the larger lower
bound of their two rates, or by the larger change, flagged lines first.

Who sees this: the ``inspector`` role (the units at and below the role's unit) and ``admin``
(every unit).  Counter ``staff``, unit heads and the office never do (the issue: integrity
signals "are not shown to the staff of the counter concerned", and integrity rates appear
"for inspector-scoped reports only").  Units outside the scope answer 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from scoring import DEFAULT_MIN_N, Estimate, compare
from survey_app.extensions import db
from survey_app.models import Complaint, Counter, Response, Unit, User
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.access.scope import role_unit_ids, unit_among, units_among
from survey_app.services.analytics import tree
from survey_app.services.analytics.office import Filters
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.scores import Slice, score_stored
from survey_app.services.clock import VN_TZ
from survey_app.services.complaints import visible_filter
from survey_app.services.org import subtree_ids

CODES = ("Q5", "Q6")
FLAG_ORDER = ("rising", "above", "some", "insufficient_data", "none", "no_data")
FLAGGED = frozenset({"rising", "above"})
DEFAULT_THRESHOLD = 5.0  # percent; the setting INTEGRITY_FLAG_PERCENT
TRIAGE_KEYS = ("can_duoi", "thay_doi")
TRIAGE_LEVELS = ("don_vi", "quay")
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
    """A unit or a counter: respondents in the period and its Q5/Q6 signals; a unit line
    also has its place in the tree (``depth``, ``subtotal``: pooled over its sub-units) and
    whether it serves citizens (has counters); a counter line its unit (``unit_name``)."""

    code: str
    name: str
    n: int
    signals: tuple[Signal, ...]
    depth: int = 0
    subtotal: bool = False
    serving: bool = True
    unit_code: str = ""
    unit_name: str = ""

    @property
    def flag(self) -> str:
        """The worst of its items' flags."""
        return min((s.flag for s in self.signals), key=FLAG_ORDER.index, default="no_data")

    @property
    def flagged(self) -> bool:
        return self.flag in FLAGGED

    @property
    def lower_bound(self) -> float | None:
        """The larger lower bound of its rates' intervals (``None``: no data)."""
        return max((s.ci_low for s in self.signals if s.ci_low is not None), default=None)

    @property
    def rise(self) -> float | None:
        """The larger change of its rates against the previous period."""
        return max((s.change for s in self.signals if s.change is not None), default=None)


NO_DATA = Estimate(0, None, None, None, None)


def signal(
    code: str,
    now: Estimate | None,
    before: Estimate | None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Signal:
    """The :class:`Signal` of ``code`` from its integrity rates (``index``: the share of
    answers 2–3) now and in the previous period; ``threshold`` in percent."""
    if now is None or not now.n:
        return Signal(code, 0, None, None, None, None, False, "no_data")
    change = compare(before or NO_DATA, now)
    rising = change.significant and (change.difference or 0) > 0
    if rising:
        flag = "rising"
    elif now.ci_low is not None and (now.index or 0.0) > 0 and now.ci_low >= threshold:
        flag = "above"
    elif (now.index or 0.0) > 0:
        flag = "some"
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


def _line(
    code: str,
    name: str,
    now: ScoredGroup | None,
    before: ScoredGroup | None,
    threshold: float = DEFAULT_THRESHOLD,
    **place: Any,
) -> Line:
    empty: Mapping[str, Estimate] = {}
    integrity_now = now.integrity if now else empty
    integrity_before = before.integrity if before else empty
    return Line(
        code,
        name,
        now.n if now else 0,
        tuple(signal(c, integrity_now.get(c), integrity_before.get(c), threshold) for c in CODES),
        **place,
    )


def _score(
    filters: Filters, by: tuple[str, ...], unit_code: str | None, aggregate: str = "pool"
) -> tuple[ScoredGroup, ...]:
    return score_stored(
        Slice(
            start=filters.start,
            end=filters.end,
            by=by,
            cutoff=filters.cutoff,
            unit_code=unit_code,
            aggregate=aggregate,
        )
    )


def _scope_groups(
    filters: Filters,
    ids: set[int] | None,
    units: list[Unit],
    by: tuple[str, ...] = ("unit",),
    aggregate: str = "pool",
) -> tuple[ScoredGroup, ...]:
    """The scope's groups: of every unit (admin) or of each top unit of the subtrees."""
    if ids is None:
        return _score(filters, by, None, aggregate)
    roots = [u for u in units if u.parent_id not in ids]
    return tuple(g for root in roots for g in _score(filters, by, root.code, aggregate))


def _unit_groups(
    filters: Filters, ids: set[int] | None, units: list[Unit], aggregate: str = "pool"
) -> dict[str, ScoredGroup]:
    """unit code → group (pooled over its subtree, or its own responses), for every unit
    of the scope."""
    codes = {u.code for u in units}
    return {
        g.key["unit"]: g
        for g in _scope_groups(filters, ids, units, aggregate=aggregate)
        if g.key["unit"] in codes
    }


def unit_lines(user: User, filters: Filters, threshold: float = DEFAULT_THRESHOLD) -> list[Line]:
    """Every unit in the inspector's scope as a tree (a parent, then its sub-units), each
    pooled over its subtree."""
    ids = inspector_unit_ids(user)
    units = units_in_scope(ids)
    now = _unit_groups(filters, ids, units)
    before = _unit_groups(filters.previous(), ids, units)
    return [
        _line(
            n.code,
            n.unit.name,
            now.get(n.code),
            before.get(n.code),
            threshold,
            depth=n.depth,
            subtotal=n.subtotal,
            serving=n.serving,
        )
        for n in tree.tree_order(units)
    ]


def serving_lines(user: User, filters: Filters, threshold: float = DEFAULT_THRESHOLD) -> list[Line]:
    """The units that serve citizens (with counters or responses of their own), each once
    on its own responses."""
    ids = inspector_unit_ids(user)
    units = units_in_scope(ids)
    now = tree.own_scores(_scope_groups(filters, ids, units, aggregate="own"))
    before = tree.own_scores(_scope_groups(filters.previous(), ids, units, aggregate="own"))
    nodes = tree.with_own_responses(tree.tree_order(units), now)
    return [
        _line(n.code, n.unit.name, now.get(n.code), before.get(n.code), threshold)
        for n in nodes
        if n.serving
    ]


def scope_counter_lines(
    user: User, filters: Filters, threshold: float = DEFAULT_THRESHOLD
) -> list[Line]:
    """Every counter of the scope (with responses in either period)."""
    ids = inspector_unit_ids(user)
    units = units_in_scope(ids)
    names = {u.code: u.name for u in units}

    def by_counter(f: Filters) -> dict[tuple[str, str], ScoredGroup]:
        return {
            (g.key["unit"], g.key["counter"]): g
            for g in _scope_groups(f, ids, units, by=("counter",))
            if g.key["unit"] in names
        }

    now, before = by_counter(filters), by_counter(filters.previous())
    counters = {
        (unit_code, code): name
        for unit_code, code, name in db.session.execute(
            select(Unit.code, Counter.code, Counter.name)
            .join(Unit, Unit.id == Counter.unit_id)
            .where(Unit.code.in_({unit for unit, _code in (*now, *before)}))
        )
    }
    return [
        _line(
            code,
            counters.get((unit, code), ""),
            now.get((unit, code)),
            before.get((unit, code)),
            threshold,
            unit_code=unit,
            unit_name=names[unit],
        )
        for unit, code in sorted(set(now) | set(before))
    ]


def triage(lines: list[Line], key: str = "can_duoi") -> list[tuple[int, Line]]:
    """(rank, line) of the lines with data: flagged lines first, then by the larger lower
    bound of the two rates (``can_duoi``) or by the larger change (``thay_doi``), highest
    first; lines without that value last, then by code."""

    def value(line: Line) -> float | None:
        return line.lower_bound if key == "can_duoi" else line.rise

    present = [line for line in lines if line.n]
    present.sort(
        key=lambda line: (
            not line.flagged,
            value(line) is None,
            -(value(line) or 0.0),
            line.unit_code,
            line.code,
        )
    )
    return list(enumerate(present, start=1))


def unit_line(unit: Unit, filters: Filters, threshold: float = DEFAULT_THRESHOLD) -> Line:
    def pick(f: Filters) -> ScoredGroup | None:
        return next(
            (g for g in _score(f, ("unit",), unit.code) if g.key["unit"] == unit.code), None
        )

    return _line(unit.code, unit.name, pick(filters), pick(filters.previous()), threshold)


def sub_unit_lines(
    unit: Unit, filters: Filters, threshold: float = DEFAULT_THRESHOLD
) -> list[Line]:
    """The unit's sub-units as a tree, each pooled over its own subtree."""
    below = [u for u in units_among(set(subtree_ids([unit.id]))) if u.id != unit.id]

    def groups(f: Filters) -> dict[str, ScoredGroup]:
        return {g.key["unit"]: g for g in _score(f, ("unit",), unit.code)}

    now, before = groups(filters), groups(filters.previous())
    return [
        _line(
            n.code,
            n.unit.name,
            now.get(n.code),
            before.get(n.code),
            threshold,
            depth=n.depth,
            subtotal=n.subtotal,
            serving=n.serving,
        )
        for n in tree.tree_order(below)
    ]


def counter_lines(unit: Unit, filters: Filters, threshold: float = DEFAULT_THRESHOLD) -> list[Line]:
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
    lines = [
        _line(c.code, c.name, now.get(c.code), before.get(c.code), threshold) for c in counters
    ]
    if "" in now:
        lines.append(_line("", "", now[""], before.get(""), threshold))
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
