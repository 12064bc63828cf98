"""Issue 11, scores: exact boundaries, rounding noise, version shares, the flag's n, targets.

Each test fails on the code before the fix (numbers from the issue where it gives them).
"""

import math
from datetime import date

import numpy as np
import pytest

from scoring import (
    TARGETS_90_85,
    TARGETS_2030,
    Flag,
    SufficientStats,
    flag_for,
    score,
    score_versions,
    target_set_for,
    to_json_dict,
)
from scoring.indices import _clean_covariance, _correlation

from .helpers_scoring import DV, QUICK

EXTRA_DV = len(DV.expectation) + len(DV.integrity)
EXTRA_QUICK = len(QUICK.expectation) + len(QUICK.integrity)


def _full(rows: int, answer: int) -> SufficientStats:
    return SufficientStats.from_answers(DV, np.array([[answer] * 16 + [0] * EXTRA_DV] * rows))


def _quick(rows: int, answer: int) -> SufficientStats:
    return SufficientStats.from_answers(QUICK, np.array([[answer] * 5 + [0] * EXTRA_QUICK] * rows))


# --- 17: rounding noise and exact boundaries ------------------------------------------------


def test_versions_constant_inside_but_different_give_a_real_interval():
    # 28 full-form respondents answer 5 everywhere (every factor 100 %), 4 quick-form ones
    # answer 3 (0 %): every factor = 28/32 = 87.5 %. Inside each version nothing varies, but
    # the versions' shares do: the share term gives V = (28·0.125² + 4·0.875²)/32² · 31/32,
    # an effective size of 0.875·0.125/V = 33.03 → an interval of about 71–95, flag "below".
    result = score_versions([_full(28, 5), _quick(4, 3)])
    sipas = result.sipas
    assert sipas.index == pytest.approx(87.5)
    variance = (28 * 0.125**2 + 4 * 0.875**2) / 32**2 * 31 / 32
    assert result.factors["A"].se == pytest.approx(100 * math.sqrt(variance))
    assert 69.0 < sipas.ci_low < 74.0
    assert 94.0 < sipas.ci_high < 97.0
    assert flag_for(sipas.n, sipas, 90.0) is Flag.BELOW


def test_all_answers_five_in_two_versions_is_exactly_100_with_a_width():
    # 9 + 1 respondents, every answer 5: the factor is exactly 100 (not 99.99999999999999)
    # and its interval is the Wilson interval of 10 of 10 with t(0.975; 9) = 2.262157 in place
    # of z: lower end 10/(10 + t²) = 66.15 %, not a zero width.
    result = score_versions([_full(9, 5), _quick(1, 5)])
    for estimate in (*result.factors.values(), result.sipas):
        assert estimate.index == 100.0
        assert estimate.ci_high == 100.0
        assert estimate.se == 0.0
    wilson_low = 100 * 10 / (10 + 2.262157**2)  # Wilson lower end at p̂ = 1, n = 10
    assert result.factors["A"].ci_low == pytest.approx(wilson_low, abs=1e-3)
    assert result.sipas.ci_low < 99.0


def test_all_answers_low_is_exactly_0():
    result = score_versions([_full(9, 2), _quick(1, 1)])
    assert result.sipas.index == 0.0
    assert result.sipas.ci_low == 0.0
    assert result.sipas.ci_high > 1.0


def test_rounding_noise_is_removed_relative_to_the_size_of_the_terms():
    cov = np.array([[[1e-34, 3e-35], [2e-35, 0.01]]])
    scale = np.array([[1e-3, 1e-2]])
    cleaned = _clean_covariance(cov, scale, np.zeros((1, 2), dtype=bool))
    assert cleaned[0, 0, 0] == 0.0 and cleaned[0, 0, 1] == 0.0 and cleaned[0, 1, 0] == 0.0
    assert cleaned[0, 1, 1] == 0.01


# --- 18: correlations for MOVER -------------------------------------------------------------


def _day_group() -> np.ndarray:
    # 12 respondents of the full form: factor A at 100 % (answers 4–5 only), the others mixed.
    rng = np.random.default_rng(7)
    answers = rng.choice([2, 3, 4, 5], size=(12, 16), p=[0.1, 0.15, 0.4, 0.35])
    answers[:, :3] = rng.choice([4, 5], size=(12, 3))
    return np.concatenate([answers, np.zeros((12, EXTRA_DV), dtype=int)], axis=1)


def _influence(answers: np.ndarray) -> np.ndarray:
    """z_i of each factor, written out from docs/method.md §4.2 (respondents × factors)."""
    s = (answers[:, :16] >= 4).astype(float)
    r = (answers[:, :16] > 0).astype(float)
    p = s.sum(axis=0) / r.sum(axis=0)
    out = []
    for items in DV.factors.values():
        cols = [DV.items.index(c) for c in items]
        w = 1 / len(cols)
        out.append(sum(w * (s[:, j] - p[j] * r[:, j]) / (r[:, j].sum() - 1) for j in cols))
    return np.array(out).T


def test_correlation_matrix_is_symmetric_and_a_100_percent_factor_gets_1():
    answers = _day_group()
    z = _influence(answers)
    n = answers.shape[0]
    cov = ((n - 1) / n * z.T @ z)[None]
    cov[0, 0, 1:] += 1e-19  # the noise a product a·C·aᵀ leaves
    cov[0, 1:, 0] -= 3e-19
    cov[0, 0, 0] = 1e-34
    scale = np.full((1, 5), 1e-2)
    correlation = _correlation(_clean_covariance(cov, scale, np.zeros((1, 5), dtype=bool)))[0]
    assert np.array_equal(correlation, correlation.T)
    assert np.all(correlation[0] == 1.0) and np.all(correlation[:, 0] == 1.0)


def test_sipas_lower_bound_uses_correlation_1_for_a_factor_at_100():
    answers = _day_group()
    result = score(SufficientStats.from_answers(DV, answers))
    assert result.factors["A"].index == 100.0
    z = _influence(answers)
    n = answers.shape[0]
    cov = (n - 1) / n * z.T @ z
    sd = np.sqrt(np.diag(cov))
    corr = np.ones((5, 5))
    corr[1:, 1:] = cov[1:, 1:] / np.outer(sd[1:], sd[1:])
    factors = [result.factors[f] for f in "ABCDE"]
    down = np.array([(f.index - f.ci_low) / 5 for f in factors])
    expected = result.sipas.index - math.sqrt(down @ corr @ down)
    assert result.sipas.ci_low == pytest.approx(expected, abs=1e-9)


# --- 19: the flag's n ---------------------------------------------------------------------------


def test_flag_counts_respondents_who_answered_satisfaction_items():
    # 30 rows; 5 answered the satisfaction items (all 5), 25 only the integrity item Q5.
    satisfied = [[5] * 16 + [0] * EXTRA_DV] * 5
    integrity_only = [[0] * 16 + [0] * len(DV.expectation) + [1, 0]] * 25
    result = score(SufficientStats.from_answers(DV, np.array(satisfied + integrity_only)))
    assert result.n == 30
    assert result.sipas.n == 5
    out = to_json_dict(result, target=90.0)
    assert out["n"] == 30
    assert out["flag"] == "insufficient_data"


# --- 15, 21: which target set ---------------------------------------------------------------


def test_a_target_set_stays_in_force_until_a_newer_one_starts():
    assert target_set_for(date(2031, 1, 2)) is TARGETS_90_85
    assert target_set_for(date(9999, 12, 31)) is TARGETS_90_85
    both = (TARGETS_2030, TARGETS_90_85)
    assert target_set_for(date(2025, 12, 31), both) is TARGETS_90_85
    assert target_set_for(date(2026, 1, 1), both) is TARGETS_2030
    assert target_set_for(date(2040, 1, 1), both) is TARGETS_2030


def test_no_target_before_the_first_set():
    assert target_set_for(date(2020, 12, 31)) is None
    result = score(_quick_group_of(40))
    out = to_json_dict(result, target=None)
    assert out["target"] is None
    assert out["flag"] == "no_target"


def _quick_group_of(rows: int) -> SufficientStats:
    return _quick(rows, 4)
