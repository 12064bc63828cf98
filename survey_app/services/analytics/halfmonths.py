"""Closed half-months' statistics: computed once from their days' stored blocks
(:mod:`~survey_app.services.storage.daystats`), stored per unit × target group ×
questionnaire — also broken down by channel or by procedure — as
:class:`~survey_app.models.StatsBucket` rows, and read back into groups; :func:`warm` does
ahead of the pages what the first page or report after a large load would otherwise do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

import numpy as np
from flask_babel import gettext as _
from numpy.typing import NDArray
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

import forms
from scoring import PeriodKind, StatsBatch
from scoring import period_label as _period_label
from survey_app.extensions import db
from survey_app.models import Procedure, Response, StatsBucket, Unit
from survey_app.services.analytics.groups import Accumulator, Groups
from survey_app.services.analytics.slices import (
    BREAKDOWNS,
    LAND,
    ScoreError,
    Slice,
    structure_of,
)
from survey_app.services.clock import today_local
from survey_app.services.storage import daystats
from survey_app.services.storage.buckets import half_month_end, half_months


def closed(bucket: date) -> bool:
    """A half-month is closed a full day after it ends (no response can still arrive)."""
    return half_month_end(bucket) < today_local() - timedelta(days=1)


def ensure_buckets(periods: Iterable[date], dimension: str = "") -> None:
    """Compute and store the statistics of closed half-months that have none yet (broken
    down by ``dimension``: "", ``channel``, ``procedure`` or ``verified``), from their days' stored
    blocks (:mod:`.daystats`, packed first where missing)."""
    periods = [p for p in periods if closed(p)]
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
                "n_verified": 0,
                "stats": b"",
            }
        ]
        for (unit_id, target_group, qid, value), vector, verified in _sums_by_unit(
            block, dimension
        ):
            stored.append(
                {
                    "period_start": period,
                    "unit_id": unit_id,
                    "target_group": target_group,
                    "questionnaire_id": qid,
                    "dimension": dimension,
                    "value": value,
                    "n": int(vector[0]),
                    "n_verified": verified,
                    "stats": vector.astype("<i4").tobytes(),
                }
            )
        try:
            db.session.execute(insert(StatsBucket.__table__), stored)  # type: ignore[arg-type]  # __table__ is typed FromClause
            db.session.commit()
        except IntegrityError:  # another process computed the same half-month first
            db.session.rollback()


def _sums_by_unit(
    block: daystats.Block, dimension: str = ""
) -> Iterator[tuple[tuple[int, str, str, str], NDArray[np.int64], int]]:
    """The statistics vector and the verified respondents of each unit × target group ×
    questionnaire (× channel, procedure id or verified, by ``dimension``) of ``block``."""
    if not block.n:
        return
    unit_ids, unit_of = np.unique(block.unit_id, return_inverse=True)
    if dimension == "channel":
        extra, labels = block.channel, block.channels
    elif dimension == "procedure":
        ids, extra = np.unique(block.procedure_id, return_inverse=True)
        labels = [str(i) for i in ids.tolist()]
    elif dimension == "verified":
        extra, labels = block.verified.astype(np.int64), ["", "1"]
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
        verified = np.bincount(
            local.reshape(-1), weights=block.verified[mask], minlength=len(present)
        )
        for k, vector, v in zip(present.tolist(), vectors, verified.tolist(), strict=True):
            cell, value = divmod(k, depth)
            unit, group = divmod(cell, width)
            key = (int(unit_ids[unit]), block.groups[group], qid, labels[value])
            yield key, vector, int(v)


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
        raise ScoreError(_("--from sau --to"))
    first = start or first_day()
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
        if p >= first and half_month_end(p) <= last and closed(p)
    ]
    dimensions = ("", *BREAKDOWNS) if breakdowns else ("",)
    for dimension in dimensions:
        ensure_buckets(periods, dimension)
    return Warmed(len(span), missing, len(periods), dimensions)


def first_day() -> date | None:
    """The first local day with a stored response (``None``: none yet)."""
    return db.session.scalar(select(func.min(Response.local_day)))


def add_buckets(
    acc: Accumulator,
    groups: Groups,
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
        b.period_start,
        b.unit_id,
        b.target_group,
        b.questionnaire_id,
        b.value,
        b.stats,
        b.n_verified,
    ).where(b.period_start.in_(periods), b.unit_id != 0, b.dimension == dimension)
    if scope is not None:
        select_ = select_.where(b.unit_id.in_(scope))
    where = dict(query.where)
    if "target_group" in where:
        select_ = select_.where(b.target_group == where["target_group"])
    if "channel" in where:
        select_ = select_.where(b.value == where["channel"])
    if "verified" in where:
        select_ = select_.where(b.value == where["verified"])
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
    per_version: dict[str, tuple[list[int], list[bytes], list[bool], list[int]]] = {}
    for period, unit_id, target_group, qid, value, blob, verified in db.session.execute(select_):
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
                    label = _period_label(period, cast(PeriodKind, dim), query.cutoff)
                    labels[(period, dim)] = label
                key.append(label)
        numbers, blobs, land, verified_n = per_version.setdefault(qid, ([], [], [], []))
        numbers.append(groups.number(tuple(key)))
        blobs.append(blob)
        land.append(target_group == LAND)
        verified_n.append(verified)
    _add_vectors(acc, per_version)


def _add_vectors(
    acc: Accumulator,
    per_version: dict[str, tuple[list[int], list[bytes], list[bool], list[int]]],
) -> None:
    """Add stored int32 vectors (``blobs``) to the groups ``numbers``, per version."""
    for qid, (numbers, blobs, land, verified) in per_version.items():
        # One (rows, L) array per version, summed per group with a sort and reduceat.
        matrix = np.frombuffer(b"".join(blobs), dtype="<i4").reshape(len(blobs), -1)
        order = np.argsort(numbers, kind="stable")
        sorted_numbers = np.asarray(numbers)[order]
        starts = np.flatnonzero(np.r_[True, sorted_numbers[1:] != sorted_numbers[:-1]])
        sums = np.add.reduceat(matrix[order], starts, axis=0).astype(np.int64)  # counts < 2³¹
        land_n = np.add.reduceat(
            matrix[order, 0].astype(np.int64) * np.asarray(land)[order], starts
        )
        verified_n = np.add.reduceat(np.asarray(verified, dtype=np.int64)[order], starts)
        for group, vector, land_count, verified_count in zip(
            sorted_numbers[starts], sums, land_n, verified_n, strict=True
        ):
            acc.add(qid, int(group), vector, int(land_count), int(verified_count))
