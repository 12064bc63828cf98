"""From responses to scored groups: each response's group, additive statistics vectors per
group and questionnaire version (``scoring``'s layout), summed over the unit tree when
grouping by unit (pooled, or a parent as the mean of its children), and scored in one
vectorised call into :class:`~.results.ScoredGroup` objects with their targets.

Used by :mod:`.scores` (the database), :mod:`.filescore` (a response file) and
:mod:`.halfmonths` (stored half-months read back into groups).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import cast

import numpy as np
from numpy.typing import NDArray

import forms
from scoring import (
    Cutoff,
    GroupScore,
    PeriodKind,
    StatsBatch,
    mean_of_groups,
    parse_period,
    score_versions_batch,
    stats_length,
    target_set_for,
)
from scoring import period_label as _period_label
from survey_app.models import Unit
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.slices import (
    EPOCH,
    LAND,
    PERIODS,
    TARGET_SETS,
    Rows,
    Slice,
    encode,
    structure_of,
)
from survey_app.services.clock import today_local

# --- grouping -------------------------------------------------------------------------------


@dataclass
class Groups:
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
    days: NDArray[np.int32], kind: PeriodKind, cutoff: Cutoff
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
            out.append(_period_labels(rows.day, cast(PeriodKind, dim), cutoff))
        elif dim == "counter":
            out.append(rows.text["counter"])
        else:
            out.append(rows.text[dim])
    return out


def group_rows(rows: Rows, by: Sequence[str], cutoff: Cutoff, groups: Groups) -> NDArray[np.intp]:
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


class Accumulator:
    """Statistics vectors per questionnaire version and group, plus land-group respondents
    and verified respondents (issue 13) per group."""

    def __init__(self) -> None:
        self.vectors: dict[str, dict[int, NDArray[np.int64]]] = {}
        self.land: dict[int, int] = {}
        self.verified: dict[int, int] = {}

    def add(
        self, qid: str, group: int, vector: NDArray[np.int64], land_n: int, verified_n: int = 0
    ) -> None:
        per_group = self.vectors.setdefault(qid, {})
        if group in per_group:
            per_group[group] = per_group[group] + vector
        else:
            per_group[group] = vector.astype(np.int64, copy=True)
        self.land[group] = self.land.get(group, 0) + land_n
        if verified_n:
            self.verified[group] = self.verified.get(group, 0) + verified_n

    def add_counts(self, other: Accumulator, group: int, target: int) -> None:
        """Add ``other``'s land and verified respondents of ``group`` to ``target``."""
        self.land[target] = self.land.get(target, 0) + other.land.get(group, 0)
        verified = other.verified.get(group, 0)
        if verified:
            self.verified[target] = self.verified.get(target, 0) + verified

    def add_rows(self, rows: Rows, numbers: NDArray[np.intp]) -> None:
        qcodes, qvalues = rows.text["questionnaire"]
        tcodes, tvalues = rows.text["target_group"]
        land = np.isin(tcodes, [i for i, v in enumerate(tvalues) if v == LAND])
        verified = np.zeros(rows.n, dtype=bool)
        if "verified" in rows.text:
            vcodes, vvalues = rows.text["verified"]
            verified = np.isin(vcodes, [i for i, v in enumerate(vvalues) if v == "1"])
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
            verified_n = np.bincount(local, weights=verified[mask], minlength=len(present))
            for j, group in enumerate(present):
                self.add(qid, int(group), vectors[j], int(land_n[j]), int(verified_n[j]))


def _group_scores(acc: Accumulator, groups: Groups) -> list[GroupScore | None]:
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
    respondents = sum((b.to_vectors()[:, 0] for b in batches), np.zeros(g_count, np.int64))
    scores = score_versions_batch(batches)
    return [scores.group(g) if respondents[g] else None for g in range(g_count)]


def _output(
    keys: Sequence[tuple[str, ...]],
    results: Sequence[GroupScore | None],
    land: dict[int, int],
    verified: dict[int, int],
    by: Sequence[str],
    query: Slice,
    end: date | None,
) -> tuple[ScoredGroup, ...]:
    """One :class:`ScoredGroup` per group with respondents, sorted by key, with its target:
    the set in force on the last day of the group's own period (:func:`group_end`), the land
    target for land groups, ``None`` before the first target set."""
    sets = TARGET_SETS[query.targets]
    last = end or today_local()
    out = []
    for g in sorted(range(len(keys)), key=keys.__getitem__):
        result = results[g]
        if result is None or result.n == 0:
            continue
        key = MappingProxyType(dict(zip(by, keys[g], strict=True)))
        if "target_group" in key:
            land_only = key["target_group"] == LAND
        else:
            land_only = land.get(g, 0) == result.n
        target_set = target_set_for(group_end(key, query, last), sets)
        target = None if target_set is None else target_set.target(LAND if land_only else "chung")
        out.append(ScoredGroup(key, result, target, query.min_n, verified.get(g, 0)))
    return tuple(out)


def group_end(key: MappingProxyType[str, str] | dict[str, str], query: Slice, last: date) -> date:
    """The last day of a group's period: the slice's last day ``last``, or the end of the
    group's day / month / quarter when it is grouped by one and that ends earlier. Its
    target is the set in force on that day (docs/method.md §5.1)."""
    for dim in PERIODS:
        label = key.get(dim)
        if label:
            last = min(last, parse_period(label, query.cutoff)[1])
    return last


def score_groups(
    acc: Accumulator, groups: Groups, by: Sequence[str], query: Slice, end: date | None
) -> tuple[ScoredGroup, ...]:
    """Score the groups of ``acc`` (see :func:`_output`)."""
    return _output(groups.keys, _group_scores(acc, groups), acc.land, acc.verified, by, query, end)


def mean_tree(
    acc: Accumulator,
    groups: Groups,
    by: Sequence[str],
    units: dict[int, Unit],
    scope: list[int] | None,
    query: Slice,
    end: date | None,
) -> tuple[ScoredGroup, ...]:
    """A parent's indices as the mean of its children's (and its own responses', if any)
    indices, level by level — how a national figure is built from provinces (METHOD §4)."""
    own = _group_scores(acc, groups)
    position = by.index("unit")
    children: dict[int | None, list[Unit]] = {}
    for u in units.values():
        children.setdefault(u.parent_id, []).append(u)
    memo: dict[tuple[str, ...], tuple[GroupScore | None, int, int]] = {}

    def resolve(unit: Unit, rest: tuple[str, ...]) -> tuple[GroupScore | None, int, int]:
        key = (*rest[:position], unit.code, *rest[position:])
        if key in memo:
            return memo[key]
        number = groups.index.get(key)
        parts = (
            [(own[number], acc.land.get(number, 0), acc.verified.get(number, 0))]
            if number is not None
            else []
        )
        parts += [resolve(child, rest) for child in children.get(unit.id, [])]
        found = [part for part in parts if part[0] is not None]
        if not found:
            memo[key] = (None, 0, 0)
        elif len(found) == 1:
            memo[key] = found[0]
        else:
            memo[key] = (
                mean_of_groups([r for r, _, _ in found if r is not None]),
                sum(n for _, n, _ in found),
                sum(v for _, _, v in found),
            )
        return memo[key]

    rests = {(*k[:position], *k[position + 1 :]) for k in groups.keys}
    allowed = set(scope) if scope is not None else set(units)
    keys: list[tuple[str, ...]] = []
    results: list[GroupScore | None] = []
    land: dict[int, int] = {}
    verified: dict[int, int] = {}
    for rest in sorted(rests):
        for unit_id in sorted(allowed):
            result, land_n, verified_n = resolve(units[unit_id], rest)
            if result is not None:
                land[len(keys)] = land_n
                verified[len(keys)] = verified_n
                keys.append((*rest[:position], units[unit_id].code, *rest[position:]))
                results.append(result)
    return _output(keys, results, land, verified, by, query, end)


def pool_tree(
    acc: Accumulator,
    groups: Groups,
    by: Sequence[str],
    units: dict[int, Unit],
    scope: list[int] | None,
) -> tuple[Accumulator, Groups]:
    """Add to every group the groups of the units below it (pooling, METHOD §4)."""
    position = by.index("unit")
    by_code = {u.code: u for u in units.values()}
    allowed = set(scope) if scope is not None else None
    pooled = Accumulator()
    new_groups = Groups(keys=[])
    for group, key in enumerate(groups.keys):
        unit: Unit | None = by_code.get(key[position])
        while unit is not None:
            if allowed is None or unit.id in allowed:
                target = new_groups.number((*key[:position], unit.code, *key[position + 1 :]))
                for qid, per_group in acc.vectors.items():
                    if group in per_group:
                        pooled.add(qid, target, per_group[group], 0)
                pooled.add_counts(acc, group, target)
            unit = unit.parent
    return pooled, new_groups
