"""Change of an index between two periods of the same slice (independent samples)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .indices import Estimate, GroupScore

__all__ = ["Change", "ScoreChange", "compare", "compare_scores"]


@dataclass(frozen=True)
class Change:
    """``after − before`` in percentage points with its 95 % interval.

    ``significant`` is True when the interval excludes 0; all fields are None / False when
    either period has no data.
    """

    difference: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool


@dataclass(frozen=True)
class ScoreChange:
    """:class:`Change` of every index of a :class:`~scoring.GroupScore`."""

    items: Mapping[str, Change]
    factors: Mapping[str, Change]
    parts: Mapping[str, Change]
    sipas: Change
    expectation: Mapping[str, Change]
    integrity: Mapping[str, Change]


def compare(before: Estimate, after: Estimate) -> Change:
    """Difference of two independent estimates with a 95 % interval.

    MOVER for a difference (Newcombe 1998, *Stat. Med.* 17:873, method 10; Zou & Donner
    2008): with ``d = a − b`` and the periods' intervals ``[l, u]``,

    .. math::

        L = d - \\sqrt{(a - l_a)^2 + (u_b - b)^2}, \\qquad
        U = d + \\sqrt{(u_a - a)^2 + (b - l_b)^2}

    i.e. the variances of independent samples add; with symmetric intervals this is
    ``d ± z √(se_a² + se_b²)``. For items it is Newcombe's hybrid Wilson score interval.

    Examples
    --------
    Symmetric intervals 80 ± 4 and 86 ± 3 → d = 6, half-width √(4² + 3²) = 5:

    >>> compare(Estimate(100, 80.0, 76.0, 84.0, 2.04), Estimate(100, 86.0, 83.0, 89.0, 1.53))
    Change(difference=6.0, ci_low=1.0, ci_high=11.0, significant=True)
    """
    for name, value in (("before", before), ("after", after)):
        if not isinstance(value, Estimate):
            raise ValueError(f"{name}: expected an Estimate")
    if (
        before.index is None
        or after.index is None
        or before.ci_low is None
        or before.ci_high is None
        or after.ci_low is None
        or after.ci_high is None
    ):
        return Change(None, None, None, False)
    d = after.index - before.index
    low = d - math.hypot(after.index - after.ci_low, before.ci_high - before.index)
    high = d + math.hypot(after.ci_high - after.index, before.index - before.ci_low)
    return Change(d, low, high, low > 0 or high < 0)


def compare_scores(before: GroupScore, after: GroupScore) -> ScoreChange:
    """:func:`compare` applied to every index present in either period."""
    for name, value in (("before", before), ("after", after)):
        if not isinstance(value, GroupScore):
            raise ValueError(f"{name}: expected a GroupScore")

    def level(a: Mapping[str, Estimate], b: Mapping[str, Estimate]) -> Mapping[str, Change]:
        empty = Estimate(0, None, None, None, None)
        codes = dict.fromkeys([*a, *b])
        return MappingProxyType({c: compare(a.get(c, empty), b.get(c, empty)) for c in codes})

    return ScoreChange(
        items=level(before.items, after.items),
        factors=level(before.factors, after.factors),
        parts=level(before.parts, after.parts),
        sipas=compare(before.sipas, after.sipas),
        expectation=level(before.expectation, after.expectation),
        integrity=level(before.integrity, after.integrity),
    )
