"""scoring.trust: bursts, open responses per dossier served, top-rating shares and the
verified–open gap, each against figures computed by hand."""

from __future__ import annotations

import math

import pytest

from scoring import Estimate
from scoring.trust import (
    Burst,
    find_bursts,
    gap,
    more_open_than_served,
    open_per_served,
    share,
    top_shares,
)

Z = 1.959963984540054


def test_three_submissions_within_the_window_make_one_burst() -> None:
    # 0, 30, 60 s: three within 120 s; 500, 530: only two.
    assert find_bursts([0, 30, 60, 500, 530], 3, 120) == (Burst(0, 2, 3),)


def test_submissions_spread_wider_than_the_window_are_no_burst() -> None:
    # Every window of 120 s holds at most two of 0, 100, 200, 300.
    assert find_bursts([0, 100, 200, 300], 3, 120) == ()
    assert find_bursts([0, 10], 3, 120) == ()


def test_two_bursts_of_one_client_are_kept_apart() -> None:
    # 0–30 (four) and 200–215 (three); the gap of 170 s is longer than the window.
    assert find_bursts([0, 10, 20, 30, 200, 210, 215], 3, 120) == (
        Burst(0, 3, 4),
        Burst(4, 6, 3),
    )


def test_a_burst_continues_while_windows_overlap() -> None:
    # 0, 60, 120, 180, 240: each window of 120 s from 0, 60, 120 holds three → one run of 5.
    assert find_bursts([0, 60, 120, 180, 240], 3, 120) == (Burst(0, 4, 5),)
    # The setting matters: with four needed there is none.
    assert find_bursts([0, 60, 120, 180, 240], 4, 120) == ()


def test_bad_burst_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        find_bursts([0, 1, 2], 1, 120)
    with pytest.raises(ValueError):
        find_bursts([2, 1, 0], 3, 120)


def test_open_responses_per_dossier_served() -> None:
    assert open_per_served(5, 2) == 2.5
    assert open_per_served(2, 3) == pytest.approx(2 / 3)
    assert open_per_served(4, 0) is None
    with pytest.raises(ValueError):
        open_per_served(-1, 2)


def test_top_shares_in_and_outside_bursts_with_wilson_intervals() -> None:
    shares = top_shares(3, 3, 0, 2)
    assert shares.in_bursts.percent == 100.0
    assert shares.outside.percent == 0.0
    assert shares.difference == 100.0
    # Wilson for 3 of 3: low = n / (n + z²) = 3 / (3 + 3.8415) = 43.85 %.
    assert shares.in_bursts.ci_low == pytest.approx(100 * 3 / (3 + Z * Z), abs=1e-6)
    assert shares.in_bursts.ci_high == pytest.approx(100.0)
    assert share(0, 0).percent is None
    assert top_shares(1, 2, 0, 0).difference is None


def test_the_gap_is_open_minus_verified_with_the_mover_interval() -> None:
    # Symmetric intervals 90 ± 4 (verified) and 80 ± 3 (open): −10 ± 5.
    verified = Estimate(100, 90.0, 86.0, 94.0, 2.04)
    open_ = Estimate(100, 80.0, 77.0, 83.0, 1.53)
    found = gap(verified, open_)
    assert found.difference == pytest.approx(-10.0)
    assert found.change.ci_low == pytest.approx(-10 - math.hypot(4, 3))
    assert found.change.ci_high == pytest.approx(-10 + math.hypot(4, 3))
    assert found.significant


def test_more_open_responses_than_dossiers_served() -> None:
    assert more_open_than_served(5, 2)
    assert not more_open_than_served(2, 2)  # exactly 1 per dossier is not over 1
    assert more_open_than_served(3, 0)  # open responses, no dossier returned that day
    assert not more_open_than_served(0, 0)
    assert not more_open_than_served(3, 0, dossiers_known=False)  # no dossier data at all
