"""Aggregation over a unit tree."""

import numpy as np
import pytest

from scoring import AggregationMethod, SufficientStats, aggregate_tree, score, score_versions

from .helpers_scoring import DV, QUICK


def _stats(n_four, n_two):
    rows = [[4] * 5 + [0] * 8] * n_four + [[2] * 5 + [0] * 8] * n_two
    return SufficientStats.from_answers(QUICK, np.array(rows))


TREE = {
    "province": None,
    "district": "province",
    "commune1": "district",
    "commune2": "district",
    "dept": "province",
}
STATS = {"commune1": _stats(9, 1), "commune2": _stats(1, 1), "dept": _stats(30, 10)}


def test_pool_sums_descendants_stats():
    result = aggregate_tree(TREE, STATS)
    # district = commune1 + commune2: (9 + 1)/(10 + 2) = 83.33 %
    assert result["district"].sipas.index == pytest.approx(100 * 10 / 12)
    # province = everything: (9 + 1 + 30)/(10 + 2 + 40) = 40/52
    assert result["province"].sipas.index == pytest.approx(100 * 40 / 52)
    assert result["province"].n == 52
    assert result["province"] == score(STATS["commune1"] + STATS["commune2"] + STATS["dept"])


def test_mean_of_children_averages_indices():
    result = aggregate_tree(TREE, STATS, AggregationMethod.MEAN_OF_CHILDREN)
    # district = (90 + 50)/2 = 70; province = (70 + 75)/2 = 72.5
    assert result["district"].sipas.index == pytest.approx(70.0)
    assert result["province"].sipas.index == pytest.approx(72.5)
    assert result["province"].items["A0"].index == pytest.approx(72.5)


def test_unit_without_responses_has_no_index():
    result = aggregate_tree({**TREE, "empty": "province"}, STATS)
    assert result["empty"].sipas.index is None
    assert result["empty"].n == 0


def test_pool_keeps_questionnaire_versions_apart():
    full = SufficientStats.from_answers(DV, np.array([[5] * 16 + [0] * 8] * 4))
    result = aggregate_tree({"p": None, "a": "p", "b": "p"}, {"a": full, "b": _stats(0, 4)})
    assert result["p"] == score_versions([full, _stats(0, 4)])


def test_cycle_is_rejected():
    with pytest.raises(ValueError, match="^parents:"):
        aggregate_tree({"a": "b", "b": "a"}, {})
