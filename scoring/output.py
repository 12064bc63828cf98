"""JSON-ready dictionaries of scores (METHOD.md §7)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .indices import Estimate, GroupScore
from .targets import DEFAULT_MIN_N, flag_for

__all__ = ["to_json_dict"]


def to_json_dict(
    result: GroupScore, *, target: float | None, min_n: int = DEFAULT_MIN_N
) -> dict[str, Any]:
    """Plain ``dict`` of a group's scores, ready for ``json.dumps``.

    Shape::

        {"n": respondents,
         "items": {code: {"n", "index", "ci_low", "ci_high"}},
         "factors": {code: {"index", "ci_low", "ci_high"}},
         "parts": {code: {"index", "ci_low", "ci_high"}},
         "sipas": {"index", "ci_low", "ci_high"},
         "target": target (None when no target set is in force),
         "flag": flag code (from the SIPAS index and its respondents, ``sipas.n``),
         "expectation": {code: {"n", "index", "ci_low", "ci_high"}},
         "integrity": {code: {"n", "rate", "ci_low", "ci_high"}}}

    Indices are percentages (0–100), not rounded; an index without data is ``None``
    (never NaN).

    Examples
    --------
    >>> from scoring import Structure, SufficientStats, score
    >>> import numpy as np
    >>> s = Structure(factors={"A": ("A1",)}, parts={"DV": ("A",)})
    >>> out = to_json_dict(score(SufficientStats.from_answers(s, np.array([[4], [0]]))),
    ...                    target=90.0)
    >>> out["n"], out["items"]["A1"]["index"], out["flag"]
    (2, 100.0, 'insufficient_data')
    """
    if not isinstance(result, GroupScore):
        raise ValueError("result: expected a GroupScore")
    flag = flag_for(result.sipas.n, result.sipas, target, min_n)
    return {
        "n": result.n,
        "items": _with_n(result.items, "index"),
        "factors": {code: _bounds(e, "index") for code, e in result.factors.items()},
        "parts": {code: _bounds(e, "index") for code, e in result.parts.items()},
        "sipas": _bounds(result.sipas, "index"),
        "target": None if target is None else float(target),
        "flag": flag.value,
        "expectation": _with_n(result.expectation, "index"),
        "integrity": _with_n(result.integrity, "rate"),
    }


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _bounds(estimate: Estimate, key: str) -> dict[str, float | None]:
    return {
        key: _number(estimate.index),
        "ci_low": _number(estimate.ci_low),
        "ci_high": _number(estimate.ci_high),
    }


def _with_n(level: Mapping[str, Estimate], key: str) -> dict[str, dict[str, Any]]:
    return {code: {"n": int(e.n), **_bounds(e, key)} for code, e in level.items()}
