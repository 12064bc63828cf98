"""Coverage (response rate of the dossiers served) and the 766 measures, by hand."""

from __future__ import annotations

import math

import pytest

from scoring import complaint_timeliness, coverage, dossier_measure


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def test_rate_and_its_wilson_interval() -> None:
    c = coverage(500, 450, 120, 30)
    low, high = _wilson(120, 500)
    assert c.rate == pytest.approx(24.0)
    assert (c.rate_ci_low, c.rate_ci_high) == (pytest.approx(low), pytest.approx(high))
    assert c.invited_rate == pytest.approx(90.0)
    assert c.open == 30
    assert c.to_json() == {
        "served": 500,
        "invited": 450,
        "verified": 120,
        "open": 30,
        "rate": pytest.approx(24.0),
        "rate_ci_low": pytest.approx(low),
        "rate_ci_high": pytest.approx(high),
        "representative": True,
    }


def test_no_dossiers_gives_nulls_and_is_not_representative() -> None:
    c = coverage(0, 0, 0, 17)
    assert c.to_json() == {
        "served": 0,
        "invited": 0,
        "verified": 0,
        "open": 17,
        "rate": None,
        "rate_ci_low": None,
        "rate_ci_high": None,
        "representative": False,
    }


@pytest.mark.parametrize(
    ("served", "answered", "representative"),
    [
        (4000, 40, False),  # n = 40 but a 1 % rate
        (400, 40, True),
        (400, 29, False),  # n under 30
        (1000, 49, False),  # 4.9 % < 5 %
        (1000, 50, True),  # exactly 5 %
    ],
)
def test_representative_needs_the_minimum_n_and_rate(
    served: int, answered: int, representative: bool
) -> None:
    assert coverage(served, 0, answered).representative is representative


def test_answered_over_served_is_refused() -> None:
    with pytest.raises(ValueError, match="must not exceed served"):
        coverage(10, 0, 11)
    with pytest.raises(ValueError, match="non-negative"):
        coverage(-1, 0, 0)


def test_indicator_5_4_on_200_dossiers() -> None:
    # 200 resolved: 40 early, 140 on time, 20 late (10 %), 12 with a complaint (6 %):
    # 100 − 16 = 84 % → 84 × 6 / 90 = 5.6 points; 0.4 lost; 15 of 20 late got a letter.
    m = dossier_measure(40, 140, 20, 12, 15)
    assert m.resolved == 200
    assert m.late_share == pytest.approx(10.0)
    assert m.complaint_share == pytest.approx(6.0)
    assert m.rate == pytest.approx(84.0)
    assert m.points == pytest.approx(5.6)
    assert m.points_lost == pytest.approx(0.4)
    assert m.apology_share == pytest.approx(75.0)


def test_indicator_5_4_full_points_from_90_percent_and_none_below_zero() -> None:
    exactly_90 = dossier_measure(10, 180, 10, 10)  # 200: 5 % late + 5 % complaints
    assert exactly_90.rate == pytest.approx(90.0)
    assert exactly_90.points == pytest.approx(6.0)
    just_under = dossier_measure(10, 179, 11, 10)  # 200: 5.5 % + 5 % → 89.5 %
    assert just_under.points == pytest.approx(89.5 * 6 / 90)
    worst = dossier_measure(0, 0, 10, 10)  # 100 − 200 = −100 %
    assert worst.rate == pytest.approx(-100.0)
    assert worst.points == 0.0
    assert dossier_measure(0, 0, 0, 0).rate is None
    assert dossier_measure(1, 0, 0, 0, max_points=4).points == pytest.approx(4.0)


def test_indicator_5_2() -> None:
    c = complaint_timeliness(25, 20, max_points=2)
    assert (c.rate, c.points) == (pytest.approx(80.0), pytest.approx(1.6))
    assert complaint_timeliness(0, 0).rate is None
    with pytest.raises(ValueError):
        complaint_timeliness(3, 4)
