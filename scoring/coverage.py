"""Coverage: of the dossiers a group served, how many were invited and how many answered.

A group (a unit subtree, a counter, a procedure, a channel, a period …) served ``served``
dossiers (returned in the period); ``invited`` of them got an invitation and ``answered``
of them have a verified response. Open responses (QR card, kiosk without a dossier code)
cannot be matched to a dossier, so they are counted beside the rate, never in it.

The response rate is ``answered / served`` with a Wilson 95 % interval (the dossiers of a
period are the population; the interval says how far the rate of a comparable period could
lie, as the ARTA and OMB A-11 reports state it). A group is *representative* when it has
dossiers, at least ``min_n`` verified responses and a rate of at least ``min_rate`` percent;
the pages list a group that is not, without ranking it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .intervals import wilson_interval
from .targets import DEFAULT_MIN_N

__all__ = ["DEFAULT_MIN_RATE", "Coverage", "coverage"]

DEFAULT_MIN_RATE = 5.0  # percent


@dataclass(frozen=True)
class Coverage:
    """One group's coverage; rates in percent, ``None`` where the group served no dossier."""

    served: int
    invited: int
    answered: int
    open: int
    rate: float | None
    rate_ci_low: float | None
    rate_ci_high: float | None
    invited_rate: float | None
    representative: bool

    def to_json(self) -> dict[str, int | float | bool | None]:
        """The ``coverage`` object of ``sipas score`` JSON (``verified``: answered dossiers)."""
        return {
            "served": self.served,
            "invited": self.invited,
            "verified": self.answered,
            "open": self.open,
            "rate": self.rate,
            "rate_ci_low": self.rate_ci_low,
            "rate_ci_high": self.rate_ci_high,
            "representative": self.representative,
        }


def coverage(
    served: int,
    invited: int,
    answered: int,
    open_responses: int = 0,
    *,
    min_rate: float = DEFAULT_MIN_RATE,
    min_n: int = DEFAULT_MIN_N,
    confidence: float = 0.95,
) -> Coverage:
    """Coverage of one group.

    Parameters
    ----------
    served : int
        Dossiers the group returned in the period.
    invited : int
        Of those, the dossiers with an invitation (``invited ≤ served``).
    answered : int
        Of those, the dossiers with a verified response (``answered ≤ served``).
    open_responses : int
        Responses without a dossier in the same group and period (shown, not in the rate).
    min_rate, min_n : float, int
        Below either the group is not representative.

    Examples
    --------
    40 of 400 dossiers answered: rate 10 %, Wilson 95 % interval 7.43–13.33 %
    (p = 0.1, z² = 3.8415: centre
    0.103805, half-width 0.029506):

    >>> c = coverage(400, 380, 40, 12)
    >>> c.rate, round(c.rate_ci_low, 2), round(c.rate_ci_high, 2), c.representative
    (10.0, 7.43, 13.33, True)
    >>> coverage(0, 0, 0, 5).rate is None
    True
    """
    for name, value in (
        ("served", served),
        ("invited", invited),
        ("answered", answered),
        ("open_responses", open_responses),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name}: must be a non-negative integer")
    if invited > served or answered > served:
        raise ValueError("invited, answered: must not exceed served")
    if served == 0:
        return Coverage(0, 0, 0, int(open_responses), None, None, None, None, False)
    low, high = wilson_interval(answered, served, confidence)
    rate = 100.0 * answered / served
    return Coverage(
        served=int(served),
        invited=int(invited),
        answered=int(answered),
        open=int(open_responses),
        rate=rate,
        rate_ci_low=100.0 * float(low),
        rate_ci_high=100.0 * float(high),
        invited_rate=100.0 * invited / served,
        representative=answered >= min_n and rate >= min_rate,
    )
