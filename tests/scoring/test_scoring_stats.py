"""Sufficient statistics: layout, additivity, paths agree, serialisation."""

import numpy as np
import pytest

from scoring import (
    StatsBatch,
    SufficientStats,
    score,
    score_answers,
    score_batch,
    stats_length,
)
from scoring.simulation import realistic_model, simulate_answers

from .helpers_scoring import DV, SMALL


@pytest.fixture()
def answers():
    rng = np.random.default_rng(7)
    return simulate_answers(DV, realistic_model(DV, rng), 250, rng)


def test_counts_and_cross_products_by_hand():
    # columns A1 A2 B1 B2 E1 X5 Q5; two respondents
    stats = SufficientStats.from_answers(
        SMALL, np.array([[5, 3, 0, 0, 0, 4, 1], [4, 4, 2, 0, 0, 0, 3]])
    )
    assert stats.n == 2
    assert stats.counts[0].tolist() == [0, 0, 0, 1, 1]  # A1: one 4, one 5
    assert stats.counts[1].tolist() == [0, 0, 1, 1, 0]  # A2: one 3, one 4
    # v = [s_A1 s_A2 s_B1 s_B2 s_E1 | r_A1 r_A2 r_B1 r_B2 r_E1]
    # row 1: [1 0 0 0 0 | 1 1 0 0 0], row 2: [1 1 0 0 0 | 1 1 1 0 0]
    v = np.array([[1, 0, 0, 0, 0, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 1, 1, 1, 0, 0]])
    assert np.array_equal(stats.cross, v.T @ v)
    assert stats.factor_n.tolist() == [2, 1, 0]  # A: both; B: row 2 (B1); E: nobody
    assert stats.expectation_counts.tolist() == [[0, 0, 0, 1]]
    assert stats.integrity_counts.tolist() == [[1, 0, 1]]


def test_vector_length_for_the_sipas_form():
    # 1 + 5·16 + 32·33/2 + 5 + 4·6 + 3·2 = 644
    assert stats_length(DV) == 644


def test_sum_of_parts_equals_stats_of_union(answers):
    a = SufficientStats.from_answers(DV, answers[:100])
    b = SufficientStats.from_answers(DV, answers[100:])
    assert a + b == SufficientStats.from_answers(DV, answers)


def test_builtin_sum_works(answers):
    parts = [SufficientStats.from_answers(DV, chunk) for chunk in np.array_split(answers, 5)]
    assert sum(parts) == SufficientStats.from_answers(DV, answers)


def test_flat_vectors_are_additive(answers):
    a = SufficientStats.from_answers(DV, answers[:100])
    b = SufficientStats.from_answers(DV, answers[100:])
    union = SufficientStats.from_vector(DV, a.to_vector() + b.to_vector())
    assert union == SufficientStats.from_answers(DV, answers)


def test_bytes_round_trip(answers):
    stats = SufficientStats.from_answers(DV, answers)
    data = stats.to_bytes()
    assert len(data) == 8 * (4 + 644)
    assert SufficientStats.from_bytes(DV, data) == stats


def test_bytes_of_another_structure_are_rejected(answers):
    data = SufficientStats.from_answers(DV, answers).to_bytes()
    with pytest.raises(ValueError, match="^data:"):
        SufficientStats.from_bytes(SMALL, data)


def test_batch_vectors_round_trip(answers):
    groups = np.arange(answers.shape[0]) % 7
    batch = StatsBatch.from_answers(DV, answers, groups, 7)
    assert StatsBatch.from_vectors(DV, batch.to_vectors()) == batch


def test_grouped_stats_equal_per_group_stats_small_and_large_groups(answers):
    # sizes 3, 5, 200 and 42: both the outer-product path (< 128 rows) and the BLAS path
    groups = np.repeat([2, 0, 1, 3], [3, 5, 200, 42])
    np.random.default_rng(1).shuffle(groups)
    batch = StatsBatch.from_answers(DV, answers, groups, 5)
    for g in range(5):
        assert batch[g] == SufficientStats.from_answers(DV, answers[groups == g])


def test_batch_total_is_stats_of_everything(answers):
    batch = StatsBatch.from_answers(DV, answers, np.arange(answers.shape[0]) % 3, 3)
    assert batch.total() == SufficientStats.from_answers(DV, answers)


def test_stats_path_equals_per_respondent_path(answers):
    via_stats = score(SufficientStats.from_answers(DV, answers))
    direct = score_answers(DV, answers)
    for level in ("items", "factors", "parts", "expectation", "integrity"):
        for code, estimate in getattr(via_stats, level).items():
            other = getattr(direct, level)[code]
            assert estimate.index == other.index  # exact: same counts, same ratios
            assert estimate.n == other.n
            assert estimate.ci_low == pytest.approx(other.ci_low, rel=1e-12)
            assert estimate.ci_high == pytest.approx(other.ci_high, rel=1e-12)
    assert via_stats.sipas.index == direct.sipas.index
    assert via_stats.sipas.se == pytest.approx(direct.sipas.se, rel=1e-12)


def test_batch_scoring_equals_single_group_scoring(answers):
    groups = np.arange(answers.shape[0]) % 4
    batch = score_batch(StatsBatch.from_answers(DV, answers, groups, 4))
    for g in range(4):
        single = score(SufficientStats.from_answers(DV, answers[groups == g]))
        assert batch.group(g).sipas == single.sipas
        assert batch.group(g).factors == single.factors


def test_empty_group_scores_to_none():
    result = score(SufficientStats.zeros(DV))
    assert result.n == 0
    assert result.sipas.index is None
    assert result.items["A1"].index is None


def test_stats_arrays_are_read_only(answers):
    stats = SufficientStats.from_answers(DV, answers)
    with pytest.raises(ValueError):
        stats.counts[0, 0] = 1


@pytest.mark.parametrize("small_group", [2, 128])
def test_cross_products_of_many_groups_of_every_size_are_exact(small_group, monkeypatch):
    """Single-row groups (running sums), larger ones (one product each), unsorted groups,
    empty groups and chunks of several thousand rows: equal to a plain sum of v vᵀ."""
    from scoring import stats as module

    monkeypatch.setattr(module, "_SMALL_GROUP", small_group)
    monkeypatch.setattr(module, "_SMALL_CHUNK", 64)
    rng = np.random.default_rng(5)
    sizes = np.concatenate([np.ones(300, int), rng.integers(0, 200, 40), [0, 0, 500]])
    groups = rng.permutation(np.repeat(np.arange(sizes.size), sizes))
    satisfaction = rng.integers(0, 6, (groups.size, 4)).astype(np.int8)
    got = module._cross_products(satisfaction, groups, sizes.size)
    v = np.concatenate([satisfaction >= 4, satisfaction > 0], axis=1).astype(np.int64)
    want = np.zeros_like(got)
    np.add.at(want, groups, v[:, :, None] * v[:, None, :])
    assert np.array_equal(got, want)
