"""Synthetic answers with known true indices, for calibration checks and demo data.

Model (an ordinal probit with a respondent effect):

* respondent ``i`` has a latent mood ``u_i ~ N(0, σ²)``; item ``j`` a latent answer
  ``y_ij = u_i + e_ij`` with ``e_ij ~ N(0, 1)``, so answers of one respondent are correlated
  (intra-respondent correlation ``σ²/(1+σ²)``, 0.5 by default);
* the answer is 4 or 5 when ``y_ij > τ_j`` with ``τ_j = Φ⁻¹(1 − p_j)·√(1+σ²)``, hence
  ``P(answer ∈ {4, 5}) = p_j`` exactly; 1, 2, 3 and 5 come from fixed offsets of ``τ_j``;
* an answer is missing when ``ρ w_i + √(1−ρ²) η_ij < Φ⁻¹(m_j)`` (``w, η ~ N(0, 1)``,
  independent of ``y``): each item is missing with probability ``m_j``, respondents who skip
  one item tend to skip others, and missingness is independent of the answer — so the
  population index among those who answer is the mean of the ``p_j``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from .structure import Structure

__all__ = ["SimulationModel", "TrueScores", "realistic_model", "simulate_answers", "true_scores"]

# Offsets (in latent units) of the 1|2, 2|3 and 4|5 cut points from the 3|4 cut point τ_j.
_CUTS_BELOW = (-1.6, -0.8)
_CUT_THREE = 0.0
_CUT_FIVE = 0.9


@dataclass(frozen=True)
class SimulationModel:
    """Parameters of :func:`simulate_answers` (one value per satisfaction item).

    Attributes
    ----------
    p_success : tuple of float
        True share of answers 4–5 among those who answer, per item (order of
        ``structure.items``).
    missing : tuple of float
        Probability that the item is left unanswered, per item.
    respondent_sd : float
        ``σ``, standard deviation of the respondent effect.
    missing_correlation : float
        ``ρ``, weight of the respondent's propensity to skip.
    expectation_p : tuple of float
        Probabilities of expectation answers 1..4 (same for every X item).
    integrity_p : tuple of float
        Probabilities of integrity answers 1..3 (same for every Q item).
    other_missing : float
        Missing rate of expectation and integrity items.
    """

    p_success: tuple[float, ...]
    missing: tuple[float, ...]
    respondent_sd: float = 1.0
    missing_correlation: float = 0.5
    expectation_p: tuple[float, ...] = (0.05, 0.15, 0.4, 0.4)
    integrity_p: tuple[float, ...] = (0.9, 0.08, 0.02)
    other_missing: float = 0.15


@dataclass(frozen=True)
class TrueScores:
    """Population indices (fractions) of a :class:`SimulationModel`."""

    items: NDArray[np.float64]
    factors: NDArray[np.float64]
    parts: NDArray[np.float64]
    sipas: float


def realistic_model(
    structure: Structure,
    rng: np.random.Generator,
    *,
    low: float = 0.75,
    high: float = 0.92,
    missing_factors: Sequence[str] = ("E",),
) -> SimulationModel:
    """A model with ``p_j ~ U(low, high)``, 10–25 % missing, 30–40 % for ``missing_factors``.

    Examples
    --------
    >>> s = Structure(factors={"A": ("A1", "A2")}, parts={"DV": ("A",)})
    >>> model = realistic_model(s, np.random.default_rng(1))
    >>> len(model.p_success), all(0.75 <= p <= 0.92 for p in model.p_success)
    (2, True)
    """
    items = structure.items
    p = rng.uniform(low, high, size=len(items))
    heavy = {code for f in missing_factors for code in structure.factors.get(f, ())}
    missing = np.where(
        [code in heavy for code in items],
        rng.uniform(0.30, 0.40, size=len(items)),
        rng.uniform(0.10, 0.25, size=len(items)),
    )
    return SimulationModel(tuple(float(x) for x in p), tuple(float(x) for x in missing))


def true_scores(structure: Structure, model: SimulationModel) -> TrueScores:
    """Population item, factor, part and SIPAS indices (fractions) of ``model``."""
    p = np.asarray(model.p_success, dtype=np.float64)
    if p.shape != (len(structure.items),):
        raise ValueError(f"model: p_success needs {len(structure.items)} values")
    membership = structure.membership
    factors = membership @ p / membership.sum(axis=1)
    index = {code: k for k, code in enumerate(structure.factor_codes)}
    parts = np.array([np.mean([factors[index[f]] for f in fs]) for fs in structure.parts.values()])
    return TrueScores(p, factors, parts, float(parts.mean()))


def simulate_answers(
    structure: Structure, model: SimulationModel, n: int, rng: np.random.Generator
) -> NDArray[np.int8]:
    """``(n, C)`` int8 answers drawn from ``model`` (columns ``structure.columns``).

    Vectorised: draw all datasets of a simulation at once with ``n = reps × size`` and
    group numbers ``np.repeat(np.arange(reps), size)``.

    Examples
    --------
    >>> s = Structure(factors={"A": ("A1",)}, parts={"DV": ("A",)})
    >>> model = SimulationModel(p_success=(0.8,), missing=(0.0,))
    >>> answers = simulate_answers(s, model, 100_000, np.random.default_rng(0))
    >>> round(float(np.mean(answers[:, 0] >= 4)), 2)
    0.8
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n: expected a non-negative integer, got {n!r}")
    j = len(structure.items)
    p = np.asarray(model.p_success, dtype=np.float64)
    missing = np.asarray(model.missing, dtype=np.float64)
    if p.shape != (j,) or missing.shape != (j,):
        raise ValueError(f"model: p_success and missing need {j} values each")
    if np.any((p <= 0) | (p >= 1)) or np.any((missing < 0) | (missing >= 1)):
        raise ValueError("model: p_success must lie in (0, 1) and missing in [0, 1)")
    sd = model.respondent_sd
    tau = stats.norm.ppf(1 - p) * np.sqrt(1 + sd * sd)
    latent = sd * rng.standard_normal((n, 1), dtype=np.float32)
    latent = latent + rng.standard_normal((n, j), dtype=np.float32)
    answers = np.ones((n, j), dtype=np.int8)
    for offset in (*_CUTS_BELOW, _CUT_THREE, _CUT_FIVE):
        answers += latent > (tau + offset).astype(np.float32)
    rho = model.missing_correlation
    skip = rho * rng.standard_normal((n, 1), dtype=np.float32)
    skip = skip + np.sqrt(1 - rho * rho) * rng.standard_normal((n, j), dtype=np.float32)
    answers[skip < stats.norm.ppf(missing).astype(np.float32)] = 0
    extra = [
        _categorical(rng, n, len(structure.expectation), model.expectation_p, model.other_missing),
        _categorical(rng, n, len(structure.integrity), model.integrity_p, model.other_missing),
    ]
    return np.concatenate([answers, *extra], axis=1)


def _categorical(
    rng: np.random.Generator, n: int, k: int, probabilities: Sequence[float], missing: float
) -> NDArray[np.int8]:
    cumulative = np.cumsum(probabilities)[:-1]
    draws = rng.random((n, k), dtype=np.float32)
    values = (1 + np.searchsorted(cumulative, draws, side="right")).astype(np.int8)
    values[rng.random((n, k), dtype=np.float32) < missing] = 0
    return values
