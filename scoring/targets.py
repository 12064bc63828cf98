"""Targets with validity periods and flags against them (METHOD.md §2, §4).

Targets are data, not constants: a :class:`TargetSet` holds one target per
:class:`TargetGroup` and the day it comes into force. A set stays in force until a newer
one of the sets in use starts (or until its own ``valid_to``, when it has one); before the
first one there is no target, and the flag says so (``no_target``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .indices import Estimate

__all__ = [
    "DEFAULT_MIN_N",
    "TARGETS_2030",
    "TARGETS_90_85",
    "Flag",
    "TargetGroup",
    "TargetSet",
    "flag_for",
    "flags",
    "target_for",
    "target_group_for",
    "target_set_for",
]

DEFAULT_MIN_N = 30


class TargetGroup(StrEnum):
    """Procedure groups with their own target (codes of METHOD.md §7)."""

    CHUNG = "chung"
    DAT_DAI_XAY_DUNG_DAU_TU = "dat_dai_xay_dung_dau_tu"


class Flag(StrEnum):
    """Assessment of an index against its target (values are the output codes)."""

    INSUFFICIENT_DATA = "insufficient_data"
    BELOW_SIGNIFICANT = "below_significant"
    BELOW = "below"
    MEETS = "meets"
    NO_TARGET = "no_target"


@dataclass(frozen=True)
class TargetSet:
    """Targets (percent) per :class:`TargetGroup`, in force from ``valid_from`` (inclusive).

    ``valid_to`` (inclusive) is an optional last day; ``None`` (the presets) means the set
    stays in force until a newer set starts (:func:`target_set_for`).

    Examples
    --------
    >>> TARGETS_90_85.target(TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU)
    85.0
    >>> TARGETS_90_85.is_valid_on(date(2026, 3, 1)), TARGETS_90_85.is_valid_on(date(2040, 1, 1))
    (True, True)
    >>> TARGETS_90_85.is_valid_on(date(2020, 12, 31))
    False
    """

    name: str
    valid_from: date
    valid_to: date | None
    targets: Mapping[TargetGroup, float]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("name: expected a non-empty string")
        if not isinstance(self.valid_from, date) or not isinstance(self.valid_to, date | None):
            raise ValueError("valid_from: valid_from and valid_to must be datetime.date")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to: must not be before valid_from")
        targets: dict[TargetGroup, float] = {}
        for group in TargetGroup:
            value = self.targets.get(group) if isinstance(self.targets, Mapping) else None
            if not isinstance(value, int | float) or not 0 <= float(value) <= 100:
                raise ValueError(f"targets: need a percentage for {group.value!r}, got {value!r}")
            targets[group] = float(value)
        object.__setattr__(self, "targets", MappingProxyType(targets))

    def target(self, group: TargetGroup | str) -> float:
        """Target (percent) of ``group``."""
        return self.targets[_validate_group(group)]

    def is_valid_on(self, day: date) -> bool:
        """Whether ``day`` lies within the set's own dates (from ``valid_from``, up to
        ``valid_to`` if it has one)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def __hash__(self) -> int:
        return hash((self.name, self.valid_from, self.valid_to, tuple(self.targets.items())))


#: The seed plan's targets: 90 % for all procedures, 85 % for land/construction/investment,
#: in force from 2021 (the 2021–2030 programme) until a newer set starts.
TARGETS_90_85 = TargetSet(
    "90/85",
    date(2021, 1, 1),
    None,
    {TargetGroup.CHUNG: 90.0, TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU: 85.0},
)
#: The 2030 reform-programme preset (95/90), an opt-in setting in force from 2026.
TARGETS_2030 = TargetSet(
    "2030",
    date(2026, 1, 1),
    None,
    {TargetGroup.CHUNG: 95.0, TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU: 90.0},
)


def target_set_for(day: date, sets: Sequence[TargetSet] = (TARGETS_90_85,)) -> TargetSet | None:
    """The set of ``sets`` in force on ``day``, or ``None`` before the first one.

    The rule: among the sets whose own dates contain ``day``, the one that started last
    (a set stays in force until a newer one starts); on a tie, the earlier in ``sets``.
    With the presets: 90/85 from 2021-01-01 on; with ``(TARGETS_2030, TARGETS_90_85)``,
    90/85 up to 2025-12-31 and 95/90 from 2026-01-01 on; no target before 2021.

    Examples
    --------
    >>> target_set_for(date(2031, 1, 2)).name
    '90/85'
    >>> target_set_for(date(2025, 6, 30), (TARGETS_2030, TARGETS_90_85)).name
    '90/85'
    >>> target_set_for(date(2020, 12, 31)) is None
    True
    """
    if not isinstance(day, date):
        raise ValueError(f"day: expected a datetime.date, got {type(day).__name__}")
    best: TargetSet | None = None
    for one in sets:
        if not isinstance(one, TargetSet):
            raise ValueError("sets: expected TargetSet objects")
        if one.is_valid_on(day) and (best is None or one.valid_from > best.valid_from):
            best = one
    return best


def target_group_for(land_only: bool) -> TargetGroup:
    """``dat_dai_xay_dung_dau_tu`` when *all* responses of a group concern land/construction/
    investment procedures, else ``chung``."""
    if not isinstance(land_only, bool | np.bool_):
        raise ValueError(f"land_only: expected a bool, got {land_only!r}")
    return TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU if land_only else TargetGroup.CHUNG


def target_for(land_only: bool, target_set: TargetSet = TARGETS_90_85) -> float:
    """Target (percent) that applies to a group.

    Examples
    --------
    >>> target_for(land_only=True), target_for(land_only=False)
    (85.0, 90.0)
    """
    if not isinstance(target_set, TargetSet):
        raise ValueError("target_set: expected a TargetSet")
    return target_set.target(target_group_for(land_only))


def flag_for(n: int, estimate: Estimate, target: float | None, min_n: int = DEFAULT_MIN_N) -> Flag:
    """Flag an index against its target.

    ``no_target`` when there is no target (a period before the first target set);
    ``insufficient_data`` when ``n < min_n`` (or the index has no data); else
    ``below_significant`` when ``ci_high < target``; else ``below`` when ``index < target``;
    else ``meets``.

    Parameters
    ----------
    n : int
        Respondents behind the index: for SIPAS, ``estimate.n`` (respondents who answered a
        satisfaction item, counted as the largest number who answered one factor), not the
        rows of the group.
    estimate : Estimate
        The index (usually SIPAS) with its interval, in percent.
    target : float or None
        Target in percent; ``None`` when no target set is in force.
    min_n : int
        Minimum respondents, default 30 (a setting).

    Examples
    --------
    >>> flag_for(40, Estimate(40, 86.0, 80.0, 91.0, 2.8), target=90.0)
    <Flag.BELOW: 'below'>
    >>> flag_for(29, Estimate(29, 99.0, 95.0, 100.0, 1.0), target=90.0).value
    'insufficient_data'
    """
    _validate_flag_inputs(n, target, min_n)
    if not isinstance(estimate, Estimate):
        raise ValueError("estimate: expected an Estimate")
    if target is None:
        return Flag.NO_TARGET
    if n < min_n or estimate.index is None or estimate.ci_high is None:
        return Flag.INSUFFICIENT_DATA
    if estimate.ci_high < target:
        return Flag.BELOW_SIGNIFICANT
    if estimate.index < target:
        return Flag.BELOW
    return Flag.MEETS


def flags(
    n: ArrayLike,
    index: ArrayLike,
    ci_high: ArrayLike,
    target: ArrayLike,
    min_n: int = DEFAULT_MIN_N,
) -> NDArray[np.str_]:
    """Vectorised :func:`flag_for` over groups (NaN index = no data, NaN target = no
    target); returns flag codes.

    Examples
    --------
    >>> flags([10, 50, 50, 50], [95, 80, 88, 91], [99, 84, 92, 95], [90, 90, 90, 90]).tolist()
    ['insufficient_data', 'below_significant', 'below', 'meets']
    """
    n_arr, idx, high, tgt = np.broadcast_arrays(
        np.asarray(n, dtype=np.float64),
        np.asarray(index, dtype=np.float64),
        np.asarray(ci_high, dtype=np.float64),
        np.asarray(target, dtype=np.float64),
    )
    if not isinstance(min_n, int) or min_n < 0:
        raise ValueError(f"min_n: expected a non-negative integer, got {min_n!r}")
    return np.select(
        [np.isnan(tgt), (n_arr < min_n) | np.isnan(idx) | np.isnan(high), high < tgt, idx < tgt],
        [
            Flag.NO_TARGET.value,
            Flag.INSUFFICIENT_DATA.value,
            Flag.BELOW_SIGNIFICANT.value,
            Flag.BELOW.value,
        ],
        Flag.MEETS.value,
    )


def _validate_flag_inputs(n: object, target: object, min_n: object) -> None:
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n: expected a non-negative integer, got {n!r}")
    if target is not None and (
        not isinstance(target, int | float) or not 0 <= float(target) <= 100
    ):
        raise ValueError(f"target: expected a percentage 0–100, got {target!r}")
    if not isinstance(min_n, int) or isinstance(min_n, bool) or min_n < 0:
        raise ValueError(f"min_n: expected a non-negative integer, got {min_n!r}")


def _validate_group(group: object) -> TargetGroup:
    try:
        return TargetGroup(str(group))
    except ValueError:
        choices = ", ".join(g.value for g in TargetGroup)
        raise ValueError(f"group: expected one of {choices}, got {group!r}") from None
