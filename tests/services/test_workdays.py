"""Working days across weekends and the shipped holidays (Tết 2027 included)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from survey_app.services import workdays


def test_the_shipped_years_are_2026_and_2027() -> None:
    days = workdays.load()
    assert {d.year for d in days} == {2026, 2027}
    assert all(d.weekday() < 5 for d in days)  # weekdays only: weekends are off anyway


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday → Monday
        (date(2026, 12, 5), 0, date(2026, 12, 7)),  # a Saturday: the next working day
        (date(2027, 2, 3), 1, date(2027, 2, 11)),  # across Tết 2027 (4–10 February)
        (date(2027, 2, 1), 5, date(2027, 2, 15)),  # 2, 3, 11, 12, 15 February
        (date(2026, 4, 29), 1, date(2026, 5, 4)),  # 30/4 and 1/5, then the weekend
        (date(2026, 4, 24), 1, date(2026, 4, 28)),  # Giỗ Tổ on a Sunday: Monday 27/4 off
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day, then the weekend
    ],
)
def test_add_working_days(start: date, n: int, due: date) -> None:
    assert workdays.add_working_days(start, n) == due


def test_working_days_between_counts_tet_out() -> None:
    assert workdays.working_days_between(date(2027, 2, 1), date(2027, 2, 12)) == 4  # 2, 3, 11, 12
    assert workdays.working_days_between(date(2027, 2, 12), date(2027, 2, 1)) == 0


def test_an_edited_holidays_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps({"_about": "x", "2028": ["2028-01-03"]}), encoding="utf-8")
    off = workdays.load(str(path))
    assert workdays.add_working_days(date(2027, 12, 31), 1, off) == date(2028, 1, 4)
    path.write_text(json.dumps({"2028": ["2029-01-01"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="listed under 2028"):
        workdays.load.__wrapped__(str(path))


# --- opening hours ---------------------------------------------------------------------------


def test_opening_hours_parse_and_print_the_setting_shape() -> None:
    hours = workdays.OpeningHours.parse("1-5 07:30-17:00")
    assert hours.days == frozenset({1, 2, 3, 4, 5})
    assert str(hours) == "1-5 07:30-17:00"
    assert str(workdays.OpeningHours.parse("1,3,6 08:00-11:30")) == "1,3,6 08:00-11:30"
    for bad in ("", "1-5", "8 07:00-08:00", "1-5 17:00-07:30", "thứ hai 7h"):
        with pytest.raises(ValueError):
            workdays.OpeningHours.parse(bad)


def test_open_only_inside_the_hours_on_working_days() -> None:
    hours = workdays.OpeningHours.parse("1-5 07:30-17:00")
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    assert hours.open_at(datetime(2026, 12, 3, 7, 30, tzinfo=vn))  # a Thursday
    assert not hours.open_at(datetime(2026, 12, 3, 7, 29, tzinfo=vn))
    assert not hours.open_at(datetime(2026, 12, 3, 17, 0, tzinfo=vn))
    assert not hours.open_at(datetime(2026, 12, 5, 9, 0, tzinfo=vn))  # Saturday
    # 02:00 UTC is 09:00 in Vietnam
    assert hours.open_at(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
    # Tết 2027: a Monday, closed whatever the hours say
    assert not hours.open_at(datetime(2027, 2, 8, 9, 0, tzinfo=vn))
    assert hours.open_at(datetime(2027, 2, 8, 9, 0, tzinfo=vn), holidays=())


def test_a_unit_has_its_own_hours_or_the_setting() -> None:
    class Unit:
        def __init__(self, hours: str | None) -> None:
            self.opening_hours = hours

    default = "1-5 07:30-17:00"
    assert str(workdays.unit_opening_hours(Unit("1-6 07:00-11:00"), default)) == "1-6 07:00-11:00"
    assert str(workdays.unit_opening_hours(Unit(None), default)) == default
    assert str(workdays.unit_opening_hours(Unit("hỏng"), default)) == default
    assert str(workdays.unit_opening_hours(None, default)) == default


# --- make-up days, deadlines and working hours (issue 16, point 5) -------------------------

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TET_2027 = workdays.Calendar(workdays.load())


def test_a_make_up_saturday_is_a_working_day() -> None:
    saturday = date(2027, 2, 13)
    with_make_up = workdays.Calendar(workdays.load(), frozenset({saturday}))
    assert not TET_2027.is_working_day(saturday)
    assert with_make_up.is_working_day(saturday)
    # Wednesday 3 February + 3 working days: 11, 12 and Monday 15 — or Saturday 13 if worked.
    assert TET_2027.add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 15)
    assert with_make_up.add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 13)
    assert workdays.working_days_between(date(2027, 2, 12), date(2027, 2, 15)) == 1
    assert (
        workdays.working_days_between(date(2027, 2, 12), date(2027, 2, 15), None, {saturday}) == 2
    )


@pytest.mark.parametrize(
    ("marked", "n", "due_local"),
    [
        # Monday 1 February 2027 + 5 working days: 2, 3, 11, 12, 15 → due at the end of the 15th.
        (datetime(2027, 2, 1, 9, 0, tzinfo=VN), 5, datetime(2027, 2, 16, 0, 0, tzinfo=VN)),
        # Marked on Saturday late at night: the day of marking never counts.
        (datetime(2026, 12, 5, 23, 30, tzinfo=VN), 1, datetime(2026, 12, 8, 0, 0, tzinfo=VN)),
        # 23:30 UTC on Friday is already Saturday in Vietnam.
        (datetime(2026, 12, 4, 17, 30, tzinfo=UTC), 1, datetime(2026, 12, 8, 0, 0, tzinfo=VN)),
    ],
)
def test_due_at_is_the_end_of_the_nth_working_day(
    marked: datetime, n: int, due_local: datetime
) -> None:
    assert TET_2027.due_at(marked, n) == due_local


def test_working_seconds_count_opening_hours_on_working_days_only() -> None:
    hours = workdays.OpeningHours.parse("1-5 07:30-17:00")  # 9.5 hours a day
    # Wednesday 3 February 2027, 15:00 → Thursday 11 February 10:00: 2 h on the 3rd, Tết and
    # the weekend count nothing, 2.5 h on the 11th.
    start = datetime(2027, 2, 3, 15, 0, tzinfo=VN)
    end = datetime(2027, 2, 11, 10, 0, tzinfo=VN)
    assert TET_2027.working_seconds(start, end, hours) == 4.5 * 3600
    # Friday 16:00 → Monday 09:00: 1 h + 1.5 h; with Saturday worked (make-up): + 9.5 h.
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=VN)
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=VN)
    assert TET_2027.working_seconds(friday, monday, hours) == 2.5 * 3600
    make_up = workdays.Calendar(workdays.load(), frozenset({date(2026, 12, 5)}))
    assert make_up.working_seconds(friday, monday, hours) == 12 * 3600
    assert TET_2027.working_seconds(monday, friday, hours) == 0
