"""Indicators 5.4 and 5.2 from the stored dossiers: every figure of the hand-computed
fixture (tests/indicators/fixture.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from survey_app.services.indicators.measures import IndicatorError, compute, is_dislike

from . import fixture

LATER = datetime(2026, 3, 1, tzinfo=UTC)  # every complaint of the quarter is due


def test_every_figure_by_resolving_unit(app: Flask) -> None:
    fixture.build()
    result = compute(fixture.START, fixture.END, "unit", now=LATER)
    assert [r.code for r in result.rows] == ["A", "B"]  # A costs the most points
    a, b = result.rows
    assert (a.measure.resolved, a.measure.early, a.measure.on_time, a.measure.late) == (
        120,
        30,
        78,
        12,
    )
    assert a.measure.with_complaint == 5
    assert a.measure.late_with_apology == 6
    assert a.measure.apology_share == pytest.approx(50.0)
    assert a.measure.late_share == pytest.approx(10.0)
    assert a.measure.complaint_share == pytest.approx(500 / 120)
    assert a.measure.rate == pytest.approx(85.8333, abs=1e-4)
    assert a.measure.points == pytest.approx(5.72222, abs=1e-5)
    assert a.measure.points_lost == pytest.approx(0.27778, abs=1e-5)
    assert a.rate_removed == pytest.approx(8.5)
    assert a.complaints is not None
    assert (a.complaints.complaints, a.complaints.on_time) == (3, 1)
    assert a.complaints.rate == pytest.approx(100 / 3)
    assert a.complaints.points == pytest.approx(2.0)
    assert (b.measure.resolved, b.measure.early, b.measure.on_time, b.measure.late) == (
        80,
        10,
        62,
        8,
    )
    assert (b.measure.with_complaint, b.measure.late_with_apology) == (3, 1)
    assert b.measure.apology_share == pytest.approx(12.5)
    assert b.measure.rate == pytest.approx(86.25)
    assert b.measure.points == pytest.approx(5.75)
    assert b.rate_removed == pytest.approx(5.5)
    assert b.complaints is not None and b.complaints.rate is None  # no complaint at B
    w = result.whole
    assert (w.measure.resolved, w.measure.early, w.measure.on_time, w.measure.late) == (
        200,
        40,
        140,
        20,
    )
    assert (w.measure.with_complaint, w.measure.late_with_apology) == (8, 7)
    assert w.measure.rate == pytest.approx(86.0)
    assert w.measure.points == pytest.approx(86 * 6 / 90)
    assert w.measure.apology_share == pytest.approx(35.0)
    assert w.complaints is not None and w.complaints.points == pytest.approx(2.0)


def test_by_counter_and_by_procedure(app: Flask) -> None:
    fixture.build()
    by_counter = compute(fixture.START, fixture.END, "counter", now=LATER)
    assert [(r.unit_code, r.code, r.measure.resolved, r.measure.late) for r in by_counter.rows] == [
        ("A", "Q1", 120, 12),
        ("A", "", 80, 8),  # B's dossiers were received at A without a counter
    ]
    assert by_counter.rows[0].complaints is None  # 5.2 is per unit
    by_procedure = compute(fixture.START, fixture.END, "procedure", now=LATER)
    assert [(r.code, r.name, r.measure.with_complaint) for r in by_procedure.rows] == [
        ("1.004227", "Đăng ký đất đai lần đầu", 5),
        ("2.000001", "2.000001", 3),
    ]


def test_scope_limits_the_units(app: Flask) -> None:
    units = fixture.build()
    result = compute(fixture.START, fixture.END, "unit", {units["B"].id}, now=LATER)
    assert [r.code for r in result.rows] == ["B"]
    assert result.whole.measure.resolved == 80
    assert result.whole.complaints is not None and result.whole.complaints.complaints == 0


def test_a_complaint_not_yet_due_is_left_out(app: Flask) -> None:
    fixture.build()
    soon = datetime(2025, 11, 5, tzinfo=UTC)  # the unanswered one is due on 8/11
    a = compute(fixture.START, fixture.END, "unit", now=soon).rows[0]
    assert a.complaints is not None
    assert (a.complaints.complaints, a.complaints.on_time) == (2, 1)


def test_the_maxima_are_settings(app: Flask) -> None:
    fixture.build()
    app.config["INDICATOR_5_4_MAX_POINTS"] = 9.0
    app.config["INDICATOR_5_2_MAX_POINTS"] = 3.0
    w = compute(fixture.START, fixture.END, "unit", now=LATER).whole
    assert w.measure.points == pytest.approx(86 * 9 / 90)
    assert w.complaints is not None and w.complaints.points == pytest.approx(1.0)


def test_a_bad_grouping_is_refused(app: Flask) -> None:
    with pytest.raises(IndicatorError):
        compute(fixture.START, fixture.END, "channel")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"A1": 2}, True),
        ({"A1": 3}, False),
        ({"A1": 2, "A2": 3}, False),
        ({"A1": 1, "A2": 3}, True),
        ({}, False),
        ({"Q5": 1}, False),  # not a satisfaction item
    ],
)
def test_dislike(answers: dict[str, int], expected: bool) -> None:
    assert is_dislike("sipas-2024-dv", answers) is expected
