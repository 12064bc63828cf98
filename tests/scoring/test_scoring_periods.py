"""Calendar and reporting (15th–14th) periods."""

from datetime import date

import pytest

from scoring import parse_period, period_label


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026-Q1", date(2025, 12, 15), date(2026, 3, 14)),
        ("2026-Q2", date(2026, 3, 15), date(2026, 6, 14)),
        ("2026-Q4", date(2026, 9, 15), date(2026, 12, 14)),
        ("2026-H1", date(2025, 12, 15), date(2026, 6, 14)),
        ("2026-H2", date(2026, 6, 15), date(2026, 12, 14)),
        ("2026", date(2025, 12, 15), date(2026, 12, 14)),
        ("2026-01", date(2025, 12, 15), date(2026, 1, 14)),
        ("2026-03", date(2026, 2, 15), date(2026, 3, 14)),
    ],
)
def test_report_cutoff_periods(period, start, end):
    assert parse_period(period, "report") == (start, end)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-03-05", date(2026, 3, 5), date(2026, 3, 5)),
    ],
)
def test_calendar_periods(period, start, end):
    assert parse_period(period, "calendar") == (start, end)


@pytest.mark.parametrize(
    ("day", "kind", "cutoff", "label"),
    [
        (date(2025, 12, 20), "quarter", "report", "2026-Q1"),
        (date(2025, 12, 14), "quarter", "report", "2025-Q4"),
        (date(2025, 12, 20), "quarter", "calendar", "2025-Q4"),
        (date(2025, 12, 15), "year", "report", "2026"),
        (date(2026, 6, 14), "half", "report", "2026-H1"),
        (date(2026, 6, 15), "half", "report", "2026-H2"),
        (date(2026, 3, 14), "month", "report", "2026-03"),
        (date(2026, 3, 15), "month", "report", "2026-04"),
        (date(2026, 3, 15), "month", "calendar", "2026-03"),
        (date(2026, 3, 15), "day", "report", "2026-03-15"),
    ],
)
def test_period_label(day, kind, cutoff, label):
    assert period_label(day, kind, cutoff) == label


@pytest.mark.parametrize("kind", ["month", "quarter", "half", "year"])
@pytest.mark.parametrize("cutoff", ["calendar", "report"])
def test_label_and_parse_are_inverse(kind, cutoff):
    day = date(2026, 5, 20)
    start, end = parse_period(period_label(day, kind, cutoff), cutoff)
    assert start <= day <= end


@pytest.mark.parametrize(
    "bad", ["2026-Q5", "2026-H3", "2026-13", "26-Q1", "2026Q1", "", "2026-02-30"]
)
def test_bad_period_string_is_rejected(bad):
    with pytest.raises(ValueError, match="^period:"):
        parse_period(bad, "report")


def test_bad_cutoff_is_rejected():
    with pytest.raises(ValueError, match="^cutoff:"):
        parse_period("2026-Q1", "fiscal")
