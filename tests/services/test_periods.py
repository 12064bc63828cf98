"""Periods: every kind of the picker, calendar and reporting cut-off, year to date against a
frozen today, previous periods, labels, and what a bad value says."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from scoring import parse_period, previous_period
from survey_app.services.analytics import periods
from survey_app.services.analytics.periods import PeriodChoice, period_dates, short_label
from survey_app.services.errors import PeriodError
from survey_app.services.reports import ReportSpec

TODAY = date(2026, 12, 3)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(periods, "today_local", lambda: TODAY)
    return TODAY


# --- the label grammar (scoring.periods) ---------------------------------------------------


@pytest.mark.parametrize(
    ("label", "cutoff", "start", "end"),
    [
        ("2026-9M", "calendar", date(2026, 1, 1), date(2026, 9, 30)),
        ("2026-9M", "report", date(2025, 12, 15), date(2026, 9, 14)),
        ("2026-YTD", "calendar", date(2026, 1, 1), date(2026, 12, 3)),
        ("2026-YTD", "report", date(2025, 12, 15), date(2026, 12, 3)),
        ("2025-YTD", "calendar", date(2025, 1, 1), date(2025, 12, 3)),
        ("2025-YTD", "report", date(2024, 12, 15), date(2025, 12, 3)),
    ],
)
def test_nine_months_and_year_to_date(label: str, cutoff: str, start: date, end: date) -> None:
    assert parse_period(label, cutoff, TODAY) == (start, end)


def test_year_to_date_after_the_cut_off_year_ends() -> None:
    """On 20/12/2026 the reporting year 2027 has begun; 2026 is its same stretch a year before."""
    day = date(2026, 12, 20)
    assert parse_period("2027-YTD", "report", day) == (date(2026, 12, 15), day)
    assert parse_period("2026-YTD", "report", day) == (date(2025, 12, 15), date(2025, 12, 20))
    with pytest.raises(ValueError, match="has not started"):
        parse_period("2027-YTD", "calendar", day)


def test_year_to_date_on_29_february() -> None:
    assert parse_period("2023-YTD", "calendar", date(2024, 2, 29))[1] == date(2023, 2, 28)


@pytest.mark.parametrize("bad", ["2026-9m", "2026-8M", "2026-YTD1", "2026-ytd"])
def test_near_misses_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="period"):
        parse_period(bad, "calendar", TODAY)


def test_year_to_date_needs_today() -> None:
    with pytest.raises(ValueError, match="today"):
        parse_period("2026-YTD")


@pytest.mark.parametrize(
    ("label", "previous"),
    [
        ("2026-Q1", "2025-Q4"),
        ("2026-Q3", "2026-Q2"),
        ("2026-H1", "2025-H2"),
        ("2026-H2", "2026-H1"),
        ("2026-9M", "2025-9M"),
        ("2026", "2025"),
        ("2026-YTD", "2025-YTD"),
        ("2026-01", "2025-12"),
        ("2026-11", "2026-10"),
        ("2026-03-01", "2026-02-28"),
    ],
)
def test_previous_period_of_every_kind(label: str, previous: str) -> None:
    assert previous_period(label) == previous


# --- the service: dates with today's local day, labels --------------------------------------


def test_period_dates_ends_a_year_to_date_today(app: Flask, today: date) -> None:
    assert period_dates("2026-YTD", "report") == (date(2025, 12, 15), today)
    assert period_dates("2025-YTD") == (date(2025, 1, 1), date(2025, 12, 3))


def test_a_year_to_date_of_next_year_says_why(app: Flask, today: date) -> None:
    with pytest.raises(ValueError, match="chưa bắt đầu"):
        period_dates("2027-YTD")


@pytest.mark.parametrize(
    ("label", "cutoff", "text"),
    [
        ("2026-9M", "report", "9 tháng đầu năm 2026 (từ 15/12/2025 đến 14/9/2026)"),
        ("2026-9M", "calendar", "9 tháng đầu năm 2026 (từ 1/1/2026 đến 30/9/2026)"),
        ("2026-YTD", "calendar", "Từ đầu năm 2026 (từ 1/1/2026 đến 3/12/2026)"),
    ],
)
def test_report_labels_of_the_new_kinds(
    app: Flask, today: date, label: str, cutoff: str, text: str
) -> None:
    spec = ReportSpec(label, cutoff)
    spec.validate()
    assert spec.label() == text
    assert spec.previous().period == label.replace("2026", "2025")


def test_a_day_is_no_report_period(app: Flask) -> None:
    with pytest.raises(ValueError, match="Kỳ báo cáo"):
        ReportSpec("2026-03-05").validate()


def test_short_labels(app: Flask) -> None:
    assert short_label("2026-03") == "Tháng 3/2026"
    assert short_label("2026-9M") == "9 tháng đầu năm 2026"
    assert short_label("2026-YTD") == "Từ đầu năm 2026"


# --- the picker: every kind, both cut-offs, round trip, bad values --------------------------

KINDS = [
    ({"loai": "thang", "nam": "2026", "thang": "3"}, "2026-03"),
    ({"loai": "quy", "nam": "2026", "quy": "2"}, "2026-Q2"),
    ({"loai": "nua_nam", "nam": "2026", "nua": "2"}, "2026-H2"),
    ({"loai": "chin_thang", "nam": "2026"}, "2026-9M"),
    ({"loai": "nam", "nam": "2025"}, "2025"),
    ({"loai": "dau_nam", "nam": "2026"}, "2026-YTD"),
    ({"loai": "tuy_chon", "tu": "2026-02-01", "den": "2026-02-20"}, "2026-02-01..2026-02-20"),
]


@pytest.mark.parametrize(("fields", "label"), KINDS)
@pytest.mark.parametrize("moc", ["lich", "bao_cao"])
def test_every_kind_makes_its_label_and_back(
    app: Flask, today: date, fields: dict[str, str], label: str, moc: str
) -> None:
    choice = PeriodChoice.from_data({**fields, "moc": moc})
    assert choice.label() == label
    assert choice.cutoff == ("report" if moc == "bao_cao" else "calendar")
    again = PeriodChoice.from_label(label, moc)
    assert again.label() == label and again.moc == moc
    for name, value in fields.items():
        assert getattr(again, name) == value


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"loai": "tuan", "nam": "2026"}, "Hãy chọn loại kỳ"),
        ({"loai": "quy", "nam": "20x6"}, "Năm phải là một số từ 2000 đến 2100."),
        ({"loai": "quy", "nam": "1999"}, "Năm phải là một số từ 2000 đến 2100."),
        ({"loai": "thang", "nam": "2026", "thang": "13"}, "Tháng phải là một số từ 1 đến 12."),
        ({"loai": "quy", "nam": "2026", "quy": "5"}, "Quý phải là I, II, III hoặc IV."),
        ({"loai": "nua_nam", "nam": "2026", "nua": "3"}, "6 tháng đầu năm hoặc 6 tháng cuối"),
        ({"loai": "dau_nam", "nam": "2027"}, "Năm 2027 chưa bắt đầu"),
        ({"loai": "quy", "nam": "2026", "moc": "am_lich"}, "Hãy chọn mốc kỳ"),
        ({"loai": "tuy_chon", "tu": "2026-03-31", "den": "2026-01-01"}, "Ngày bắt đầu phải"),
        ({"loai": "tuy_chon", "tu": "31/03/2026", "den": "2026-04-01"}, "Từ ngày: hãy nhập"),
        ({"loai": "tuy_chon", "tu": "2020-01-01", "den": "2026-01-01"}, "dài quá ba năm"),
    ],
)
def test_bad_values_say_what_is_wrong(
    app: Flask, today: date, fields: dict[str, str], message: str
) -> None:
    choice = PeriodChoice.from_data(fields)
    with pytest.raises(PeriodError, match=message) as caught:
        choice.label()
    assert caught.value.choice is choice  # the page shows the values as typed


def test_an_unreadable_label_is_not_echoed(app: Flask) -> None:
    choice = PeriodChoice.from_label("<b>quy-3</b>")
    assert "quy-3" not in repr(choice)
