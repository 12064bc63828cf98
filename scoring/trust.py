"""Trust signals of one counter's day (issue 14): pure figures, typed frozen results.

- **Open responses per dossier served** (:func:`open_per_served`): open responses (QR card,
  kiosk, API, file; not made through a dossier's invitation) ÷ dossiers returned at the
  counter that day.  Over 1 is suspicious: more open ratings than citizens served.
- **Bursts** (:func:`find_bursts`): submissions of one client (a keyed hash of its address
  for the day) at one counter, ``min_size`` or more within ``window`` seconds.  A
  submission is *in a burst* when some window of ``window`` seconds holds it and at least
  ``min_size − 1`` others of the same client; a burst is a maximal run of such submissions
  each within ``window`` seconds of the one before.
- **Top ratings in and out of bursts** (:func:`top_shares`): the share of responses whose
  every factor answer is the top of the scale (5), among the responses in bursts and among
  the others, with their Wilson 95 % intervals.
- **The verified–open gap** (:func:`gap`): SIPAS of open responses minus SIPAS of verified
  ones, with the MOVER 95 % interval of :func:`scoring.compare` (independent samples).

Examples
--------
Five submissions at 0, 30, 60, 500 and 530 s, three within 120 s make a burst:

>>> find_bursts([0, 30, 60, 500, 530], min_size=3, window=120)
(Burst(first=0, last=2, size=3),)
>>> open_per_served(12, 8)
1.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .change import Change, compare
from .indices import Estimate
from .intervals import wilson_interval

DEFAULT_BURST_MIN = 3
DEFAULT_BURST_SECONDS = 120.0


@dataclass(frozen=True)
class Burst:
    """Positions ``first``..``last`` (inclusive) in the sorted times; ``size`` of them."""

    first: int
    last: int
    size: int


def find_bursts(
    times: Sequence[float], min_size: int = DEFAULT_BURST_MIN, window: float = DEFAULT_BURST_SECONDS
) -> tuple[Burst, ...]:
    """The bursts among one client's submission times (seconds, sorted ascending)."""
    if min_size < 2 or window <= 0:
        raise ValueError("a burst needs min_size >= 2 and a positive window")
    t = np.asarray(times, dtype=np.float64)
    if t.size < min_size:
        return ()
    if np.any(np.diff(t) < 0):
        raise ValueError("times must be sorted")
    # For each submission i, how many start a window at t[i]: t[i] .. t[i] + window.
    ends = np.searchsorted(t, t + window, side="right")
    marked = np.zeros(t.size + 1, dtype=np.int64)
    starts = np.flatnonzero(ends - np.arange(t.size) >= min_size)
    # Mark every position covered by such a window (a difference array: +1 at i, −1 at end).
    np.add.at(marked, starts, 1)
    np.add.at(marked, ends[starts], -1)
    inside = np.cumsum(marked[:-1]) > 0
    out: list[Burst] = []
    i = 0
    while i < t.size:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < t.size and inside[j + 1] and t[j + 1] - t[j] <= window:
            j += 1
        out.append(Burst(i, j, j - i + 1))
        i = j + 1
    return tuple(out)


def open_per_served(open_n: int, served: int) -> float | None:
    """Open responses per dossier served; ``None`` when no dossier was returned."""
    if open_n < 0 or served < 0:
        raise ValueError("counts cannot be negative")
    return None if served == 0 else open_n / served


def more_open_than_served(open_n: int, served: int, dossiers_known: bool = True) -> bool:
    """Open responses over 1 per dossier served: ``open_n > served`` — also a day with open
    responses and no dossier returned, when the counter's dossiers are known (it returned
    some in the period); with no dossier data at all nothing can be said."""
    if not dossiers_known:
        return False
    return open_n > served


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` in percent with its Wilson 95 % interval (``None`` when ``n`` is 0)."""

    k: int
    n: int
    percent: float | None
    ci_low: float | None
    ci_high: float | None


def share(k: int, n: int) -> Share:
    if not 0 <= k <= n:
        raise ValueError("need 0 <= k <= n")
    if n == 0:
        return Share(0, 0, None, None, None)
    low, high = wilson_interval(k, n)
    return Share(k, n, 100.0 * k / n, 100.0 * float(low), 100.0 * float(high))


@dataclass(frozen=True)
class TopShares:
    """Top ratings among responses in bursts and among the others."""

    in_bursts: Share
    outside: Share

    @property
    def difference(self) -> float | None:
        """Percentage points, in bursts minus outside (``None`` when either is empty)."""
        if self.in_bursts.percent is None or self.outside.percent is None:
            return None
        return self.in_bursts.percent - self.outside.percent


def top_shares(top_in: int, n_in: int, top_out: int, n_out: int) -> TopShares:
    return TopShares(share(top_in, n_in), share(top_out, n_out))


@dataclass(frozen=True)
class Gap:
    """SIPAS of open responses minus that of verified ones, with its 95 % interval."""

    verified: Estimate
    open: Estimate
    change: Change

    @property
    def difference(self) -> float | None:
        return self.change.difference

    @property
    def significant(self) -> bool:
        return self.change.significant


def gap(verified: Estimate, open_: Estimate) -> Gap:
    """Open minus verified (:func:`scoring.compare` with verified as the reference)."""
    return Gap(verified, open_, compare(verified, open_))
