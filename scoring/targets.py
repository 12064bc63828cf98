"""Targets with validity periods and flags against them (METHOD.md §2, §4).

Targets are data, not constants: a :class:`TargetSet` holds one target per
:class:`TargetGroup` and the dates it is valid for.
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


@dataclass(frozen=True)
class TargetSet:
    """Targets (percent) per :class:`TargetGroup`, valid from ``valid_from`` to ``valid_to``
    inclusive.

    Examples
    --------
    >>> TARGETS_90_85.target(TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU)
    85.0
    >>> TARGETS_90_85.is_valid_on(date(2026, 3, 1))
    True
    """

    name: str
    valid_from: date
    valid_to: date
    targets: Mapping[TargetGroup, float]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("name: expected a non-empty string")
        if not isinstance(self.valid_from, date) or not isinstance(self.valid_to, date):
            raise ValueError("valid_from: valid_from and valid_to must be datetime.date")
        if self.valid_to < self.valid_from:
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
        """Whether the set applies on ``day``."""
        return self.valid_from <= day <= self.valid_to

    def __hash__(self) -> int:
        return hash((self.name, self.valid_from, self.valid_to, tuple(self.targets.items())))


#: The seed plan's targets: 90 % for all procedures, 85 % for land/construction/investment.
TARGETS_90_85 = TargetSet(
    "90/85",
    date(2021, 1, 1),
    date(2030, 12, 31),
    {TargetGroup.CHUNG: 90.0, TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU: 85.0},
)
#: The 2030 reform-programme preset (95/90), an opt-in setting over the same horizon.
TARGETS_2030 = TargetSet(
    "2030",
    date(2026, 1, 1),
    date(2030, 12, 31),
    {TargetGroup.CHUNG: 95.0, TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU: 90.0},
)


def target_set_for(day: date, sets: Sequence[TargetSet] = (TARGETS_90_85,)) -> TargetSet:
    """The first of ``sets`` valid on ``day`` (order = preference).

    Raises ValueError naming ``day`` when none applies.
    """
    if not isinstance(day, date):
        raise ValueError(f"day: expected a datetime.date, got {type(day).__name__}")
    for one in sets:
        if one.is_valid_on(day):
            return one
    raise ValueError(f"day: no target set is valid on {day.isoformat()}")


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


def flag_for(n: int, estimate: Estimate, target: float, min_n: int = DEFAULT_MIN_N) -> Flag:
    """Flag an index against its target.

    ``insufficient_data`` when ``n < min_n`` (or the index has no data); else
    ``below_significant`` when ``ci_high < target``; else ``below`` when ``index < target``;
    else ``meets``.

    Parameters
    ----------
    n : int
        Respondents of the group.
    estimate : Estimate
        The index (usually SIPAS) with its interval, in percent.
    target : float
        Target in percent.
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
    """Vectorised :func:`flag_for` over groups (NaN index = no data); returns flag codes.

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
        [(n_arr < min_n) | np.isnan(idx) | np.isnan(high), high < tgt, idx < tgt],
        [Flag.INSUFFICIENT_DATA.value, Flag.BELOW_SIGNIFICANT.value, Flag.BELOW.value],
        Flag.MEETS.value,
    )


def _validate_flag_inputs(n: object, target: object, min_n: object) -> None:
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n: expected a non-negative integer, got {n!r}")
    if not isinstance(target, int | float) or not 0 <= float(target) <= 100:
        raise ValueError(f"target: expected a percentage 0–100, got {target!r}")
    if not isinstance(min_n, int) or isinstance(min_n, bool) or min_n < 0:
        raise ValueError(f"min_n: expected a non-negative integer, got {min_n!r}")


def _validate_group(group: object) -> TargetGroup:
    try:
        return TargetGroup(str(group))
    except ValueError:
        choices = ", ".join(g.value for g in TargetGroup)
        raise ValueError(f"group: expected one of {choices}, got {group!r}") from None
