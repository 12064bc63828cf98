"""Indices of a unit tree: pooled (default) or mean of the children (METHOD.md §4)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType

from .indices import Estimate, GroupScore, score_versions_batch
from .intervals import LevelInterval, _validate_confidence, _validate_method
from .stats import StatsBatch, SufficientStats
from .structure import Structure

__all__ = ["AggregationMethod", "aggregate_tree", "mean_of_groups"]


class AggregationMethod(StrEnum):
    """How a parent's index is built from its descendants.

    ``POOL``: add the descendants' sufficient statistics and recompute (default; never
    averages averages). ``MEAN_OF_CHILDREN``: each index is the unweighted mean of the
    children's indices (how a national figure is built from provinces); a node's own
    responses, if any, count as one more child.
    """

    POOL = "pool"
    MEAN_OF_CHILDREN = "mean_of_children"


UnitStats = SufficientStats | Sequence[SufficientStats]


def aggregate_tree(
    parents: Mapping[str, str | None],
    stats: Mapping[str, UnitStats],
    method: AggregationMethod = AggregationMethod.POOL,
    *,
    interval: LevelInterval = LevelInterval.WILSON_EFFECTIVE,
    confidence: float = 0.95,
) -> dict[str, GroupScore]:
    """Score every unit of a tree from the units' own statistics.

    Parameters
    ----------
    parents : Mapping[str, str | None]
        Unit code → parent unit code (``None`` for a root).
    stats : Mapping[str, SufficientStats | Sequence[SufficientStats]]
        Each unit's *own* responses (one statistics object per questionnaire version);
        units without responses may be left out.
    method : AggregationMethod
        ``POOL`` (default) or ``MEAN_OF_CHILDREN``.

    Returns
    -------
    dict[str, GroupScore]
        Scores of every unit in ``parents``.

    Examples
    --------
    >>> import numpy as np
    >>> from scoring import Structure, SufficientStats
    >>> s = Structure(factors={"A": ("A1",)}, parts={"DV": ("A",)})
    >>> a = SufficientStats.from_answers(s, np.array([[5], [5], [5]]))  # 100 %
    >>> b = SufficientStats.from_answers(s, np.array([[1]]))            # 0 %
    >>> tree = {"province": None, "a": "province", "b": "province"}
    >>> aggregate_tree(tree, {"a": a, "b": b})["province"].sipas.index  # 3 of 4 pooled
    75.0
    >>> aggregate_tree(tree, {"a": a, "b": b}, "mean_of_children")["province"].sipas.index
    50.0
    """
    order = _validate_tree(parents)
    own = _validate_stats(stats, parents)
    method = _validate_aggregation(method)
    interval = _validate_method(interval)
    _validate_confidence(confidence)
    children: dict[str, list[str]] = {unit: [] for unit in parents}
    for unit, parent in parents.items():
        if parent is not None:
            children[parent].append(unit)
    if method is AggregationMethod.POOL:
        totals = {unit: dict(own.get(unit, {})) for unit in parents}
        for unit in order:  # children before parents
            parent = parents[unit]
            if parent is not None:
                for structure, value in totals[unit].items():
                    mine = totals[parent]
                    mine[structure] = mine[structure] + value if structure in mine else value
        return _score_many(totals, interval, confidence)
    leaves = _score_many({u: own.get(u, {}) for u in parents}, interval, confidence)
    results: dict[str, GroupScore] = {}
    for unit in order:
        parts = [results[child] for child in children[unit]]
        if not parts:
            results[unit] = leaves[unit]
            continue
        if own.get(unit):
            parts.append(leaves[unit])
        results[unit] = mean_of_groups(parts)
    return results


def mean_of_groups(scores: Sequence[GroupScore]) -> GroupScore:
    """Unweighted mean of several groups' indices, level by level.

    Each index is the mean over the groups that have it; its interval combines the
    groups' intervals as independent estimates (MOVER, Zou & Donner 2008):
    ``L = θ̄ − √Σ((θ_k − l_k)/K)²``, ``U = θ̄ + √Σ((u_k − θ_k)/K)²``; ``n`` is the sum.

    Examples
    --------
    >>> from scoring.indices import Estimate
    >>> e1, e2 = Estimate(50, 80.0, 74.0, 86.0, 3.0), Estimate(50, 90.0, 82.0, 98.0, 4.0)
    >>> empty = MappingProxyType({})
    >>> g = [GroupScore(50, empty, empty, empty, e, empty, empty) for e in (e1, e2)]
    >>> mean_of_groups(g).sipas  # (80 + 90)/2 ± √(3² + 4²) = 85 ± 5
    Estimate(n=100, index=85.0, ci_low=80.0, ci_high=90.0, se=2.5)
    """
    if not isinstance(scores, Sequence) or not scores:
        raise ValueError("scores: expected a non-empty sequence of GroupScore")
    for one in scores:
        if not isinstance(one, GroupScore):
            raise ValueError("scores: every element must be a GroupScore")

    def level(name: str) -> Mapping[str, Estimate]:
        maps: list[Mapping[str, Estimate]] = [getattr(one, name) for one in scores]
        codes = dict.fromkeys(code for m in maps for code in m)
        return MappingProxyType(
            {code: _mean([m[code] for m in maps if code in m]) for code in codes}
        )

    return GroupScore(
        n=sum(one.n for one in scores),
        items=level("items"),
        factors=level("factors"),
        parts=level("parts"),
        sipas=_mean([one.sipas for one in scores]),
        expectation=level("expectation"),
        integrity=level("integrity"),
    )


def _mean(estimates: Sequence[Estimate]) -> Estimate:
    n = sum(e.n for e in estimates)
    usable = [e for e in estimates if e.index is not None]
    if not usable:
        return Estimate(n, None, None, None, None)
    k = len(usable)
    index = math.fsum(e.index for e in usable if e.index is not None) / k
    down = math.sqrt(math.fsum(((e.index or 0.0) - (e.ci_low or 0.0)) ** 2 for e in usable)) / k
    up = math.sqrt(math.fsum(((e.ci_high or 0.0) - (e.index or 0.0)) ** 2 for e in usable)) / k
    se = math.sqrt(math.fsum((e.se or 0.0) ** 2 for e in usable)) / k
    return Estimate(n, index, max(index - down, 0.0), min(index + up, 100.0), se)


def _score_many(
    stats: Mapping[str, Mapping[Structure, SufficientStats]],
    interval: LevelInterval,
    confidence: float,
) -> dict[str, GroupScore]:
    """Score units in one vectorised call per distinct set of questionnaire versions."""
    by_versions: dict[tuple[Structure, ...], list[str]] = {}
    for unit, versions in stats.items():
        by_versions.setdefault(tuple(versions), []).append(unit)
    results: dict[str, GroupScore] = {}
    for structures, units in by_versions.items():
        if not structures:
            continue
        batches = [StatsBatch.stack([stats[u][s] for u in units]) for s in structures]
        scored = score_versions_batch(batches, interval=interval, confidence=confidence)
        results.update({unit: scored.group(g) for g, unit in enumerate(units)})
    empty_units = [unit for unit in stats if unit not in results]
    if empty_units:
        empty = _empty_score()
        results.update(dict.fromkeys(empty_units, empty))
    return {unit: results[unit] for unit in stats}


def _empty_score() -> GroupScore:
    nothing: Mapping[str, Estimate] = MappingProxyType({})
    return GroupScore(
        0, nothing, nothing, nothing, Estimate(0, None, None, None, None), nothing, nothing
    )


def _validate_tree(parents: object) -> list[str]:
    """Check the parent map; return units ordered children before parents."""
    if not isinstance(parents, Mapping) or not parents:
        raise ValueError("parents: expected a non-empty mapping unit → parent (or None)")
    for unit, parent in parents.items():
        if not isinstance(unit, str):
            raise ValueError(f"parents: unit codes must be strings, got {unit!r}")
        if parent is not None and parent not in parents:
            raise ValueError(f"parents: parent {parent!r} of {unit!r} is not a unit of the tree")
    depth: dict[str, int] = {}
    for unit in parents:
        path: list[str] = []
        current: str | None = unit
        while current is not None and current not in depth:
            if current in path:
                raise ValueError(f"parents: cycle through {current!r}")
            path.append(current)
            current = parents[current]
        base = -1 if current is None else depth[current]
        for k, node in enumerate(reversed(path)):
            depth[node] = base + k + 1
    return sorted(parents, key=lambda u: -depth[u])


def _validate_stats(
    stats: object, parents: Mapping[str, str | None]
) -> dict[str, dict[Structure, SufficientStats]]:
    if not isinstance(stats, Mapping):
        raise ValueError("stats: expected a mapping unit → SufficientStats")
    result: dict[str, dict[Structure, SufficientStats]] = {}
    for unit, value in stats.items():
        if unit not in parents:
            raise ValueError(f"stats: unit {unit!r} is not in parents")
        versions = [value] if isinstance(value, SufficientStats) else value
        if not isinstance(versions, Sequence) or not all(
            isinstance(v, SufficientStats) for v in versions
        ):
            raise ValueError(f"stats: {unit!r} must map to SufficientStats or a sequence of them")
        merged: dict[Structure, SufficientStats] = {}
        for one in versions:
            merged[one.structure] = merged[one.structure] + one if one.structure in merged else one
        result[unit] = merged
    return result


def _validate_aggregation(method: object) -> AggregationMethod:
    try:
        return AggregationMethod(str(method))
    except ValueError:
        choices = ", ".join(m.value for m in AggregationMethod)
        raise ValueError(f"method: expected one of {choices}, got {method!r}") from None
