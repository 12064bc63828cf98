r"""Item, factor, part and SIPAS indices with 95 % intervals (METHOD.md §4).

Formulas, for one group, with ``S_j`` answers 4–5 and ``R_j`` answers 1–5 to item ``j``:

* item index ``p_j = S_j / R_j`` (Wilson interval);
* factor index ``θ_f = mean of p_j over the factor's items with R_j > 0``;
* part index = mean of its factors present; SIPAS = mean of the parts present;
* expectation index = share of answers 3–4 (scale 1–4); integrity rate = share of
  answers 2–3 (scale 1–3), both with Wilson intervals.

Every factor, part and SIPAS index is a linear combination ``θ = Σ_j w_j p_j`` of item
ratios. Its respondent-level variance is the first-order jackknife (linearisation with
leave-one-out denominators ``R_j − 1``):

.. math::

    \hat V(θ) = \frac{n-1}{n} \sum_i z_i^2, \quad
    z_i = \sum_j \frac{w_j}{R_j - 1}(s_{ij} - p_j r_{ij}) = a^\top v_i, \quad
    \sum_i z_i^2 = a^\top \Big(\sum_i v_i v_i^\top\Big) a

with ``a = [w/(R−1), −w p/(R−1)]`` and ``v_i = [s_i, r_i]`` (Woodruff 1971; Wolter,
*Introduction to Variance Estimation*, 2nd ed., ch. 4 and 6). For one item without missing
answers it is ``p(1−p)/(n−1)``. It needs only the cross-product matrix kept in
:class:`~scoring.SufficientStats` and accounts for one respondent answering several items;
covariances between factors come from the same quadratic form. Mixed questionnaire
versions (disjoint respondents) add their covariance matrices, plus the variance of the
random version shares: a mixed factor is the ratio ``θ_f = Σ_v m_fv θ_fv / M_f``, whose
linearisation gives each respondent of version ``v`` who answered ``f`` the extra influence
``(θ_fv − θ_f)/M_f``, so

.. math::

    \hat V_{share}(θ_f, θ_g) = \frac{n-1}{n} \sum_v
        \frac{(θ_{fv} - θ_f)(θ_{gv} - θ_g) \min(m_{fv}, m_{gv})}{M_f M_g}

(``min`` stands for the respondents who answered both factors, which the statistics do not
keep; see :func:`_share_covariance`).

Exact boundaries and rounding: an index whose items all have only (or no) answers 4–5 is set
to exactly 1 (0) with variance 0; a variance at most ``1e-12`` times the size of its terms
``|a|ᵀ(Σ v vᵀ)|a|`` is rounding noise and is set to 0 with its covariances, and the
covariance matrices are made symmetric (:func:`_clean_covariance`).

Intervals: items, expectation and integrity rates use Wilson. A factor uses the Wilson
interval at the effective sample size ``θ(1−θ)/V̂`` with the ``t`` quantile on ``n − 1``
degrees of freedom, ``n`` = respondents behind SIPAS (the most who answered one factor)
(:class:`~scoring.LevelInterval`). Parts and SIPAS combine their components' intervals with
MOVER (Zou & Donner 2008) using the estimated correlations (1 for a zero-variance
component), so the asymmetry of the factor intervals near 100 % carries up. Calibration:
``benchmarks/scoring_calibration.py`` prints both tails (truth under ``ci_low``, truth above
``ci_high``) per group size and version mix; docs/method.md §4.5 has the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from .intervals import LevelInterval, _validate_confidence, _validate_method, _wilson, z_value
from .intervals import level_interval as _level_interval
from .stats import StatsBatch, SufficientStats, _validate_answers
from .structure import Structure

__all__ = [
    "BatchScores",
    "Estimate",
    "GroupScore",
    "LevelArrays",
    "score",
    "score_answers",
    "score_batch",
    "score_versions",
    "score_versions_batch",
]

FloatArray = NDArray[np.float64]
Int64Array = NDArray[np.int64]
SIPAS_CODE = "SIPAS"
# A variance below this share of the size of its terms is rounding noise (ε ≈ 2.2e-16 times
# at most 2J ≤ 64 terms is ≈ 1.4e-14; a real variance of a group of a billion respondents is
# still above 1e-10 of that size).
_RELATIVE_TOLERANCE = 1e-12
# Two indices (fractions) closer than this are equal: differences of sums of shares.
_INDEX_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Estimate:
    """One index of one group, in percent (0–100); ``None`` when there is no data.

    Attributes
    ----------
    n : int
        Valid answers (items, expectation, integrity); respondents who answered ≥ 1 item
        (factors); the largest such count among the components (parts, SIPAS).
    index, ci_low, ci_high : float or None
        Point estimate and interval bounds.
    se : float or None
        Standard error (percentage points), used to compare periods.
    """

    n: int
    index: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None


@dataclass(frozen=True, eq=False)
class LevelArrays:
    """Estimates of one level for ``G`` groups: arrays shaped ``(G, K)``, NaN = no data.

    ``index``, ``ci_low``, ``ci_high`` and ``se`` are in percent; ``codes`` name the ``K``
    columns.
    """

    codes: tuple[str, ...]
    n: Int64Array
    index: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    se: FloatArray

    def __post_init__(self) -> None:
        for name in ("n", "index", "ci_low", "ci_high", "se"):
            value = np.array(getattr(self, name), copy=True)
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    def estimate(self, g: int, k: int) -> Estimate:
        """The estimate of group ``g``, column ``k``."""
        if np.isnan(self.index[g, k]):
            return Estimate(int(self.n[g, k]), None, None, None, None)
        return Estimate(
            int(self.n[g, k]),
            float(self.index[g, k]),
            float(self.ci_low[g, k]),
            float(self.ci_high[g, k]),
            float(self.se[g, k]),
        )

    def mapping(self, g: int) -> Mapping[str, Estimate]:
        """Read-only ``{code: Estimate}`` of group ``g``."""
        return MappingProxyType({c: self.estimate(g, k) for k, c in enumerate(self.codes)})


@dataclass(frozen=True)
class GroupScore:
    """All indices of one group (see :func:`score`).

    ``sipas`` has ``index=None`` when no satisfaction item was answered.
    """

    n: int
    items: Mapping[str, Estimate]
    factors: Mapping[str, Estimate]
    parts: Mapping[str, Estimate]
    sipas: Estimate
    expectation: Mapping[str, Estimate]
    integrity: Mapping[str, Estimate]


@dataclass(frozen=True, eq=False)
class BatchScores:
    """Indices of ``G`` groups at once; ``group(g)`` gives the :class:`GroupScore`."""

    n: Int64Array
    items: LevelArrays
    factors: LevelArrays
    parts: LevelArrays
    sipas: LevelArrays
    expectation: LevelArrays
    integrity: LevelArrays

    @property
    def n_groups(self) -> int:
        """Number of groups ``G``."""
        return int(self.n.shape[0])

    def group(self, g: int) -> GroupScore:
        """Scores of group ``g`` as Python objects."""
        if not 0 <= g < self.n_groups:
            raise ValueError(f"g: expected 0 ≤ g < {self.n_groups}, got {g}")
        return GroupScore(
            n=int(self.n[g]),
            items=self.items.mapping(g),
            factors=self.factors.mapping(g),
            parts=self.parts.mapping(g),
            sipas=self.sipas.estimate(g, 0),
            expectation=self.expectation.mapping(g),
            integrity=self.integrity.mapping(g),
        )


# ---------------------------------------------------------------------------------------------
def score(
    stats: SufficientStats,
    *,
    interval: LevelInterval = LevelInterval.WILSON_EFFECTIVE,
    confidence: float = 0.95,
) -> GroupScore:
    """Score one group from its sufficient statistics.

    Parameters
    ----------
    stats : SufficientStats
        Statistics of the group (they carry their :class:`~scoring.Structure`).
    interval : LevelInterval
        Interval for factor, part and SIPAS indices (items always use Wilson).
    confidence : float
        Two-sided confidence level, default 0.95.

    Returns
    -------
    GroupScore

    Examples
    --------
    Two respondents, factor A = (A1, A2): answers (5, 4) and (3, 0).
    A1: 1 of 2 answers are 4–5 → 50 %; A2: 1 of 1 → 100 %; A = (50 + 100)/2 = 75 %.

    >>> s = Structure(factors={"A": ("A1", "A2")}, parts={"DV": ("A",)})
    >>> result = score(SufficientStats.from_answers(s, np.array([[5, 4], [3, 0]])))
    >>> result.items["A1"].index, result.items["A2"].index, result.factors["A"].index
    (50.0, 100.0, 75.0)
    >>> result.sipas.index
    75.0
    """
    if not isinstance(stats, SufficientStats):
        raise ValueError("stats: expected SufficientStats")
    return score_batch(StatsBatch.stack([stats]), interval=interval, confidence=confidence).group(0)


def score_batch(
    stats: StatsBatch,
    *,
    interval: LevelInterval = LevelInterval.WILSON_EFFECTIVE,
    confidence: float = 0.95,
) -> BatchScores:
    """Score ``G`` groups at once (vectorised over groups, items and levels).

    Same parameters as :func:`score`, with a :class:`~scoring.StatsBatch`. The work is a
    fixed number of array operations on ``(G, J, 5)`` and ``(G, 2J, 2J)`` arrays, whatever
    ``G``.
    """
    return score_versions_batch([stats], interval=interval, confidence=confidence)


def score_versions(
    versions: Sequence[SufficientStats],
    *,
    interval: LevelInterval = LevelInterval.WILSON_EFFECTIVE,
    confidence: float = 0.95,
) -> GroupScore:
    """Score one group whose responses answered several questionnaire versions.

    Per METHOD.md §4: each factor index is computed per version, then the versions' factor
    indices are averaged with weights = respondents of that version who answered the
    factor (``factor_n``). Parts and SIPAS are means of the combined factors / parts. Items,
    expectation and integrity items with the same code are pooled across versions. The
    variance is the sum of the versions' linearised variances (disjoint respondents).

    Parameters
    ----------
    versions : sequence of SufficientStats
        One statistics object per questionnaire version (structures may differ; a part code
        present in several structures must list the same factors).

    Examples
    --------
    Version 1 (A = A1, A2): 2 respondents, A1 answers 5, 5, A2 answers 5, 3 → A = (100+50)/2
    = 75 %. Version 2 (quick form, A = A0): 1 respondent answering 3 → A = 0 %. Combined
    A = (2·75 + 1·0)/3 = 50 %.

    >>> full = Structure(factors={"A": ("A1", "A2")}, parts={"DV": ("A",)})
    >>> quick = Structure(factors={"A": ("A0",)}, parts={"DV": ("A",)})
    >>> v1 = SufficientStats.from_answers(full, np.array([[5, 5], [5, 3]]))
    >>> v2 = SufficientStats.from_answers(quick, np.array([[3]]))
    >>> result = score_versions([v1, v2])
    >>> result.factors["A"].index, result.n
    (50.0, 3)
    """
    if not isinstance(versions, Sequence) or not versions:
        raise ValueError("versions: expected a non-empty sequence of SufficientStats")
    for one in versions:
        if not isinstance(one, SufficientStats):
            raise ValueError("versions: every element must be SufficientStats")
    batches = [StatsBatch.stack([one]) for one in versions]
    return score_versions_batch(batches, interval=interval, confidence=confidence).group(0)


def score_versions_batch(
    versions: Sequence[StatsBatch],
    *,
    interval: LevelInterval = LevelInterval.WILSON_EFFECTIVE,
    confidence: float = 0.95,
) -> BatchScores:
    """Vectorised :func:`score_versions`: one :class:`~scoring.StatsBatch` per version, all
    with the same ``G`` groups in the same order."""
    batches = _validate_versions(versions)
    interval = _validate_method(interval)
    _validate_confidence(confidence)
    return _score(batches, interval, confidence, covariance=None)


def score_answers(
    structure: Structure,
    answers: NDArray[np.integer],
    *,
    interval: LevelInterval = LevelInterval.WILSON_EFFECTIVE,
    confidence: float = 0.95,
) -> GroupScore:
    """Score one group directly from its ``(n, C)`` answers (reference path).

    Computes the respondent influence values ``z_i`` explicitly instead of going through
    the cross-product matrix; used to check that the sufficient-statistics path is exact.
    Columns follow ``structure.columns``; 0 = missing.
    """
    array = _validate_answers(structure, answers)
    interval = _validate_method(interval)
    _validate_confidence(confidence)
    batch = StatsBatch.from_answers(structure, array, np.zeros(array.shape[0], np.intp), 1)
    satisfaction = array[:, : len(structure.items)]
    s = (satisfaction >= 4).astype(np.float64)
    r = (satisfaction > 0).astype(np.float64)
    weights = _level_weights([batch]).per_version[0][0]  # (L, J) of the only group
    a = _influence_coefficients(weights, s.sum(axis=0), r.sum(axis=0))  # (L, 2J)
    influence = np.concatenate([s, r], axis=1) @ a.T  # z_i for every level, (n, L)
    n = array.shape[0]
    factor = (n - 1) / n if n > 1 else 1.0
    covariance = factor * (influence.T @ influence)
    return _score([batch], interval, confidence, covariance=covariance[None]).group(0)


# ---------------------------------------------------------------------------------------------
def _validate_versions(versions: object) -> list[StatsBatch]:
    if not isinstance(versions, Sequence) or not versions:
        raise ValueError("versions: expected a non-empty sequence of StatsBatch")
    batches = list(versions)
    for one in batches:
        if not isinstance(one, StatsBatch):
            raise ValueError("versions: every element must be a StatsBatch")
    sizes = {one.n_groups for one in batches}
    if len(sizes) != 1:
        raise ValueError(f"versions: all batches must have the same number of groups, got {sizes}")
    parts: dict[str, tuple[str, ...]] = {}
    for one in batches:
        for code, factors in one.structure.parts.items():
            if parts.setdefault(code, factors) != factors:
                raise ValueError(f"versions: part {code!r} lists different factors in two versions")
    return batches


def _union(codes: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for group in codes for c in group))


@dataclass(frozen=True)
class _Weights:
    """Item weights of every factor, part and SIPAS index (rows: factors, parts, SIPAS)."""

    per_version: list[FloatArray]  # (G, F + P + 1, J_v) per version
    factor_codes: tuple[str, ...]
    part_codes: tuple[str, ...]
    factor_n: Int64Array  # (G, F) respondents who answered the factor
    part_n: Int64Array  # (G, P) largest factor_n among the part's factors
    part_of_factors: FloatArray  # (G, P, F) part index = Σ_f u_pf θ_f
    sipas_of_parts: FloatArray  # (G, 1, P) SIPAS = Σ_p u_p θ_p
    within: list[FloatArray]  # (G, F, J_v) per version: θ_f,v = Σ_j c_fj p_j (0 if absent)
    version_n: list[Int64Array]  # (G, F) per version: m_f,v, respondents who answered f

    @property
    def levels_of_factors(self) -> FloatArray:
        """``(G, F + P + 1, F)``: every level as a combination of the factors."""
        g, n_f = self.factor_n.shape
        identity = np.broadcast_to(np.eye(n_f), (g, n_f, n_f))
        sipas = self.sipas_of_parts @ self.part_of_factors
        return np.concatenate([identity, self.part_of_factors, sipas], axis=1)


def _level_weights(batches: Sequence[StatsBatch]) -> _Weights:
    g = batches[0].n_groups
    factor_codes = _union([b.structure.factor_codes for b in batches])
    part_map: dict[str, tuple[str, ...]] = {}
    for b in batches:
        part_map.update(b.structure.parts)
    part_codes = tuple(part_map)
    position = {code: k for k, code in enumerate(factor_codes)}
    n_factors = len(factor_codes)

    within: list[tuple[FloatArray, NDArray[np.intp], Int64Array]] = []
    total_n = np.zeros((g, n_factors), dtype=np.int64)
    for b in batches:
        present = (b.counts.sum(axis=-1) > 0).astype(np.float64)  # (G, J)
        membership = b.structure.membership  # (F_v, J)
        answered = present @ membership.T  # items with data per factor, (G, F_v)
        c = membership[None, :, :] * present[:, None, :]
        c = c / np.where(answered > 0, answered, 1.0)[:, :, None]
        columns = np.array([position[code] for code in b.structure.factor_codes], dtype=np.intp)
        respondents = np.where(answered > 0, b.factor_n, 0)
        total_n[:, columns] += respondents
        within.append((c, columns, respondents))

    part_matrix = np.zeros((len(part_codes), n_factors))
    for k, code in enumerate(part_codes):
        part_matrix[k, [position[f] for f in part_map[code]]] = 1.0
    factor_present = (total_n > 0).astype(np.float64)
    part_count = factor_present @ part_matrix.T  # (G, P)
    u = part_matrix[None, :, :] * factor_present[:, None, :]
    u = u / np.where(part_count > 0, part_count, 1.0)[:, :, None]  # (G, P, F)
    part_present = (part_count > 0).astype(np.float64)
    sipas = part_present / np.maximum(part_present.sum(axis=1, keepdims=True), 1.0)
    part_n = np.max(
        np.where(part_matrix[None, :, :] > 0, total_n[:, None, :], 0), axis=2, initial=0
    )

    weights: list[FloatArray] = []
    within_global: list[FloatArray] = []
    version_n: list[Int64Array] = []
    for c, columns, respondents in within:
        share = respondents / np.where(total_n[:, columns] > 0, total_n[:, columns], 1)
        factor_w = np.zeros((g, n_factors, c.shape[2]))
        factor_w[:, columns, :] = share[:, :, None] * c
        part_w = u @ factor_w
        sipas_w = sipas[:, None, :] @ part_w
        weights.append(np.concatenate([factor_w, part_w, sipas_w], axis=1))
        own = np.zeros((g, n_factors, c.shape[2]))
        own[:, columns, :] = c
        within_global.append(own)
        m = np.zeros((g, n_factors), dtype=np.int64)
        m[:, columns] = respondents
        version_n.append(m)
    return _Weights(
        weights,
        factor_codes,
        part_codes,
        total_n,
        part_n,
        u,
        sipas[:, None, :],
        within_global,
        version_n,
    )


def _influence_coefficients(
    weights: FloatArray, successes: FloatArray, valid: FloatArray
) -> FloatArray:
    """``a`` with ``z_i = a·v_i``: ``[w/(R−1), −w p/(R−1)]``, shape ``(..., L, 2J)``."""
    p = successes / np.where(valid > 0, valid, 1.0)
    # Leave-one-out denominators R_j − 1 (first-order jackknife). Where R_j ≤ 1 every
    # residual s_ij − p_j r_ij is 0, so any finite scale gives the correct 0.
    scale = np.where(valid > 1, valid - 1, 1.0)
    return np.concatenate(
        [weights / scale[..., None, :], -weights * (p / scale)[..., None, :]], axis=-1
    )


def _score(
    batches: Sequence[StatsBatch],
    interval: LevelInterval,
    confidence: float,
    covariance: FloatArray | None,
) -> BatchScores:
    z = z_value(confidence)
    g = batches[0].n_groups
    weights = _level_weights(batches)
    n_f, n_p = len(weights.factor_codes), len(weights.part_codes)
    n_levels = n_f + n_p + 1
    theta = np.zeros((g, n_levels))
    weight_total = np.zeros((g, n_levels))
    cov = np.zeros((g, n_levels, n_levels))
    scale = np.zeros((g, n_levels))  # Σ_i (Σ |a_k| v_ik)²: the size of the terms of V̂
    all_success = np.ones((g, n_levels), dtype=bool)
    no_success = np.ones((g, n_levels), dtype=bool)
    version_theta: list[FloatArray] = []
    for w, c, b in zip(weights.per_version, weights.within, batches, strict=True):
        successes = (b.counts[..., 3] + b.counts[..., 4]).astype(np.float64)
        valid = b.counts.sum(axis=-1).astype(np.float64)
        p = successes / np.where(valid > 0, valid, 1.0)
        theta += np.einsum("glj,gj->gl", w, p)
        weight_total += w.sum(axis=2)
        used = w > 0
        all_success &= ~np.any(used & (successes < valid)[:, None, :], axis=2)
        no_success &= ~np.any(used & (successes > 0)[:, None, :], axis=2)
        version_theta.append(np.einsum("gfj,gj->gf", c, p))
        a = _influence_coefficients(w, successes, valid)
        cross = b.cross.astype(np.float64)
        n = b.n.astype(np.float64)
        factor = np.where(n > 1, (n - 1) / np.maximum(n, 1), 1.0)[:, None, None]
        cov += factor * (a @ cross @ np.swapaxes(a, 1, 2))
        magnitude = np.abs(a)
        scale += factor[:, :, 0] * np.einsum("glj,gjk,glk->gl", magnitude, cross, magnitude)
    if covariance is not None:
        cov = covariance
    present = weight_total > 0.5
    # Exact boundaries: an index whose every item has all (no) answers 4–5 is exactly 100 (0) %,
    # not 99.99999999999999 from adding version shares; its variance is exactly 0.
    boundary = present & (all_success | no_success)
    theta = np.where(all_success, 1.0, np.where(no_success, 0.0, np.clip(theta, 0.0, 1.0)))
    theta = np.where(present, theta, np.nan)
    respondents = sum((b.n for b in batches), np.zeros(g, dtype=np.int64))
    if len(batches) > 1:
        cov = cov + _share_covariance(weights, version_theta, theta[:, :n_f], respondents)
    cov = _clean_covariance(cov, scale, boundary)
    variance = np.einsum("gll->gl", cov)
    answering = weights.part_n.max(axis=1, initial=0)  # respondents behind SIPAS
    df = np.maximum(answering - 1, 1).astype(np.float64)[:, None]

    factors = slice(0, n_f)
    parts = slice(n_f, n_f + n_p)
    low = np.full((g, n_levels), np.nan)
    high = np.full((g, n_levels), np.nan)
    low[:, factors], high[:, factors] = _level_interval(
        theta[:, factors], variance[:, factors], weights.factor_n, interval, confidence, df
    )
    correlation = _correlation(cov)
    low[:, parts], high[:, parts] = _mover(
        theta[:, factors],
        low[:, factors],
        high[:, factors],
        weights.part_of_factors,
        correlation[:, factors, factors],
    )
    low[:, -1:], high[:, -1:] = _mover(
        theta[:, parts],
        low[:, parts],
        high[:, parts],
        weights.sipas_of_parts,
        correlation[:, parts, parts],
    )
    low = np.where(present, low, np.nan)
    high = np.where(present, high, np.nan)
    se = np.where(present, np.sqrt(variance), np.nan)
    level_n = np.concatenate(
        [weights.factor_n, weights.part_n, weights.part_n.max(axis=1, keepdims=True, initial=0)],
        axis=1,
    )

    def level(codes: tuple[str, ...], cols: slice) -> LevelArrays:
        return LevelArrays(
            codes,
            level_n[:, cols],
            100 * theta[:, cols],
            100 * low[:, cols],
            100 * high[:, cols],
            100 * se[:, cols],
        )

    items = _pooled_proportions(batches, lambda b: b.structure.items, lambda b: b.counts, (3, 4), z)
    expectation = _pooled_proportions(
        batches, lambda b: b.structure.expectation, lambda b: b.expectation_counts, (2, 3), z
    )
    integrity = _pooled_proportions(
        batches, lambda b: b.structure.integrity, lambda b: b.integrity_counts, (1, 2), z
    )
    return BatchScores(
        n=respondents,
        items=items,
        factors=level(weights.factor_codes, factors),
        parts=level(weights.part_codes, parts),
        sipas=level((SIPAS_CODE,), slice(n_levels - 1, n_levels)),
        expectation=expectation,
        integrity=integrity,
    )


def _share_covariance(
    weights: _Weights,
    version_theta: Sequence[FloatArray],
    factor_theta: FloatArray,
    respondents: Int64Array,
) -> FloatArray:
    """Covariance added by the random version shares of a mixed group, ``(G, L, L)``.

    A factor of a mixed group is the ratio ``θ_f = Σ_v m_fv θ_fv / M_f``; the counts
    ``m_fv`` are random like the answers. Linearising the ratio gives each respondent of
    version ``v`` who answered ``f`` the extra influence ``(θ_fv − θ_f)/M_f``; it is
    uncorrelated with the within-version influences of the same factor (those sum to 0 over
    the respondents who answered it). Between two factors the respondents who answered both
    are taken as ``min(m_fv, m_gv)`` (exact when one set contains the other), and the
    cross-terms with the other factor's within-version influences as 0 (their expectation
    when missing answers are unrelated to the answer, §4.4 of docs/method.md).
    """
    total = weights.factor_n.astype(np.float64)
    denominator = np.where(total > 0, total, 1.0)
    theta = np.nan_to_num(factor_theta)
    n_f = total.shape[1]
    share = np.zeros((total.shape[0], n_f, n_f))
    for own, m in zip(version_theta, weights.version_n, strict=True):
        deviation = np.where(m > 0, own - theta, 0.0)
        deviation = np.where(np.abs(deviation) > _INDEX_TOLERANCE, deviation, 0.0) / denominator
        both = np.minimum(m[:, :, None], m[:, None, :]).astype(np.float64)
        share += deviation[:, :, None] * deviation[:, None, :] * both
    n = respondents.astype(np.float64)
    factor = np.where(n > 1, (n - 1) / np.maximum(n, 1), 1.0)[:, None, None]
    levels = weights.levels_of_factors
    covariance: FloatArray = factor * (levels @ share @ np.swapaxes(levels, 1, 2))
    return covariance


def _clean_covariance(
    cov: FloatArray, scale: FloatArray, boundary: NDArray[np.bool_]
) -> FloatArray:
    """Symmetric covariance matrices with rounding noise removed.

    ``V̂ = aᵀ(Σ v vᵀ)a`` is a sum of terms of size ``scale = |a|ᵀ(Σ v vᵀ)|a|`` that cancel
    when every respondent's influence is 0; floating point then leaves noise of about
    ``2J·ε·scale`` (1e-34 rather than 0). A variance at or below ``_RELATIVE_TOLERANCE ×
    scale``, or of an index at exactly 0 or 100 %, is set to 0 with its row and column, so
    that the zero-variance rules (effective size, correlation 1) apply.
    """
    variance = np.einsum("gll->gl", cov)
    zero = boundary | (variance <= _RELATIVE_TOLERANCE * scale)
    keep = (~zero).astype(np.float64)
    cleaned = cov * keep[:, :, None] * keep[:, None, :]
    symmetric: FloatArray = 0.5 * (cleaned + np.swapaxes(cleaned, 1, 2))
    return symmetric


def _correlation(cov: FloatArray) -> FloatArray:
    """Correlation matrices; pairs involving a zero-variance estimate get 1 (conservative)."""
    sd = np.sqrt(np.maximum(np.einsum("gll->gl", cov), 0.0))
    outer = sd[:, :, None] * sd[:, None, :]
    defined = outer > 0
    corr = np.where(defined, cov / np.where(defined, outer, 1.0), 1.0)
    return np.clip(corr, -1.0, 1.0)


def _mover(
    theta: FloatArray,
    low: FloatArray,
    high: FloatArray,
    coefficients: FloatArray,
    correlation: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """MOVER interval of ``Σ_k c_k θ_k`` (``c ≥ 0``) from the components' intervals.

    ``L = θ̂ − √(Σ_jk c_j c_k r_jk (θ̂_j − l_j)(θ̂_k − l_k))`` and the same with ``u_k − θ̂_k``
    for ``U`` (Zou & Donner 2008, *Comput. Stat. Data Anal.* 52:3222; Newcombe 2011). With
    symmetric normal component intervals it is the normal interval of the combination.
    """
    usable = ~np.isnan(theta)
    t = np.where(usable, theta, 0.0)
    down = np.where(usable, t - np.nan_to_num(low), 0.0)[:, None, :] * coefficients
    up = np.where(usable, np.nan_to_num(high) - t, 0.0)[:, None, :] * coefficients
    centre = np.einsum("gmk,gk->gm", coefficients, t)
    spread_down = np.einsum("gmj,gjk,gmk->gm", down, correlation, down)
    spread_up = np.einsum("gmj,gjk,gmk->gm", up, correlation, up)
    lower = np.clip(centre - np.sqrt(np.maximum(spread_down, 0.0)), 0.0, 1.0)
    upper = np.clip(centre + np.sqrt(np.maximum(spread_up, 0.0)), 0.0, 1.0)
    return lower, upper


def _pooled_proportions(
    batches: Sequence[StatsBatch],
    codes_of: Callable[[StatsBatch], tuple[str, ...]],
    counts_of: Callable[[StatsBatch], Int64Array],
    success_levels: tuple[int, ...],
    z: float,
) -> LevelArrays:
    """Wilson estimates of ``share of answers in success_levels``, pooled by code."""
    codes = _union([codes_of(b) for b in batches])
    position = {code: k for k, code in enumerate(codes)}
    g = batches[0].n_groups
    successes = np.zeros((g, len(codes)))
    valid = np.zeros((g, len(codes)))
    for b in batches:
        columns = np.array([position[c] for c in codes_of(b)], dtype=np.intp)
        counts = counts_of(b)
        successes[:, columns] += counts[..., list(success_levels)].sum(axis=-1)
        valid[:, columns] += counts.sum(axis=-1)
    present = valid > 0
    p = np.where(present, successes / np.where(present, valid, 1.0), np.nan)
    low, high = _wilson(np.nan_to_num(p), valid, z)
    se = np.sqrt(np.where(present, p * (1 - p) / np.where(present, valid, 1.0), np.nan))
    nan = np.where(present, 1.0, np.nan)
    return LevelArrays(
        codes, valid.astype(np.int64), 100 * p, 100 * low * nan, 100 * high * nan, 100 * se
    )
