"""Change between two periods of the same slice."""

import math

import numpy as np
import pytest

from scoring import Estimate, SufficientStats, compare, compare_scores, score

from .helpers_scoring import QUICK


def test_symmetric_intervals_add_variances():
    # 80 ± 4 then 86 ± 3: d = 6, half-width = √(16 + 9) = 5 → [1, 11], significant
    change = compare(Estimate(100, 80.0, 76.0, 84.0, 2.0), Estimate(100, 86.0, 83.0, 89.0, 1.5))
    assert change.difference == pytest.approx(6.0)
    assert (change.ci_low, change.ci_high) == (pytest.approx(1.0), pytest.approx(11.0))
    assert change.significant


def test_overlapping_change_is_not_significant():
    change = compare(Estimate(50, 80.0, 70.0, 90.0, 5.0), Estimate(50, 84.0, 74.0, 94.0, 5.0))
    assert change.ci_low < 0 < change.ci_high
    assert not change.significant


def test_missing_period_gives_no_change():
    change = compare(Estimate(0, None, None, None, None), Estimate(50, 84.0, 74.0, 94.0, 5.0))
    assert change.difference is None
    assert not change.significant


def test_compare_scores_covers_every_level():
    rows = lambda k, ans: [[ans] * 5 + [0] * 8] * k  # noqa: E731
    before = score(SufficientStats.from_answers(QUICK, np.array(rows(60, 4) + rows(40, 2))))
    after = score(SufficientStats.from_answers(QUICK, np.array(rows(90, 4) + rows(10, 2))))
    change = compare_scores(before, after)
    assert change.sipas.difference == pytest.approx(30.0)
    assert change.sipas.significant
    assert change.items["A0"].difference == pytest.approx(30.0)
    assert set(change.factors) == {"A", "B", "C", "D", "E"}
    assert change.expectation["X5"].difference is None
    # for items the interval is Newcombe's hybrid score interval from the two Wilson intervals
    a, b = after.items["A0"], before.items["A0"]
    low = 30.0 - math.hypot(a.index - a.ci_low, b.ci_high - b.index)
    assert change.items["A0"].ci_low == pytest.approx(low)
