"""Pure scoring library for SIPAS satisfaction surveys (numpy/scipy only).

Typical use: keep :class:`SufficientStats` per day × unit × … (additive, serialisable),
sum them for a slice, then :func:`score` (one group) or :func:`score_batch` (many groups
at once) and :func:`to_json_dict` for output.
"""

from .aggregate import AggregationMethod, aggregate_tree, mean_of_groups
from .change import Change, ScoreChange, compare, compare_scores
from .coverage import DEFAULT_MIN_RATE, Coverage, coverage
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
from .measures import (
    DEFAULT_MAX_POINTS,
    FULL_POINTS_RATE,
    ComplaintTimeliness,
    DossierMeasure,
    complaint_timeliness,
    dossier_measure,
)
from .output import to_json_dict
from .periods import (
    FIRST_DAY,
    LAST_DAY,
    Cutoff,
    PeriodKind,
    check_day,
    parse_period,
    period_label,
    previous_period,
)
from .stats import StatsBatch, SufficientStats, stats_length
from .structure import Structure
from .targets import (
    DEFAULT_MIN_N,
    TARGETS_90_85,
    TARGETS_2030,
    Flag,
    TargetGroup,
    TargetSet,
    flag_for,
    flags,
    target_for,
    target_group_for,
    target_set_for,
)

__all__ = [
    "DEFAULT_MAX_POINTS",
    "DEFAULT_MIN_RATE",
    "FULL_POINTS_RATE",
    "ComplaintTimeliness",
    "Coverage",
    "DossierMeasure",
    "complaint_timeliness",
    "coverage",
    "dossier_measure",
    "DEFAULT_MIN_N",
    "FIRST_DAY",
    "LAST_DAY",
    "TARGETS_2030",
    "TARGETS_90_85",
    "AggregationMethod",
    "BatchScores",
    "Change",
    "Cutoff",
    "Estimate",
    "Flag",
    "GroupScore",
    "LevelArrays",
    "LevelInterval",
    "PeriodKind",
    "ScoreChange",
    "StatsBatch",
    "Structure",
    "SufficientStats",
    "TargetGroup",
    "TargetSet",
    "aggregate_tree",
    "check_day",
    "compare",
    "compare_scores",
    "flag_for",
    "flags",
    "level_interval",
    "mean_of_groups",
    "parse_period",
    "period_label",
    "previous_period",
    "score",
    "score_answers",
    "score_batch",
    "score_versions",
    "score_versions_batch",
    "stats_length",
    "target_for",
    "target_group_for",
    "target_set_for",
    "to_json_dict",
    "wilson_interval",
]
