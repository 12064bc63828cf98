"""SIPAS scores for any slice of responses, from the database or from a response file.

The data arrive as *columns* (:class:`Rows`: one entry per response) and, for the database,
as stored half-month statistics (:class:`~survey_app.models.StatsBucket`).  Both are turned
into additive statistics vectors per group and questionnaire version (``scoring``'s layout),
summed — over half-months, days, and over the unit tree when grouping by unit — and scored in
one vectorised call.  The database is read in two grains: closed half-months as stored
statistics per unit × target group × questionnaire (:class:`~survey_app.models.StatsBucket`,
summed from the day blocks once), and days as packed responses (:mod:`.daystats`: a stored
block per unit and closed day; the open day's responses kept per process), from which the
statistics of exactly the groups asked for are computed.  No page parses a closed day's
answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError

import forms
from forms import SectionKind
from scoring import (
    TARGETS_90_85,
    TARGETS_2030,
    Cutoff,
    GroupScore,
    StatsBatch,
    Structure,
    mean_of_groups,
    score_versions_batch,
    stats_length,
    target_set_for,
    to_json_dict,
)
from scoring import period_label as _period_label
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Response, StatsBucket, Unit
from survey_app.services.clock import today_local
from survey_app.services.storage import daystats
from survey_app.services.storage.buckets import half_month_end, half_months

DIMENSIONS = ("unit", "counter", "procedure", "target_group", "channel", "day", "month", "quarter")
PERIODS = ("day", "month", "quarter")
BUCKET_DIMENSIONS = frozenset({"unit", "target_group", "month", "quarter"})
BREAKDOWNS = ("channel", "procedure")  # a half-month bucket may be broken down by one
WHERE_DIMENSIONS = ("target_group", "channel", "procedure")
DAY_DIMENSIONS = frozenset(
    {"unit", "counter", "procedure", "target_group", "channel", "day", "month", "quarter"}
)
LAND = "dat_dai_xay_dung_dau_tu"
TARGET_SETS = {"90-85": (TARGETS_90_85,), "2030": (TARGETS_2030, TARGETS_90_85)}
EPOCH = date(1970, 1, 1)


class ScoreError(ValueError):
    """A request that cannot be scored; the message says why (CLI: exit code 2)."""


@dataclass(frozen=True)
class Slice:
    """What to score: a day range (inclusive, Vietnamese local days) and the grouping."""

    start: date | None = None
    end: date | None = None
    by: tuple[str, ...] = ()
    cutoff: Cutoff = Cutoff.CALENDAR
    unit_code: str | None = None
    min_n: int = 30
    targets: str = "90-85"
    aggregate: str = "pool"  # or "mean": a parent as the mean of its children's indices
    where: tuple[tuple[str, str], ...] = ()  # only the responses with these values
    # (target group, channel — "" unknown —, procedure code — "" none)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The grouping; a counter code is only unique within its unit, so ``counter``
        brings ``unit`` with it."""
        if "counter" in self.by and "unit" not in self.by:
            return ("unit", *self.by)
        return self.by

    def __post_init__(self) -> None:
        unknown = [d for d in self.by if d not in DIMENSIONS]
        if unknown:
            raise ScoreError(
                f"--by: unknown dimension {unknown[0]!r}; use one of {', '.join(DIMENSIONS)}"
            )
        if len(set(self.by)) != len(self.by):
            raise ScoreError("--by: a dimension is repeated")
        if self.start and self.end and self.start > self.end:
            raise ScoreError("--from is after --to")
        if self.aggregate not in ("pool", "mean"):
            raise ScoreError("--aggregate: use pool or mean")
        if self.targets not in TARGET_SETS:
            raise ScoreError(f"--targets: use one of {', '.join(TARGET_SETS)}")
        names = [d for d, _value in self.where]
        if any(d not in WHERE_DIMENSIONS for d in names) or len(set(names)) != len(names):
            raise ScoreError(f"where: filter once each by {', '.join(WHERE_DIMENSIONS)}")


@dataclass
class Rows:
    """Responses as columns. Text columns are dictionary-encoded: ``values[codes[i]]``."""

    day: NDArray[np.int32]  # days since 1970-01-01 (local day)
    text: dict[str, tuple[NDArray[np.int32], tuple[str, ...]]]  # unit, counter, procedure,
    # target_group, channel, questionnaire
    answers: NDArray[np.int8]  # (n, len(forms.all_item_codes())), 0 = missing

    @property
    def n(self) -> int:
        return int(self.day.shape[0])

    def take(self, mask: NDArray[np.bool_]) -> Rows:
        """The responses where ``mask`` is true (texts keep their values)."""
        return Rows(
            day=self.day[mask],
            text={k: (codes[mask], values) for k, (codes, values) in self.text.items()},
            answers=self.answers[mask],
        )


@cache
def structure_of(version: str) -> Structure:
    """The items → factors → parts structure of a questionnaire version, for ``scoring``."""
    q = forms.get(version)
    return Structure(
        factors=q.factors(),
        parts=q.parts(),
        expectation=q.codes_of(SectionKind.EXPECTATION),
        integrity=q.codes_of(SectionKind.INTEGRITY),
    )


def encode(values: Sequence[str]) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    """Dictionary-encode a text column."""
    labels, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int32), tuple(str(v) for v in labels)


def rows_from_records(
    records: Iterable[tuple[date, str, str, str, str, str, str, dict[str, int]]],
) -> Rows:
    """Build :class:`Rows` from (day, unit, counter, procedure, target_group, channel,
    questionnaire, answers) tuples."""
    records = list(records)
    epoch = EPOCH.toordinal()
    days = np.array([r[0].toordinal() - epoch for r in records], dtype=np.int32)
    text = {
        key: encode([r[i] or "" for r in records])
        for i, key in enumerate(
            ("unit", "counter", "procedure", "target_group", "channel", "questionnaire"), 1
        )
    }
    return Rows(day=days, text=text, answers=daystats.answer_matrix([r[7] for r in records]))


# --- grouping -------------------------------------------------------------------------------


@dataclass
class _Groups:
    """Group keys (one tuple of labels per group) and each response's group number."""

    keys: list[tuple[str, ...]]
    index: dict[tuple[str, ...], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {k: i for i, k in enumerate(self.keys)}

    def number(self, key: tuple[str, ...]) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.keys)
            self.keys.append(key)
        return found


def _period_labels(
    days: NDArray[np.int32], kind: str, cutoff: Cutoff
) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    unique, inverse = np.unique(days, return_inverse=True)
    labels = [_period_label(EPOCH + timedelta(days=int(d)), kind, cutoff) for d in unique]
    label_codes, values = encode(labels)
    return label_codes[inverse].astype(np.int32), values


def _key_columns(
    rows: Rows, by: Sequence[str], cutoff: Cutoff
) -> list[tuple[NDArray[np.int32], tuple[str, ...]]]:
    out = []
    for dim in by:
        if dim in PERIODS:
            out.append(_period_labels(rows.day, dim, cutoff))
        elif dim == "counter":
            out.append(rows.text["counter"])
        else:
            out.append(rows.text[dim])
    return out


def _group_rows(rows: Rows, by: Sequence[str], cutoff: Cutoff, groups: _Groups) -> NDArray[np.intp]:
    """Each response's group number (adding new groups to ``groups``)."""
    if rows.n == 0:
        return np.zeros(0, dtype=np.intp)
    columns = _key_columns(rows, by, cutoff)
    if not columns:
        return np.full(rows.n, groups.number(()), dtype=np.intp)
    sizes = [max(len(values), 1) for _codes, values in columns]
    flat = np.ravel_multi_index([codes for codes, _values in columns], sizes)
    unique, inverse = np.unique(flat, return_inverse=True)
    positions = np.unravel_index(unique, sizes)  # one array per dimension
    numbers = np.array(
        [
            groups.number(
                tuple(
                    values[int(pos[i])]
                    for (_codes, values), pos in zip(columns, positions, strict=True)
                )
            )
            for i in range(len(unique))
        ],
        dtype=np.intp,
    )
    return numbers[inverse]


# --- statistics per group and version -------------------------------------------------------


class _Accumulator:
    """Statistics vectors per questionnaire version and group, plus land-group respondents."""

    def __init__(self) -> None:
        self.vectors: dict[str, dict[int, NDArray[np.int64]]] = {}
        self.land: dict[int, int] = {}

    def add(self, qid: str, group: int, vector: NDArray[np.int64], land_n: int) -> None:
        per_group = self.vectors.setdefault(qid, {})
        if group in per_group:
            per_group[group] = per_group[group] + vector
        else:
            per_group[group] = vector.astype(np.int64, copy=True)
        self.land[group] = self.land.get(group, 0) + land_n

    def add_rows(self, rows: Rows, numbers: NDArray[np.intp]) -> None:
        qcodes, qvalues = rows.text["questionnaire"]
        tcodes, tvalues = rows.text["target_group"]
        land = np.isin(tcodes, [i for i, v in enumerate(tvalues) if v == LAND])
        columns = forms.all_item_codes()
        for qi, qid in enumerate(qvalues):
            mask = qcodes == qi
            if not mask.any():
                continue
            structure = structure_of(qid)
            cols = [columns.index(c) for c in structure.columns]
            present, local = np.unique(numbers[mask], return_inverse=True)
            batch = StatsBatch.from_answers(
                structure, rows.answers[mask][:, cols], local, n_groups=len(present)
            )
            vectors = batch.to_vectors()
            land_n = np.bincount(local, weights=land[mask], minlength=len(present))
            for j, group in enumerate(present):
                self.add(qid, int(group), vectors[j], int(land_n[j]))


def _group_scores(acc: _Accumulator, groups: _Groups) -> list[GroupScore | None]:
    """Score every group in one vectorised call; ``None`` for a group without respondents."""
    if not acc.vectors:
        return [None] * len(groups.keys)
    g_count = len(groups.keys)
    batches = []
    for qid, per_group in acc.vectors.items():
        structure = structure_of(qid)
        matrix = np.zeros((g_count, stats_length(structure)), dtype=np.int64)
        for group, vector in per_group.items():
            matrix[group] = vector
        batches.append(StatsBatch.from_vectors(structure, matrix))
    respondents = sum(b.to_vectors()[:, 0] for b in batches)
    scores = score_versions_batch(batches)
    return [scores.group(g) if respondents[g] else None for g in range(g_count)]


def _output(
    keys: Sequence[tuple[str, ...]],
    results: Sequence[GroupScore | None],
    land: dict[int, int],
    by: Sequence[str],
    query: Slice,
    end: date | None,
) -> list[dict[str, Any]]:
    """One JSON-ready dict per group with respondents, sorted by key, with its target."""
    target_set = target_set_for(end or today_local(), TARGET_SETS[query.targets])
    out = []
    for g in sorted(range(len(keys)), key=keys.__getitem__):
        result = results[g]
        if result is None or result.n == 0:
            continue
        key = dict(zip(by, keys[g], strict=True))
        if "target_group" in key:
            land_only = key["target_group"] == LAND
        else:
            land_only = land.get(g, 0) == result.n
        target = target_set.target(LAND if land_only else "chung")
        out.append({"group": key, **to_json_dict(result, target=target, min_n=query.min_n)})
    return out


def _score_groups(
    acc: _Accumulator, groups: _Groups, by: Sequence[str], query: Slice, end: date | None
) -> list[dict[str, Any]]:
    return _output(groups.keys, _group_scores(acc, groups), acc.land, by, query, end)


def _mean_tree(
    acc: _Accumulator,
    groups: _Groups,
    by: Sequence[str],
    units: dict[int, Unit],
    scope: list[int] | None,
    query: Slice,
    end: date | None,
) -> list[dict[str, Any]]:
    """A parent's indices as the mean of its children's (and its own responses', if any)
    indices, level by level — how a national figure is built from provinces (METHOD §4)."""
    own = _group_scores(acc, groups)
    position = by.index("unit")
    children: dict[int | None, list[Unit]] = {}
    for u in units.values():
        children.setdefault(u.parent_id, []).append(u)
    memo: dict[tuple[str, ...], tuple[GroupScore | None, int]] = {}

    def resolve(unit: Unit, rest: tuple[str, ...]) -> tuple[GroupScore | None, int]:
        key = (*rest[:position], unit.code, *rest[position:])
        if key in memo:
            return memo[key]
        number = groups.index.get(key)
        parts = [(own[number], acc.land.get(number, 0))] if number is not None else []
        parts += [resolve(child, rest) for child in children.get(unit.id, [])]
        found = [(r, land_n) for r, land_n in parts if r is not None]
        if not found:
            memo[key] = (None, 0)
        elif len(found) == 1:
            memo[key] = found[0]
        else:
            memo[key] = (mean_of_groups([r for r, _ in found]), sum(n for _, n in found))
        return memo[key]

    rests = {(*k[:position], *k[position + 1 :]) for k in groups.keys}
    allowed = set(scope) if scope is not None else set(units)
    keys: list[tuple[str, ...]] = []
    results: list[GroupScore | None] = []
    land: dict[int, int] = {}
    for rest in sorted(rests):
        for unit_id in sorted(allowed):
            result, land_n = resolve(units[unit_id], rest)
            if result is not None:
                land[len(keys)] = land_n
                keys.append((*rest[:position], units[unit_id].code, *rest[position:]))
                results.append(result)
    return _output(keys, results, land, by, query, end)


# --- the database ---------------------------------------------------------------------------


def _closed(bucket: date) -> bool:
    """A half-month is closed a full day after it ends (no response can still arrive)."""
    return half_month_end(bucket) < today_local() - timedelta(days=1)


def _unit_tree(root_code: str | None) -> tuple[dict[int, Unit], list[int] | None]:
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    if root_code is None:
        return units, None
    root = next((u for u in units.values() if u.code == root_code), None)
    if root is None:
        raise ScoreError(f"--unit: no unit has the code {root_code!r}")
    children: dict[int | None, list[int]] = {}
    for u in units.values():
        children.setdefault(u.parent_id, []).append(u.id)
    scope, frontier = [root.id], [root.id]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        scope.extend(frontier)
    return units, scope


def _raw_rows(
    ranges: list[tuple[date, date]], unit_ids: list[int] | None, counter_ids: Sequence[int] = ()
) -> Rows:
    r = Response.__table__.c
    records = []
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
            )
            .join(Unit, Unit.id == r.unit_id)
            .outerjoin(Counter, Counter.id == r.counter_id)
            .outerjoin(Procedure, Procedure.id == r.procedure_id)
            .where(r.local_day >= first, r.local_day <= last)
        )
        if unit_ids is not None:
            query = query.where(
                or_(r.unit_id.in_(unit_ids), r.counter_id.in_(counter_ids))
                if counter_ids
                else r.unit_id.in_(unit_ids)
            )
        records.extend(db.session.execute(query.execution_options(yield_per=10000)))
    return rows_from_records(
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
        for day, unit, counter, proc, group, channel, qid, answers in records
    )


def ensure_buckets(periods: Iterable[date], dimension: str = "") -> None:
    """Compute and store the statistics of closed half-months that have none yet (broken
    down by ``dimension``: "", ``channel`` or ``procedure``), from their days' stored
    blocks (:mod:`.daystats`, packed first where missing)."""
    periods = [p for p in periods if _closed(p)]
    if not periods:
        return
    done = set(
        db.session.scalars(
            select(StatsBucket.period_start).where(
                StatsBucket.period_start.in_(periods),
                StatsBucket.unit_id == 0,
                StatsBucket.dimension == dimension,
            )
        )
    )
    for period in periods:
        if period in done:
            continue
        last = half_month_end(period)
        daystats.ensure(period, last)
        block = daystats.read(period, last, None)
        # A marker row (unit 0) records that the half-month was computed, even if empty.
        stored = [
            {
                "period_start": period,
                "unit_id": 0,
                "target_group": "",
                "questionnaire_id": "",
                "dimension": dimension,
                "value": "",
                "n": 0,
                "stats": b"",
            }
        ]
        for (unit_id, target_group, qid, value), vector in _sums_by_unit(block, dimension):
            stored.append(
                {
                    "period_start": period,
                    "unit_id": unit_id,
                    "target_group": target_group,
                    "questionnaire_id": qid,
                    "dimension": dimension,
                    "value": value,
                    "n": int(vector[0]),
                    "stats": vector.astype("<i4").tobytes(),
                }
            )
        try:
            db.session.execute(insert(StatsBucket.__table__), stored)
            db.session.commit()
        except IntegrityError:  # another process computed the same half-month first
            db.session.rollback()


def _sums_by_unit(
    block: daystats.Block, dimension: str = ""
) -> Iterator[tuple[tuple[int, str, str, str], NDArray[np.int64]]]:
    """The statistics vector of each unit × target group × questionnaire (× channel or
    procedure id, by ``dimension``) of ``block``."""
    if not block.n:
        return
    unit_ids, unit_of = np.unique(block.unit_id, return_inverse=True)
    if dimension == "channel":
        extra, labels = block.channel, block.channels
    elif dimension == "procedure":
        ids, extra = np.unique(block.procedure_id, return_inverse=True)
        labels = [str(i) for i in ids.tolist()]
    else:
        extra, labels = np.zeros(block.n, dtype=np.int64), [""]
    width, depth = max(len(block.groups), 1), max(len(labels), 1)
    columns = forms.all_item_codes()
    for q, qid in enumerate(block.questionnaires):
        mask = block.questionnaire == q
        if not mask.any():
            continue
        key = (unit_of.reshape(-1)[mask] * width + block.group[mask]) * depth + extra.reshape(-1)[
            mask
        ]
        present, local = np.unique(key, return_inverse=True)
        structure = structure_of(qid)
        cols = [columns.index(c) for c in structure.columns]
        vectors = StatsBatch.from_answers(
            structure, block.answers[mask][:, cols], local.reshape(-1), n_groups=len(present)
        ).to_vectors()
        for k, vector in zip(present.tolist(), vectors, strict=True):
            cell, value = divmod(k, depth)
            unit, group = divmod(cell, width)
            yield (int(unit_ids[unit]), block.groups[group], qid, labels[value]), vector


def _where_rows(rows: Rows, where: Sequence[tuple[str, str]]) -> Rows:
    """The rows of ``rows`` whose labels match every filter of ``where``."""
    if not where or rows.n == 0:
        return rows
    keep = np.ones(rows.n, dtype=bool)
    for dim, value in where:
        codes, values = rows.text[dim]
        keep &= codes == (values.index(value) if value in values else -1)
    return rows if keep.all() else rows.take(keep)


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


@dataclass(frozen=True)
class Warmed:
    """What :func:`warm` did."""

    days: int  # closed days in the range
    packed: int  # of which packed now (the others were packed already)
    half_months: int  # closed half-months inside the range, each stored
    dimensions: tuple[str, ...]  # "" (unit × target group) and the breakdowns stored


def warm(start: date | None = None, end: date | None = None, breakdowns: bool = True) -> Warmed:
    """Pack the closed days of ``start``–``end`` (default: every day with responses) that
    are not packed yet, and compute the closed half-months inside the range — with their
    channel and procedure breakdowns unless ``breakdowns`` is false: what the first pages
    and reports after an upgrade or a large load would otherwise do while someone waits."""
    if start is not None and end is not None and start > end:
        raise ScoreError("--from is after --to")
    first = start or _first_day()
    if first is None:
        return Warmed(0, 0, 0, ())
    last = min(end or today_local(), daystats.first_open_day() - timedelta(days=1))
    if last < first:
        return Warmed(0, 0, 0, ())
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    missing = len(span) - len(daystats.stored_days(span))
    daystats.ensure(first, last)
    periods = [
        p
        for p in half_months(first, last)
        if p >= first and half_month_end(p) <= last and _closed(p)
    ]
    dimensions = ("", *BREAKDOWNS) if breakdowns else ("",)
    for dimension in dimensions:
        ensure_buckets(periods, dimension)
    return Warmed(len(span), missing, len(periods), dimensions)


def _first_day() -> date | None:
    return db.session.scalar(select(func.min(Response.local_day)))


def score_database(query: Slice) -> list[dict[str, Any]]:
    """Score the stored responses of ``query`` (stored statistics where they apply)."""
    units, scope = _unit_tree(query.unit_code)
    return _score_stored(query, units, scope, ())


def score_database_each(
    query: Slice, groupings: Sequence[tuple[str, ...]], chunk: int = 20_000
) -> list[list[dict[str, Any]]]:
    """Score ``query``'s slice (``query.by`` ignored) under each grouping of ``groupings``
    — dimensions of the day blocks, without ``unit``/``counter`` (no tree pooling) — from
    one streamed read of its stored days: a report's channel and procedure breakdowns read
    the period's blocks once, ``chunk`` blocks at a time. The same figures as
    :func:`score_database` with ``by`` each grouping."""
    for by in groupings:
        Slice(by=by)  # checks the names
        if not set(by) <= DAY_DIMENSIONS or {"unit", "counter"} & set(by):
            raise ScoreError(f"score_database_each: cannot group by {by!r}")
    units, scope = _unit_tree(query.unit_code)
    start = query.start or _first_day()
    end = query.end or today_local()
    if start is None:
        return [[] for _ in groupings]
    union = tuple(dict.fromkeys(d for by in groupings for d in by))
    groups, acc = _Groups(keys=[]), _Accumulator()  # by every dimension asked, once

    def add(block: daystats.Block) -> None:
        if block.n:
            rows = _block_rows(block, units, union)
            acc.add_rows(rows, _group_rows(rows, union, query.cutoff, groups))

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
    out = []
    for by in groupings:  # each grouping as sums of the finer groups
        where = [union.index(d) for d in by]
        coarse, summed = _Groups(keys=[]), _Accumulator()
        number = [coarse.number(tuple(key[i] for i in where)) for key in groups.keys]
        for qid, per_group in acc.vectors.items():
            for group, vector in per_group.items():
                summed.add(qid, number[group], vector, 0)
        for group, land_n in acc.land.items():
            summed.land[number[group]] = summed.land.get(number[group], 0) + land_n
        out.append(_score_groups(summed, coarse, by, query, end))
    return out


def score_scope(
    query: Slice, unit_ids: Iterable[int] | None, counter_ids: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """Score the responses of the units ``unit_ids`` (``None``: every unit) and of the
    counters ``counter_ids`` — a user's scope (:mod:`.scope`).  ``query.unit_code`` is
    ignored; with ``by`` unit, a unit pools the units below it within the scope."""
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    scope = None if unit_ids is None else sorted(set(unit_ids))
    return _score_stored(query, units, scope, sorted(set(counter_ids)))


def _score_stored(
    query: Slice, units: dict[int, Unit], scope: list[int] | None, counter_ids: Sequence[int]
) -> list[dict[str, Any]]:
    start = query.start or _first_day()
    end = query.end or today_local()
    groups = _Groups(keys=[])
    acc = _Accumulator()
    if start is None:
        return []
    by = query.dimensions
    where = dict(query.where)
    edges: list[tuple[date, date]] = []  # not covered by stored half-months
    stored: list[date] = []
    breakdown = [d for d in BREAKDOWNS if d in by or d in where]
    if set(by) - set(breakdown) <= BUCKET_DIMENSIONS and len(breakdown) <= 1 and not counter_ids:
        for period in half_months(start, end):
            inside = period >= start and half_month_end(period) <= end
            if inside and _closed(period):
                stored.append(period)
            else:
                edges.append((max(period, start), min(half_month_end(period), end)))
        ensure_buckets(stored, *breakdown)
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
        rows = _where_rows(_raw_rows(raw_ranges, scope, counter_ids), query.where)
        acc.add_rows(rows, _group_rows(rows, by, query.cutoff, groups))
    if stored:
        _add_buckets(acc, groups, stored, by, query, units, scope, *breakdown)
    block = daystats.Block.concat(blocks)
    if block.n:
        rows = _where_rows(_block_rows(block, units, (*by, *where)), query.where)
        acc.add_rows(rows, _group_rows(rows, by, query.cutoff, groups))
    if "unit" in by and "counter" not in by:  # a counter belongs to its own unit only
        if query.aggregate == "mean":
            return _mean_tree(acc, groups, by, units, scope, query, end)
        acc, groups = _pool_tree(acc, groups, by, units, scope)
    return _score_groups(acc, groups, by, query, end)


def _add_buckets(
    acc: _Accumulator,
    groups: _Groups,
    periods: list[date],
    by: Sequence[str],
    query: Slice,
    units: dict[int, Unit],
    scope: list[int] | None,
    dimension: str = "",
) -> None:
    """Add the stored half-months ``periods`` (broken down by ``dimension``) matching
    ``query.where`` to their groups."""
    b = StatsBucket
    select_ = select(
        b.period_start, b.unit_id, b.target_group, b.questionnaire_id, b.value, b.stats
    ).where(b.period_start.in_(periods), b.unit_id != 0, b.dimension == dimension)
    if scope is not None:
        select_ = select_.where(b.unit_id.in_(scope))
    where = dict(query.where)
    if "target_group" in where:
        select_ = select_.where(b.target_group == where["target_group"])
    if "channel" in where:
        select_ = select_.where(b.value == where["channel"])
    procedures: dict[str, str] = {}
    if dimension == "procedure":
        procedures = {
            str(i): c for i, c in db.session.execute(select(Procedure.id, Procedure.code))
        }
        procedures["0"] = ""
        if "procedure" in where:
            select_ = select_.where(
                b.value.in_([i for i, c in procedures.items() if c == where["procedure"]])
            )
    labels: dict[tuple[date, str], str] = {}
    per_version: dict[str, tuple[list[int], list[bytes], list[bool]]] = {}
    for period, unit_id, target_group, qid, value, blob in db.session.execute(select_):
        key = []
        for dim in by:
            if dim == "unit":
                key.append(units[unit_id].code)
            elif dim == "target_group":
                key.append(target_group)
            elif dim == "channel":
                key.append(value)
            elif dim == "procedure":
                key.append(procedures.get(value, ""))
            else:
                label = labels.get((period, dim))
                if label is None:
                    label = labels[(period, dim)] = _period_label(period, dim, query.cutoff)
                key.append(label)
        numbers, blobs, land = per_version.setdefault(qid, ([], [], []))
        numbers.append(groups.number(tuple(key)))
        blobs.append(blob)
        land.append(target_group == LAND)
    _add_vectors(acc, per_version)


def _add_vectors(
    acc: _Accumulator, per_version: dict[str, tuple[list[int], list[bytes], list[bool]]]
) -> None:
    """Add stored int32 vectors (``blobs``) to the groups ``numbers``, per version."""
    for qid, (numbers, blobs, land) in per_version.items():
        # One (rows, L) array per version, summed per group with a sort and reduceat.
        matrix = np.frombuffer(b"".join(blobs), dtype="<i4").reshape(len(blobs), -1)
        order = np.argsort(numbers, kind="stable")
        sorted_numbers = np.asarray(numbers)[order]
        starts = np.flatnonzero(np.r_[True, sorted_numbers[1:] != sorted_numbers[:-1]])
        sums = np.add.reduceat(matrix[order], starts, axis=0).astype(np.int64)  # counts < 2³¹
        land_n = np.add.reduceat(
            matrix[order, 0].astype(np.int64) * np.asarray(land)[order], starts
        )
        for group, vector, land_count in zip(sorted_numbers[starts], sums, land_n, strict=True):
            acc.add(qid, int(group), vector, int(land_count))


def _pool_tree(
    acc: _Accumulator,
    groups: _Groups,
    by: Sequence[str],
    units: dict[int, Unit],
    scope: list[int] | None,
) -> tuple[_Accumulator, _Groups]:
    """Add to every group the groups of the units below it (pooling, METHOD §4)."""
    position = by.index("unit")
    by_code = {u.code: u for u in units.values()}
    allowed = set(scope) if scope is not None else None
    pooled = _Accumulator()
    new_groups = _Groups(keys=[])
    for group, key in enumerate(groups.keys):
        unit: Unit | None = by_code.get(key[position])
        while unit is not None:
            if allowed is None or unit.id in allowed:
                target = new_groups.number((*key[:position], unit.code, *key[position + 1 :]))
                for qid, per_group in acc.vectors.items():
                    if group in per_group:
                        pooled.add(qid, target, per_group[group], 0)
                pooled.land[target] = pooled.land.get(target, 0) + acc.land.get(group, 0)
            unit = unit.parent
    return pooled, new_groups


def score_rows(rows: Rows, query: Slice) -> list[dict[str, Any]]:
    """Score responses given as columns (a response file): no unit tree, no database."""
    mask = np.ones(rows.n, dtype=bool)
    if query.start is not None:
        mask &= rows.day >= (query.start - EPOCH).days
    if query.end is not None:
        mask &= rows.day <= (query.end - EPOCH).days
    if not mask.all():
        rows = rows.take(mask)
    groups = _Groups(keys=[])
    acc = _Accumulator()
    acc.add_rows(rows, _group_rows(rows, query.dimensions, query.cutoff, groups))
    end = query.end
    if end is None and rows.n:
        end = EPOCH + timedelta(days=int(rows.day.max()))
    return _score_groups(acc, groups, query.dimensions, query, end)


def rows_from_file(path: Path) -> Rows:
    """Read and check a response file (METHOD §7) column-wise; raises ``ResponseFileError``
    naming every bad cell by line and column."""
    from survey_app.services.exchange.answerfile import (
        read_answer_table,  # pyarrow: only when a file is scored
    )

    table = read_answer_table(path)
    text = {
        name: (column.codes, tuple(column.values))
        for name, column in (
            ("unit", table.unit),
            ("counter", table.counter),
            ("procedure", table.procedure),
            ("target_group", table.target_group),
            ("channel", table.channel),
            ("questionnaire", table.questionnaire),
        )
    }
    return Rows(day=table.local_day, text=text, answers=table.answers)
