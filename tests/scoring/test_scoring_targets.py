"""Targets with validity dates and flags."""

from datetime import date

import numpy as np
import pytest

from scoring import (
    TARGETS_90_85,
    TARGETS_2030,
    Estimate,
    Flag,
    TargetGroup,
    flag_for,
    flags,
    target_for,
    target_group_for,
    target_set_for,
)


def test_flag_values_are_the_output_codes():
    assert [f.value for f in Flag] == [
        "insufficient_data",
        "below_significant",
        "below",
        "meets",
        "no_target",
    ]


def test_land_only_group_gets_the_land_target():
    assert target_group_for(True) is TargetGroup.DAT_DAI_XAY_DUNG_DAU_TU
    assert target_for(land_only=True) == 85.0
    assert target_for(land_only=False) == 90.0


def test_2030_preset():
    assert target_for(land_only=False, target_set=TARGETS_2030) == 95.0
    assert target_for(land_only=True, target_set=TARGETS_2030) == 90.0


def test_target_set_by_date():
    assert target_set_for(date(2026, 3, 1)) is TARGETS_90_85
    assert target_set_for(date(2027, 1, 1), (TARGETS_2030, TARGETS_90_85)) is TARGETS_2030
    assert target_set_for(date(2031, 1, 1)) is TARGETS_90_85  # in force until a newer set
    assert target_set_for(date(2020, 12, 31)) is None  # before the first set: no target
    with pytest.raises(ValueError, match="^day:"):
        target_set_for("2026-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "estimate", "flag"),
    [
        (29, Estimate(29, 99.0, 95.0, 100.0, 1.0), Flag.INSUFFICIENT_DATA),
        (30, Estimate(30, None, None, None, None), Flag.INSUFFICIENT_DATA),
        (30, Estimate(30, 80.0, 75.0, 89.9, 3.0), Flag.BELOW_SIGNIFICANT),
        (30, Estimate(30, 89.9, 80.0, 95.0, 3.0), Flag.BELOW),
        (30, Estimate(30, 90.0, 85.0, 95.0, 3.0), Flag.MEETS),
    ],
)
def test_flag_rules(n, estimate, flag):
    assert flag_for(n, estimate, 90.0) is flag


def test_min_n_is_a_setting():
    estimate = Estimate(20, 95.0, 90.5, 98.0, 2.0)
    assert flag_for(20, estimate, 90.0, min_n=20) is Flag.MEETS


def test_vectorised_flags_match_scalar_rule():
    out = flags([29, 30, 30, 30, 30], [99, np.nan, 80, 89.9, 90], [100, np.nan, 89.9, 95, 95], 90)
    assert out.tolist() == [
        "insufficient_data",
        "insufficient_data",
        "below_significant",
        "below",
        "meets",
    ]
