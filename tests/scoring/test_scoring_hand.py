"""Hand-computed tables: every expected number is worked out in the comments."""

import math

import numpy as np
import pytest

from scoring import (
    Flag,
    SufficientStats,
    flag_for,
    score,
    score_versions,
    target_for,
    to_json_dict,
)
from scoring.structure import Structure

from .helpers_scoring import QUICK, SMALL

# columns: A1 A2 B1 B2 E1 X5 Q5 (0 = missing / no opinion)
ANSWERS = np.array(
    [
        [5, 4, 4, 3, 0, 4, 1],
        [4, 3, 5, 5, 0, 3, 1],
        [3, 0, 4, 4, 0, 2, 2],
        [2, 5, 0, 4, 0, 0, 1],
        [5, 5, 3, 0, 0, 4, 3],
        [0, 0, 0, 0, 0, 0, 0],  # answered nothing: still a respondent
    ]
)


@pytest.fixture()
def small_result():
    return score(SufficientStats.from_answers(SMALL, ANSWERS))


def test_item_index_counts_four_and_five_over_valid_answers(small_result):
    # A1: answers 5 4 3 2 5 → 3 of 5 = 60 %; A2: 4 3 5 5 → 3 of 4 = 75 %
    # B1: 4 5 4 3 → 3 of 4 = 75 %; B2: 3 5 4 4 → 3 of 4 = 75 %
    items = small_result.items
    assert (items["A1"].n, items["A1"].index) == (5, 60.0)
    assert (items["A2"].n, items["A2"].index) == (4, 75.0)
    assert (items["B1"].n, items["B1"].index) == (4, 75.0)
    assert (items["B2"].n, items["B2"].index) == (4, 75.0)


def test_item_nobody_answered_has_no_index(small_result):
    e1 = small_result.items["E1"]
    assert (e1.n, e1.index, e1.ci_low, e1.ci_high) == (0, None, None, None)
    assert small_result.factors["E"].index is None


def test_factor_part_sipas_are_means_skipping_missing(small_result):
    # A = (60 + 75)/2 = 67.5; B = (75 + 75)/2 = 75; E has no data and is skipped (not 0)
    # DV = (67.5 + 75)/2 = 71.25; SIPAS = DV (the only part)
    assert small_result.factors["A"].index == pytest.approx(67.5)
    assert small_result.factors["B"].index == pytest.approx(75.0)
    assert small_result.parts["DV"].index == pytest.approx(71.25)
    assert small_result.sipas.index == pytest.approx(71.25)


def test_factor_n_counts_respondents_who_answered_the_factor(small_result):
    # A: rows 1–5 answered A1 or A2 → 5; B: rows 1–5 → 5; E: nobody
    assert small_result.factors["A"].n == 5
    assert small_result.factors["B"].n == 5
    assert small_result.factors["E"].n == 0


def test_expectation_and_integrity_rates(small_result):
    # X5: 4 3 2 4 → answers 3–4: 3 of 4 = 75 %; Q5: 1 1 2 1 3 → answers 2–3: 2 of 5 = 40 %
    assert (small_result.expectation["X5"].n, small_result.expectation["X5"].index) == (4, 75.0)
    assert (small_result.integrity["Q5"].n, small_result.integrity["Q5"].index) == (5, 40.0)


def test_item_interval_is_wilson(small_result):
    # A1: p̂ = 0.6, n = 5, z = 1.959964, z² = 3.841459, z²/n = 0.768292
    # centre = (0.6 + 0.384146)/1.768292 = 0.556552
    # half = 1.959964·√(0.24/5 + 3.841459/100)/1.768292 = 1.959964·0.293964/1.768292 = 0.325827
    # → [0.230725, 0.882379]
    a1 = small_result.items["A1"]
    assert a1.ci_low == pytest.approx(100 * (0.556552 - 0.325827), abs=1e-4)
    assert a1.ci_high == pytest.approx(100 * (0.556552 + 0.325827), abs=1e-4)


def test_group_below_min_n_is_insufficient_data(small_result):
    out = to_json_dict(small_result, target=90.0)
    assert out["n"] == 6
    assert out["flag"] == "insufficient_data"


def test_json_dict_shape_and_none_for_missing(small_result):
    out = to_json_dict(small_result, target=90.0)
    assert set(out) == {
        "n",
        "items",
        "factors",
        "parts",
        "sipas",
        "target",
        "flag",
        "expectation",
        "integrity",
    }
    assert set(out["items"]["A1"]) == {"n", "index", "ci_low", "ci_high"}
    assert set(out["factors"]["A"]) == {"index", "ci_low", "ci_high"}
    assert set(out["integrity"]["Q5"]) == {"n", "rate", "ci_low", "ci_high"}
    assert out["items"]["E1"] == {"n": 0, "index": None, "ci_low": None, "ci_high": None}
    assert out["factors"]["E"] == {"index": None, "ci_low": None, "ci_high": None}
    assert out["integrity"]["Q5"]["rate"] == 40.0
    assert out["target"] == 90.0


def test_single_item_factor_variance_is_jackknife_binomial():
    # One item, 10 answers, 8 of them 4–5: θ = 0.8, variance p(1−p)/(n−1) = 0.16/9,
    # se = 100·√(0.017778) = 13.3333 percentage points.
    one = Structure(factors={"A": ("A1",)}, parts={"DV": ("A",)})
    answers = np.array([[5]] * 8 + [[2]] * 2)
    result = score(SufficientStats.from_answers(one, answers))
    assert result.factors["A"].index == pytest.approx(80.0)
    assert result.factors["A"].se == pytest.approx(100 * math.sqrt(0.16 / 9))


def _quick_group(n_four: int, n_three: int) -> SufficientStats:
    # every respondent gives the same answer to A0..E0; X and Q left empty
    rows = [[4] * 5 + [0] * 8] * n_four + [[3] * 5 + [0] * 8] * n_three
    return SufficientStats.from_answers(QUICK, np.array(rows))


def test_land_only_group_uses_target_85_and_meets():
    # 40 respondents, 34 answer 4 everywhere, 6 answer 3: every index = 34/40 = 85 %
    result = score(_quick_group(34, 6))
    assert result.sipas.index == pytest.approx(85.0)
    target = target_for(land_only=True)
    assert target == 85.0
    assert to_json_dict(result, target=target)["flag"] == "meets"


def test_same_group_against_general_target_is_below():
    # 85 % < 90 %, but with n = 40 the interval's upper end is above 90 → "below"
    result = score(_quick_group(34, 6))
    assert result.sipas.ci_high > 90.0
    assert flag_for(result.n, result.sipas, target_for(land_only=False)) is Flag.BELOW


def test_clearly_low_group_is_below_significant():
    # 60 of 100 = 60 %: the upper end (≈ 69 %) is far under 90
    result = score(_quick_group(60, 40))
    assert flag_for(result.n, result.sipas, 90.0) is Flag.BELOW_SIGNIFICANT


def test_mixed_versions_weighted_by_respondents_who_answered_the_factor():
    full = Structure(factors={"A": ("A1", "A2"), "B": ("B1",)}, parts={"DV": ("A", "B")})
    quick = Structure(factors={"A": ("A0",), "B": ("B0",)}, parts={"DV": ("A", "B")})
    # full version, 3 respondents (A1 A2 B1):
    #   A1: 5 5 3 → 2/3; A2: 4 0 0 → 1/1; A = (66.67 + 100)/2 = 83.33, answered A: 3
    #   B1: 0 0 0 → nobody answered B in this version
    v_full = SufficientStats.from_answers(full, np.array([[5, 4, 0], [5, 0, 0], [3, 0, 0]]))
    # quick version, 2 respondents (A0 B0): A0: 2 3 → 0 %, answered A: 2; B0: 5 4 → 100 %
    v_quick = SufficientStats.from_answers(quick, np.array([[2, 5], [3, 4]]))
    result = score_versions([v_full, v_quick])
    # A = (3·83.33 + 2·0)/5 = 50; B = quick only = 100; DV = (50 + 100)/2 = 75
    assert result.factors["A"].index == pytest.approx(50.0)
    assert result.factors["B"].index == pytest.approx(100.0)
    assert result.sipas.index == pytest.approx(75.0)
    assert result.n == 5
    assert result.factors["A"].n == 5
