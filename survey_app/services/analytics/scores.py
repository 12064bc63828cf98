"""SIPAS scores for any slice of the stored responses: :func:`score_stored` (a query, the
unit tree below ``query.unit_code``), :func:`score_stored_scope` (a user's units and
counters) and :func:`score_stored_each` (several groupings from one read), each returning
frozen :class:`~.results.ScoredGroup` objects; ``score_database``, ``score_scope`` and
``score_database_each`` give the same as JSON-ready dicts (:func:`.results.to_json`).

The database is read in two grains: closed half-months as stored statistics per unit ×
target group × questionnaire (:mod:`.halfmonths`, summed from the day blocks once), and
days as packed responses (:mod:`~survey_app.services.storage.daystats`: a stored block per
unit and closed day; the open day's responses kept per process), from which the statistics
of exactly the groups asked for are computed (:mod:`.groups`).  No page parses a closed
day's answers; only a grouping the blocks do not hold reads the answers row by row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from flask_babel import gettext
from numpy.typing import NDArray
from sqlalchemy import or_, select

from survey_app.extensions import db
from survey_app.models import Counter, Dossier, Procedure, Response, Unit
from survey_app.services.analytics import halfmonths
from survey_app.services.analytics.groups import (
    Accumulator,
    Groups,
    group_rows,
    mean_tree,
    pool_tree,
    score_groups,
)
from survey_app.services.analytics.results import ScoredGroup, to_json
from survey_app.services.analytics.slices import (
    BREAKDOWNS,
    BUCKET_DIMENSIONS,
    DAY_DIMENSIONS,
    EPOCH,
    LATE_LABELS,
    VERIFIED_LABELS,
    Rows,
    ScoreError,
    Slice,
    rows_from_records,
)
from survey_app.services.clock import today_local
from survey_app.services.dossiers.rules import timing
from survey_app.services.storage import daystats
from survey_app.services.storage.buckets import half_month_end, half_months

__all__ = [
    "Rows",
    "ScoreError",
    "ScoredGroup",
    "Slice",
    "score_database",
    "score_database_each",
    "score_scope",
    "score_stored",
    "score_stored_each",
    "score_stored_scope",
]


def _unit_tree(root_code: str | None) -> tuple[dict[int, Unit], list[int] | None]:
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    if root_code is None:
        return units, None
    root = next((u for u in units.values() if u.code == root_code), None)
    if root is None:
        raise ScoreError(gettext("--unit: không có đơn vị mã %(code)r", code=root_code))
    children: dict[int | None, list[int]] = {}
    for u in units.values():
        children.setdefault(u.parent_id, []).append(u.id)
    scope, frontier = [root.id], [root.id]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        scope.extend(frontier)
    return units, scope


def _raw_rows(
    ranges: list[tuple[date, date]],
    unit_ids: list[int] | None,
    counter_ids: Sequence[int] = (),
    late: bool = False,
) -> Rows:
    """The responses of ``ranges`` read row by row; with ``late`` only the verified ones,
    each labelled with its dossier's timing (``late``: :data:`.slices.LATE_LABELS`)."""
    r = Response.__table__.c
    d = Dossier.__table__.c
    records: list[Any] = []
    for first, last in ranges:
        query = (
            select(
                r.local_day,
                Unit.code,
                Counter.code,
                Procedure.code,
                r.target_group,
                r.channel,
                r.questionnaire_id,
                r.answers,
                r.dossier_id,
                *((d.due_date, d.returned_at) if late else ()),
            )
            .join(Unit, Unit.id == r.unit_id)
            .outerjoin(Counter, Counter.id == r.counter_id)
            .outerjoin(Procedure, Procedure.id == r.procedure_id)
            .where(r.local_day >= first, r.local_day <= last, r.exclusion_id.is_(None))
        )
        if late:  # the verified responses only: one join on the dossiers' primary key
            query = query.join(Dossier.__table__, d.id == r.dossier_id)
        if unit_ids is not None:
            query = query.where(
                or_(r.unit_id.in_(unit_ids), r.counter_id.in_(counter_ids))
                if counter_ids
                else r.unit_id.in_(unit_ids)
            )
        records.extend(db.session.execute(query.execution_options(yield_per=10000)))
    rows = rows_from_records(
        (
            (
                day,
                unit,
                counter,
                proc,
                group,
                channel,
                qid,
                json.loads(answers) if isinstance(answers, str) else answers,
            )
            for day, unit, counter, proc, group, channel, qid, answers, _dossier, *_ in records
        ),
        [record[8] is not None for record in records],
    )
    if late:
        today = today_local()
        rows.text["late"] = (
            np.array(
                [2 if timing(rec[9], rec[10], today) == "late" else 1 for rec in records],
                dtype=np.int32,
            ),
            LATE_LABELS,
        )
    return rows


def _block_rows(block: daystats.Block, units: dict[int, Unit], by: Sequence[str]) -> Rows:
    """``block``'s responses as :class:`Rows` labelled like :func:`_raw_rows` (unit,
    counter and procedure codes; counter and procedure looked up only when grouped by)."""
    epoch = EPOCH.toordinal()

    def labelled(ids: NDArray[np.int64], label: Any) -> tuple[NDArray[np.int32], tuple[str, ...]]:
        distinct, inverse = np.unique(ids, return_inverse=True)
        return (inverse.reshape(-1).astype(np.int32), tuple(label(i) for i in distinct.tolist()))

    def unlabelled() -> tuple[NDArray[np.int32], tuple[str, ...]]:
        return np.zeros(block.n, dtype=np.int32), ("",)

    def texts(
        codes: NDArray[np.int64], values: list[str]
    ) -> tuple[NDArray[np.int32], tuple[str, ...]]:
        return codes.astype(np.int32), tuple(values)

    text = {
        "unit": labelled(block.unit_id, lambda i: units[i].code),
        "target_group": texts(block.group, block.groups),
        "channel": texts(block.channel, block.channels),
        "questionnaire": texts(block.questionnaire, block.questionnaires),
        "verified": (block.verified.astype(np.int32), VERIFIED_LABELS),
    }
    if "counter" in by:
        counters = {i: c for i, c in db.session.execute(select(Counter.id, Counter.code))}
        text["counter"] = labelled(block.counter_id, lambda i: counters.get(i, ""))
    else:
        text["counter"] = unlabelled()
    if "procedure" in by:
        procedures = {i: c for i, c in db.session.execute(select(Procedure.id, Procedure.code))}
        text["procedure"] = labelled(block.procedure_id, lambda i: procedures.get(i, ""))
    else:
        text["procedure"] = unlabelled()
    return Rows(day=(block.day - epoch).astype(np.int32), text=text, answers=block.answers)


def score_stored(query: Slice) -> tuple[ScoredGroup, ...]:
    """Score the stored responses of ``query`` (stored statistics where they apply)."""
    units, scope = _unit_tree(query.unit_code)
    return _score_stored(query, units, scope, ())


def score_database(query: Slice) -> list[dict[str, Any]]:
    """:func:`score_stored` as JSON-ready dicts (the ``sipas score --format json`` shape)."""
    return to_json(score_stored(query))


def score_stored_each(
    query: Slice, groupings: Sequence[tuple[str, ...]], chunk: int = 20_000
) -> tuple[tuple[ScoredGroup, ...], ...]:
    """Score ``query``'s slice (``query.by`` ignored) under each grouping of ``groupings``
    — dimensions of the day blocks, without ``unit``/``counter`` (no tree pooling) — from
    one streamed read of its stored days: a report's channel and procedure breakdowns read
    the period's blocks once, ``chunk`` blocks at a time. The same figures as
    :func:`score_stored` with ``by`` each grouping."""
    for by in groupings:
        Slice(by=by)  # checks the names
        if not set(by) <= DAY_DIMENSIONS or {"unit", "counter"} & set(by):
            raise ScoreError(f"score_database_each: cannot group by {by!r}")
    units, scope = _unit_tree(query.unit_code)
    start = query.start or halfmonths.first_day()
    end = query.end or today_local()
    if start is None:
        return tuple(() for _ in groupings)
    union = tuple(dict.fromkeys(d for by in groupings for d in by))
    groups, acc = Groups(keys=[]), Accumulator()  # by every dimension asked, once

    def add(block: daystats.Block) -> None:
        if block.n:
            rows = _block_rows(block, units, (*union, *dict(query.where))).matching(query.where)
            acc.add_rows(rows, group_rows(rows, union, query.cutoff, groups))

    open_day, today = daystats.first_open_day(), today_local()
    if start < open_day:
        closed_last = min(end, open_day - timedelta(days=1))
        daystats.ensure(start, closed_last)
        for block in daystats.read_chunks(start, closed_last, scope, chunk):
            add(block)
    day = max(start, open_day)
    while day <= min(end, today):
        add(daystats.open_block(day, scope))
        day += timedelta(days=1)
    out: list[tuple[ScoredGroup, ...]] = []
    for by in groupings:  # each grouping as sums of the finer groups
        where = [union.index(d) for d in by]
        coarse, summed = Groups(keys=[]), Accumulator()
        number = [coarse.number(tuple(key[i] for i in where)) for key in groups.keys]
        for qid, per_group in acc.vectors.items():
            for group, vector in per_group.items():
                summed.add(qid, number[group], vector, 0)
        for group in range(len(groups.keys)):
            summed.add_counts(acc, group, number[group])
        out.append(score_groups(summed, coarse, by, query, end))
    return tuple(out)


def score_database_each(
    query: Slice, groupings: Sequence[tuple[str, ...]], chunk: int = 20_000
) -> list[list[dict[str, Any]]]:
    """:func:`score_stored_each` as JSON-ready dicts."""
    return [to_json(groups) for groups in score_stored_each(query, groupings, chunk)]


def score_stored_scope(
    query: Slice, unit_ids: Iterable[int] | None, counter_ids: Iterable[int] = ()
) -> tuple[ScoredGroup, ...]:
    """Score the responses of the units ``unit_ids`` (``None``: every unit) and of the
    counters ``counter_ids`` — a user's scope (:mod:`.scope`).  ``query.unit_code`` is
    ignored; with ``by`` unit, a unit pools the units below it within the scope."""
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    scope = None if unit_ids is None else sorted(set(unit_ids))
    return _score_stored(query, units, scope, sorted(set(counter_ids)))


def score_scope(
    query: Slice, unit_ids: Iterable[int] | None, counter_ids: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """:func:`score_stored_scope` as JSON-ready dicts."""
    return to_json(score_stored_scope(query, unit_ids, counter_ids))


def _score_stored(
    query: Slice, units: dict[int, Unit], scope: list[int] | None, counter_ids: Sequence[int]
) -> tuple[ScoredGroup, ...]:
    start = query.start or halfmonths.first_day()
    end = query.end or today_local()
    groups = Groups(keys=[])
    acc = Accumulator()
    if start is None:
        return ()
    by = query.dimensions
    where = dict(query.where)
    edges: list[tuple[date, date]] = []  # not covered by stored half-months
    stored: list[date] = []
    breakdown = [d for d in BREAKDOWNS if d in by or d in where]
    if set(by) - set(breakdown) <= BUCKET_DIMENSIONS and len(breakdown) <= 1 and not counter_ids:
        for period in half_months(start, end):
            inside = period >= start and half_month_end(period) <= end
            if inside and halfmonths.closed(period):
                stored.append(period)
            else:
                edges.append((max(period, start), min(half_month_end(period), end)))
        halfmonths.ensure_buckets(stored, *breakdown)
    else:
        edges.append((start, end))
    raw_ranges = edges
    blocks: list[daystats.Block] = []
    if set(by) <= DAY_DIMENSIONS:  # closed days stored, open days kept by the process
        open_day, today = daystats.first_open_day(), today_local()
        for first, last in edges:
            if first < open_day:
                closed_last = min(last, open_day - timedelta(days=1))
                daystats.ensure(first, closed_last)
                blocks.append(daystats.read(first, closed_last, scope, counter_ids))
            day = max(first, open_day)
            while day <= min(last, today):
                blocks.append(daystats.open_block(day, scope, counter_ids))
                day += timedelta(days=1)
        raw_ranges = []
    if raw_ranges:
        rows = _raw_rows(raw_ranges, scope, counter_ids, "late" in by).matching(query.where)
        acc.add_rows(rows, group_rows(rows, by, query.cutoff, groups))
    if stored:
        halfmonths.add_buckets(acc, groups, stored, by, query, units, scope, *breakdown)
    block = daystats.Block.concat(blocks)
    if block.n:
        rows = _block_rows(block, units, (*by, *where)).matching(query.where)
        acc.add_rows(rows, group_rows(rows, by, query.cutoff, groups))
    # A counter belongs to its own unit only; "own" asks for each unit's own responses.
    if "unit" in by and "counter" not in by and query.aggregate != "own":
        if query.aggregate == "mean":
            return mean_tree(acc, groups, by, units, scope, query, end)
        acc, groups = pool_tree(acc, groups, by, units, scope)
    return score_groups(acc, groups, by, query, end)
