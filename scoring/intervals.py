"""Confidence intervals for proportions and for means of proportions.

All functions are vectorised: they take arrays (or scalars) and broadcast.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special  # scipy.stats would add a second to every start-up

__all__ = ["LevelInterval", "level_interval", "wilson_interval", "z_value"]

FloatArray = NDArray[np.float64]


class LevelInterval(StrEnum):
    """Interval for a factor index (a mean of item proportions).

    All three start from the respondent-level (jackknife-linearised) variance ``v`` of the
    index; parts and SIPAS then combine their factors' intervals by MOVER, so the choice
    applies to them as well. ``t`` is the Student quantile on ``n − 1`` degrees of freedom
    (``n`` respondents behind the group's SIPAS, i.e. the most who answered one factor), a
    small-sample correction that tends to ``z`` for large groups. A variance that is 0 — an
    index at exactly 0 or 100 %, or rounding noise removed by the scoring functions — uses the
    respondents who answered as the effective size.

    ``WILSON_EFFECTIVE``
        Wilson score interval at the effective sample size ``n* = θ(1−θ)/v`` (design
        effect: Kish 1965; Korn & Graubard 1998, *Survey Methodology* 24:193). Stays inside
        [0, 100] and is defined at 0 and 100 % (then ``n*`` falls back to the respondents
        who answered). The default: the best calibrated in
        ``benchmarks/scoring_calibration.py``.
    ``LOGIT``
        ``expit(logit θ ± t √v / (θ(1−θ)))``; Wilson fallback at 0 and 100 %. Slightly
        conservative for factors.
    ``NORMAL``
        Plain ``θ ± t √v`` clipped to [0, 100] (Wald); under-covers for small groups
        (≈ 92.5 % at n = 30).
    """

    WILSON_EFFECTIVE = "wilson_effective"
    LOGIT = "logit"
    NORMAL = "normal"


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.959964 for ``confidence=0.95``."""
    _validate_confidence(confidence)
    return float(special.ndtri(0.5 + confidence / 2.0))  # normal quantile


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion (as a fraction, not percent).

    .. math::

        \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Source: E. B. Wilson (1927), *JASA* 22:209–212; recommended by Brown, Cai & DasGupta
    (2001), *Statistical Science* 16:101–133. METHOD.md §4 prescribes it for item indices.

    Parameters
    ----------
    successes, n : array_like
        Counts of successes and of trials (``n`` may be a non-integer effective size).
        ``n = 0`` gives NaN.
    confidence : float
        Two-sided level, default 0.95.

    Returns
    -------
    (low, high) : tuple of ndarray

    Examples
    --------
    8 successes out of 10: p̂ = 0.8, z² = 3.8415, centre = (0.8 + 0.19207)/1.38415 = 0.71674,
    half-width = 1.95996·√(0.016 + 0.0096037)/1.38415 = 0.22658:

    >>> low, high = wilson_interval(8, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.4902, 0.9433)
    """
    _validate_confidence(confidence)
    s = np.asarray(successes, dtype=np.float64)
    total = np.asarray(n, dtype=np.float64)
    if np.any(total < 0) or np.any(s < 0) or np.any(s > total):
        raise ValueError("successes: must satisfy 0 ≤ successes ≤ n")
    return _wilson(
        np.divide(s, total, out=np.zeros_like(s * total), where=total > 0),
        total,
        z_value(confidence),
    )


def level_interval(
    theta: ArrayLike,
    variance: ArrayLike,
    n: ArrayLike,
    method: LevelInterval = LevelInterval.WILSON_EFFECTIVE,
    confidence: float = 0.95,
    df: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Interval for a mean of proportions ``theta`` with estimated ``variance`` (fractions).

    Parameters
    ----------
    theta : array_like
        Index as a fraction in [0, 1] (NaN = no data, gives NaN bounds).
    variance : array_like
        Estimated variance of ``theta``.
    n : array_like
        Respondents behind the index; used as the sample size when ``variance`` is 0
        (θ at 0 or 1).
    method : LevelInterval
        See :class:`LevelInterval`.
    confidence : float
        Two-sided level.
    df : array_like, optional
        Degrees of freedom of the ``t`` quantile used instead of ``z`` (``n − 1`` in the
        scoring functions); ``None`` uses the normal quantile.

    Returns
    -------
    (low, high) : tuple of ndarray

    Examples
    --------
    θ = 0.8 with variance 0.0016 → n* = 0.16/0.0016 = 100, the Wilson interval of 80/100:

    >>> low, high = level_interval(0.8, 0.0016, 30)
    >>> round(float(low), 4), round(float(high), 4)
    (0.7112, 0.8666)
    """
    _validate_confidence(confidence)
    method = _validate_method(method)
    t, v, size, freedom = np.broadcast_arrays(
        np.asarray(theta, dtype=np.float64),
        np.asarray(variance, dtype=np.float64),
        np.asarray(n, dtype=np.float64),
        np.asarray(np.inf if df is None else df, dtype=np.float64),
    )
    if np.any(v < 0):
        raise ValueError("variance: must not be negative")
    if np.any(np.isnan(freedom)) or np.any(freedom <= 0):
        raise ValueError("df: degrees of freedom must be positive")
    z = np.asarray(special.stdtrit(freedom, 0.5 + confidence / 2.0), dtype=np.float64)  # t
    inner = (t > 0) & (t < 1) & (v > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method is LevelInterval.NORMAL:
            half = z * np.sqrt(v)
            low, high = np.clip(t - half, 0, 1), np.clip(t + half, 0, 1)
            fallback_low, fallback_high = _wilson(t, size, z)
            low = np.where(v > 0, low, fallback_low)
            high = np.where(v > 0, high, fallback_high)
        elif method is LevelInterval.LOGIT:
            centre = special.logit(np.where(inner, t, 0.5))
            half = z * np.sqrt(v) / np.where(inner, t * (1 - t), 1.0)
            fallback_low, fallback_high = _wilson(t, size, z)
            low = np.where(inner, special.expit(centre - half), fallback_low)
            high = np.where(inner, special.expit(centre + half), fallback_high)
        else:
            effective = np.where(inner, t * (1 - t) / np.where(inner, v, 1.0), size)
            low, high = _wilson(t, effective, z)
    missing = np.isnan(t)
    return np.where(missing, np.nan, low), np.where(missing, np.nan, high)


def _wilson(p: FloatArray, n: FloatArray, z: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z2n = np.where(n > 0, z * z / n, np.nan)
        denominator = 1 + z2n
        centre = (p + z2n / 2) / denominator
        half = z * np.sqrt(np.maximum(p * (1 - p), 0) / n + z2n / (4 * n)) / denominator
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _validate_confidence(confidence: object) -> None:
    if not isinstance(confidence, float | int) or not 0 < float(confidence) < 1:
        raise ValueError(
            f"confidence: expected a number strictly between 0 and 1, got {confidence!r}"
        )


def _validate_method(method: object) -> LevelInterval:
    try:
        return LevelInterval(str(method))
    except ValueError:
        choices = ", ".join(m.value for m in LevelInterval)
        raise ValueError(f"method: expected one of {choices}, got {method!r}") from None
