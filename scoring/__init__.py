"""Pure scoring library for SIPAS satisfaction surveys (numpy/scipy only)."""

from .indices import (
    BatchScores,
    Estimate,
    GroupScore,
    LevelArrays,
    score,
    score_answers,
    score_batch,
    score_versions,
    score_versions_batch,
)
from .intervals import LevelInterval, level_interval, wilson_interval
from .stats import StatsBatch, SufficientStats, stats_length
from .structure import Structure

__all__ = [
    "BatchScores",
    "Estimate",
    "GroupScore",
    "LevelArrays",
    "LevelInterval",
    "StatsBatch",
    "Structure",
    "SufficientStats",
    "level_interval",
    "score",
    "score_answers",
    "score_batch",
    "score_versions",
    "score_versions_batch",
    "stats_length",
    "wilson_interval",
]
