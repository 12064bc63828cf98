"""Coverage per group (issue 14): of the dossiers a group served, how many were invited and
how many answered, beside its open responses (:func:`scoring.coverage`).

A dossier counts as **served** by the place that received it — its receiving unit and
counter, where the citizen was served — on the Vietnamese local day it was returned
(``returned_day``: a result, a refusal or a withdrawal handed back); a dossier still open
is not served.  It is **invited** when it has an invitation, **answered** when a verified
response names it (``responses.dossier_id``), whatever day the answer came.  Groups are
those of a :class:`~.slices.Slice`: unit (pooled over the subtree, like the scores, unless
``aggregate="own"``), counter, procedure (the catalogue's code), channel and the day,
month and quarter of the return day (calendar or 15th–14th).  A grouping or filter that a
dossier does not have (target group, questionnaire) has no coverage (``None``).

Counts come from one ``GROUP BY`` over the period's dossiers (index
``ix_dossiers_receiving_returned``), by day × unit × the dimensions asked, and are kept per
process until the data change: a few index reads (the newest dossier, dossier change,
invitation, used invitation and answered dossier, migration 0019) make the cache's
signature, and an entry lives at most :data:`CACHE_SECONDS` besides.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, cast

from flask import current_app
from sqlalchemy import func, select

from scoring import DEFAULT_MIN_RATE, Coverage, PeriodKind, coverage, period_label
from survey_app.extensions import db
from survey_app.models import Counter, Dossier, Invitation, Procedure, Response, Unit
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.slices import PERIODS, Slice

__all__ = [
    "CACHE_SECONDS",
    "Counts",
    "attach",
    "counts",
    "coverage_for",
    "min_rate",
    "not_representative",
]

CACHE_SECONDS = 300.0
# Dimensions a dossier has (the rest — target group, questionnaire, verified — it has not).
COVERED = frozenset({"unit", "counter", "procedure", "channel", *PERIODS})


@dataclass(frozen=True)
class Counts:
    """A group's dossiers: served, of them invited, of them answered (verified)."""

    served: int = 0
    invited: int = 0
    answered: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.served + other.served,
            self.invited + other.invited,
            self.answered + other.answered,
        )


def min_rate() -> float:
    """The setting ``SIPAS_COVERAGE_MIN_RATE`` (percent; default 5)."""
    return float(current_app.config.get("COVERAGE_MIN_RATE", DEFAULT_MIN_RATE))


def not_representative(c: Coverage | None) -> bool:
    """A group with dossiers whose rate or verified n is under the minimum: listed, not
    ranked.  A group without dossiers (``None``) is judged on its responses as before."""
    return c is not None and not c.representative


# --- the cache ---------------------------------------------------------------------------

_lock = threading.Lock()
_cache: dict[tuple[Any, ...], tuple[tuple[Any, ...], float, Any]] = {}


def _signature() -> tuple[Any, ...]:
    """The newest dossier, dossier change, invitation, use and answered dossier (index
    reads only): any import, invitation or verified response changes one of them."""
    d, i = Dossier.__table__.c, Invitation.__table__.c
    row = db.session.execute(
        select(
            select(func.max(d.id)).scalar_subquery(),
            select(func.max(d.changed_at)).scalar_subquery(),
            select(func.max(i.id)).scalar_subquery(),
            select(func.max(i.used_at)).scalar_subquery(),
            select(func.max(Response.__table__.c.dossier_id)).scalar_subquery(),
        )
    ).one()
    return (db.engine.url.render_as_string(), *tuple(row))


def clear_cache() -> None:
    with _lock:
        _cache.clear()


# --- counting ----------------------------------------------------------------------------


def _grouped(
    start: date,
    end: date,
    dims: tuple[str, ...],
    unit_ids: tuple[int, ...] | None,
    counter_ids: tuple[int, ...],
    where: tuple[tuple[str, str], ...],
) -> list[tuple[Any, ...]]:
    """(unit id, [counter id], [procedure id], [channel], [day], served, invited, answered);
    ``dims``: which of counter, procedure, channel and day to group by besides the unit."""
    dossiers, invitations, responses = (
        Dossier.__table__,
        Invitation.__table__,
        Response.__table__,
    )
    d, inv, resp = dossiers.c, invitations.c, responses.c
    columns = [d.receiving_unit_id]
    if "counter" in dims:
        columns.append(d.receiving_counter_id)
    if "procedure" in dims:
        columns.append(d.procedure_id)
    if "channel" in dims:
        columns.append(d.channel)
    if "day" in dims:
        columns.append(d.returned_day)
    query = (
        select(*columns, func.count(), func.count(inv.id), func.count(resp.id))
        .select_from(
            dossiers.outerjoin(invitations, inv.dossier_id == d.id).outerjoin(
                responses, resp.dossier_id == d.id
            )
        )
        .where(d.returned_day >= start, d.returned_day <= end)
        .group_by(*columns)
    )
    scope = []
    if unit_ids is not None:
        scope.append(d.receiving_unit_id.in_(unit_ids))
    if counter_ids:
        scope.append(d.receiving_counter_id.in_(counter_ids))
    if scope:
        query = query.where(scope[0] if len(scope) == 1 else scope[0] | scope[1])
    filters = dict(where)
    if "channel" in filters:
        value = filters["channel"]
        query = query.where(d.channel == value if value else d.channel.is_(None))
    if "procedure" in filters:
        code = filters["procedure"]
        if code:
            query = query.where(
                d.procedure_id.in_(select(Procedure.id).where(Procedure.code == code))
            )
        else:
            query = query.where(d.procedure_id.is_(None))
    return [tuple(r) for r in db.session.execute(query)]


def _cached_rows(
    start: date,
    end: date,
    dims: tuple[str, ...],
    unit_ids: tuple[int, ...] | None,
    counter_ids: tuple[int, ...],
    where: tuple[tuple[str, str], ...],
    labels: Any,
) -> dict[tuple[str, ...], Counts]:
    """The labelled counts, from the cache while the signature holds: the grouped rows are
    kept by their query (labelled several ways — pooled and own units — from one read) and
    the labelled counts by their labelling."""
    sql_dims = tuple(d for d in ("counter", "procedure", "channel") if d in dims) + (
        ("day",) if set(PERIODS) & set(dims) else ()
    )
    sql_key = ("rows", start, end, sql_dims, unit_ids, counter_ids, where)
    key = ("labelled", sql_key, dims, labels[0])
    signature = _signature()
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        raw = _cache.get(sql_key)
    if hit is not None and hit[0] == signature and hit[1] > now:
        return cast(dict[tuple[str, ...], Counts], hit[2])
    if raw is not None and raw[0] == signature and raw[1] > now:
        rows = cast(list[tuple[Any, ...]], raw[2])
    else:
        rows = _grouped(start, end, sql_dims, unit_ids, counter_ids, where)
    out: dict[tuple[str, ...], Counts] = {}
    for row in rows:
        found = Counts(int(row[-3]), int(row[-2]), int(row[-1]))
        for label in labels[1](row):
            out[label] = out.get(label, Counts()) + found
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[sql_key] = (signature, now + CACHE_SECONDS, rows)
        _cache[key] = (signature, now + CACHE_SECONDS, out)
    return out


def counts(
    query: Slice,
    unit_ids: Iterable[int] | None = None,
    counter_ids: Iterable[int] = (),
) -> dict[tuple[str, ...], Counts] | None:
    """Dossier counts per group of ``query`` (keys: the labels of ``query.dimensions``, as
    in :attr:`ScoredGroup.key`), for the receiving units ``unit_ids`` (``None``: every unit,
    or ``query.unit_code``'s subtree when set) and counters ``counter_ids``.  ``None`` when
    the grouping or a filter is one dossiers do not have."""
    dims = query.dimensions
    if not set(dims) <= COVERED or {"target_group", "questionnaire"} & dict(query.where).keys():
        return None
    # plain rows (id, code, parent id), not ORM objects: a province has a thousand units
    units = {
        u.id: u for u in db.session.connection().execute(select(Unit.id, Unit.code, Unit.parent_id))
    }
    if query.unit_code is not None and unit_ids is None:
        root = next((u for u in units.values() if u.code == query.unit_code), None)
        if root is None:
            return {}
        unit_ids = _subtree(units, root.id)
    scope = None if unit_ids is None else tuple(sorted(set(unit_ids)))
    start = query.start or date(1970, 1, 1)
    end = query.end or date(9999, 12, 31)
    pool = "unit" in dims and "counter" not in dims and query.aggregate != "own"
    counters = (
        {i: c for i, c in db.session.execute(select(Counter.id, Counter.code))}
        if "counter" in dims
        else {}
    )
    procedures = (
        {i: c for i, c in db.session.execute(select(Procedure.id, Procedure.code))}
        if "procedure" in dims
        else {}
    )
    inside = set(units) if scope is None else set(scope)
    ancestors: dict[int, tuple[str, ...]] = {}

    def units_of(unit_id: int) -> tuple[str, ...]:
        if not pool:
            return (units[unit_id].code,) if unit_id in units else ("",)
        found = ancestors.get(unit_id)
        if found is None:
            chain, at = [], units.get(unit_id)
            while at is not None and at.id in inside:
                chain.append(at.code)
                at = units.get(at.parent_id) if at.parent_id is not None else None
            found = ancestors[unit_id] = tuple(chain) or ("",)
        return found

    day_labels: dict[tuple[date, str], str] = {}

    def labels(row: tuple[Any, ...]) -> list[tuple[str, ...]]:
        at = 1
        parts: dict[str, Any] = {}
        for dim in ("counter", "procedure", "channel"):
            if dim in dims:
                parts[dim] = row[at]
                at += 1
        day: Any = row[at] if set(PERIODS) & set(dims) else None
        fixed: dict[str, str] = {}
        if "counter" in dims:
            fixed["counter"] = counters.get(parts["counter"], "")
        if "procedure" in dims:
            fixed["procedure"] = procedures.get(parts["procedure"], "")
        if "channel" in dims:
            fixed["channel"] = parts["channel"] or ""
        for kind in PERIODS:
            if kind in dims:
                if isinstance(day, str):
                    day = date.fromisoformat(day)
                cached = day_labels.get((day, kind))
                if cached is None:
                    cached = day_labels[(day, kind)] = period_label(
                        day, cast(PeriodKind, kind), query.cutoff
                    )
                fixed[kind] = cached
        out = []
        for unit_code in units_of(row[0]) if "unit" in dims else ("",):
            fixed["unit"] = unit_code
            out.append(tuple(fixed[dim] for dim in dims))
        return out

    where = tuple((k, v) for k, v in query.where if k in ("channel", "procedure"))
    label_key = (pool, query.cutoff.value, query.unit_code)
    return _cached_rows(
        start, end, dims, scope, tuple(sorted(set(counter_ids))), where, (label_key, labels)
    )


def _subtree(units: Mapping[int, Any], root: int) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for u in units.values():
        children.setdefault(u.parent_id, []).append(u.id)
    out, frontier = [root], [root]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        out.extend(frontier)
    return out


def coverage_for(found: Counts | None, open_responses: int, min_n: int) -> Coverage | None:
    """A group's :class:`scoring.Coverage`, ``None`` when it served no dossier."""
    if found is None or found.served == 0:
        return None
    return coverage(
        found.served,
        min(found.invited, found.served),
        min(found.answered, found.served),
        open_responses,
        min_rate=min_rate(),
        min_n=min_n,
    )


def attach(
    groups: Sequence[ScoredGroup],
    query: Slice,
    unit_ids: Iterable[int] | None = None,
    counter_ids: Iterable[int] = (),
) -> tuple[ScoredGroup, ...]:
    """``groups`` (a score of ``query``) with their ``coverage`` set: the group's dossiers
    and its open respondents (``n_open``)."""
    found = counts(query, unit_ids, counter_ids)
    if found is None:
        return tuple(groups)
    dims = query.dimensions
    return tuple(
        replace(
            g,
            coverage=coverage_for(
                found.get(tuple(g.key.get(d, "") for d in dims)), g.n_open, query.min_n
            ),
        )
        for g in groups
    )
