"""Calendar and reporting periods (METHOD.md §5).

With the ``"report"`` cut-off (Nghị định 09/2019/NĐ-CP) a period ends on the 14th of its
last month and starts on the 15th of the month before its first month: Q1 2026 =
2025-12-15 … 2026-03-14, H1 2026 = 2025-12-15 … 2026-06-14, year 2026 = 2025-12-15 …
2026-12-14. Equivalently a day on or after the 15th belongs to the *next* calendar month.

Two more labels serve the reporting calendar: ``2026-9M``, the first nine months (the annual
report is due on 25/11, before the cut-off year ends on 14/12), and ``2026-YTD``, the year up
to today (or, for an earlier year, up to the same day of that year, so that a year-to-date
figure compares with the same stretch of the year before).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "Cutoff",
    "PeriodKind",
    "check_day",
    "parse_period",
    "period_label",
    "previous_period",
]

#: The days sipas accepts in any parameter (pages, reports, commands), both included. Far
#: wider than any survey, and far enough from ``date.min``/``date.max`` that the period
#: before, the day after or a 30-day window around any of them is still a date.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)

PeriodKind = Literal["day", "month", "quarter", "half", "year"]
_KINDS = ("day", "month", "quarter", "half", "year")
_CUTOFF_DAY = 15
_PATTERN = re.compile(
    r"(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|H(?P<half>[12])|(?P<nine>9M)|(?P<ytd>YTD)"
    r"|(?P<month>\d{2})(?:-(?P<day>\d{2}))?))?"
)


class Cutoff(StrEnum):
    """``calendar``: periods of whole calendar months; ``report``: 15th–14th cut-offs."""

    CALENDAR = "calendar"
    REPORT = "report"


def parse_period(
    period: str, cutoff: Cutoff | str = Cutoff.CALENDAR, today: date | None = None
) -> tuple[date, date]:
    """Inclusive ``(start, end)`` dates of a period label.

    Parameters
    ----------
    period : str
        ``"2026"``, ``"2026-H1"``, ``"2026-Q1"``, ``"2026-03"``, a day ``"2026-03-05"``,
        nine months ``"2026-9M"`` (January–September, or 15/12–14/9 with the cut-off) or
        year to date ``"2026-YTD"``.
    cutoff : Cutoff or {"calendar", "report"}
        Calendar periods or government reporting periods (15th–14th). A day is itself
        under both.
    today : datetime.date, optional
        The local day a year-to-date period runs to; required for ``YTD`` only. The
        current year runs from its first day to ``today``; an earlier year to the same day
        of that year (29 February becomes the 28th); a later year is refused.

    Returns
    -------
    (start, end) : tuple of datetime.date

    Raises
    ------
    ValueError
        If ``period`` or ``cutoff`` is not understood, or the period reaches outside
        ``FIRST_DAY``–``LAST_DAY`` (:func:`check_day`).

    Examples
    --------
    >>> parse_period("2026-Q1", "report")
    (datetime.date(2025, 12, 15), datetime.date(2026, 3, 14))
    >>> parse_period("2026-Q1")
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    >>> parse_period("2026-03", "report")
    (datetime.date(2026, 2, 15), datetime.date(2026, 3, 14))
    >>> parse_period("2026-9M", "report")
    (datetime.date(2025, 12, 15), datetime.date(2026, 9, 14))
    >>> parse_period("2025-YTD", today=date(2026, 3, 5))
    (datetime.date(2025, 1, 1), datetime.date(2025, 3, 5))
    """
    mode = _validate_cutoff(cutoff)
    match = _PATTERN.fullmatch(period) if isinstance(period, str) else None
    if match is None:
        raise ValueError(
            "period: expected YYYY, YYYY-H1..H2, YYYY-Q1..Q4, YYYY-9M, YYYY-YTD, YYYY-MM or "
            f"YYYY-MM-DD, got {period!r}"
        )
    year = int(match["year"])
    if match["ytd"] is not None:
        return _year_to_date(year, mode, today, period)
    if match["day"] is not None:
        try:
            day = date(year, int(match["month"]), int(match["day"]))
        except ValueError as error:
            raise ValueError(f"period: {period!r} is not a valid date ({error})") from None
        return check_day(day, "period"), day
    if match["quarter"] is not None:
        first, months = 3 * int(match["quarter"]) - 2, 3
    elif match["half"] is not None:
        first, months = 6 * int(match["half"]) - 5, 6
    elif match["nine"] is not None:
        first, months = 1, 9
    elif match["month"] is not None:
        first, months = int(match["month"]), 1
        if not 1 <= first <= 12:
            raise ValueError(f"period: month must be 01..12, got {period!r}")
    else:
        first, months = 1, 12
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise ValueError(
            f"period: {period!r} is outside the days {FIRST_DAY.isoformat()} … "
            f"{LAST_DAY.isoformat()}"
        )
    last = first + months - 1
    if mode is Cutoff.CALENDAR:
        start, end = date(year, first, 1), _next_month_start(year, last) - timedelta(days=1)
    else:
        start_year, start_month = (year - 1, 12) if first == 1 else (year, first - 1)
        start, end = date(start_year, start_month, _CUTOFF_DAY), date(year, last, _CUTOFF_DAY - 1)
    return check_day(start, "period"), check_day(end, "period")


def check_day(day: date, name: str = "day") -> date:
    """``day`` itself when it lies within ``FIRST_DAY``–``LAST_DAY``.

    Raises
    ------
    ValueError
        Naming ``name`` and the accepted days, when it does not (e.g. 0001-01-01).

    Examples
    --------
    >>> check_day(date(2026, 3, 5))
    datetime.date(2026, 3, 5)
    >>> check_day(date(9999, 12, 31))
    Traceback (most recent call last):
    ...
    ValueError: day: 9999-12-31 is outside the days 1900-01-01 … 2999-12-31
    """
    if not isinstance(day, date):
        raise ValueError(f"{name}: expected a datetime.date, got {type(day).__name__}")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"{name}: {day.isoformat()} is outside the days "
            f"{FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()}"
        )
    return day


def period_label(day: date, kind: PeriodKind, cutoff: Cutoff | str = Cutoff.CALENDAR) -> str:
    """Label of the period of ``kind`` that contains ``day``.

    Parameters
    ----------
    day : datetime.date
        A local (Vietnam) date.
    kind : {"day", "month", "quarter", "half", "year"}
    cutoff : Cutoff or {"calendar", "report"}

    Returns
    -------
    str
        ``"2026-03-05"``, ``"2026-03"``, ``"2026-Q1"``, ``"2026-H1"`` or ``"2026"`` —
        the inverse of :func:`parse_period`.

    Examples
    --------
    >>> period_label(date(2025, 12, 20), "quarter", "report")
    '2026-Q1'
    >>> period_label(date(2025, 12, 20), "quarter")
    '2025-Q4'
    >>> period_label(date(2026, 3, 14), "month", "report")
    '2026-03'
    """
    mode = _validate_cutoff(cutoff)
    if not isinstance(day, date):
        raise ValueError(f"day: expected a datetime.date, got {type(day).__name__}")
    if kind not in _KINDS:
        raise ValueError(f"kind: expected one of {', '.join(_KINDS)}, got {kind!r}")
    if kind == "day":
        return day.isoformat()
    year, month = day.year, day.month
    if mode is Cutoff.REPORT and day.day >= _CUTOFF_DAY:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if kind == "month":
        return f"{year:04d}-{month:02d}"
    if kind == "quarter":
        return f"{year:04d}-Q{(month - 1) // 3 + 1}"
    if kind == "half":
        return f"{year:04d}-H{(month - 1) // 6 + 1}"
    return f"{year:04d}"


def previous_period(period: str) -> str:
    """The period of the same kind just before ``period`` (a label :func:`parse_period` reads).

    Examples
    --------
    >>> previous_period("2026-Q1"), previous_period("2026-H2"), previous_period("2026-01")
    ('2025-Q4', '2026-H1', '2025-12')
    >>> previous_period("2026-9M"), previous_period("2026-YTD"), previous_period("2026-03-01")
    ('2025-9M', '2025-YTD', '2026-02-28')
    """
    match = _PATTERN.fullmatch(period) if isinstance(period, str) else None
    if match is None or int(match["year"]) < 3:
        raise ValueError(f"period: not a period label: {period!r}")
    year = int(match["year"])
    if match["day"] is not None:
        day = date(year, int(match["month"]), int(match["day"]))
        return (day - timedelta(days=1)).isoformat()
    if match["quarter"] is not None:
        number = int(match["quarter"])
        return f"{year - 1:04d}-Q4" if number == 1 else f"{year:04d}-Q{number - 1}"
    if match["half"] is not None:
        return f"{year - 1:04d}-H2" if match["half"] == "1" else f"{year:04d}-H1"
    if match["month"] is not None:
        month = int(match["month"])
        return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"
    suffix = period[4:]
    return f"{year - 1:04d}{suffix}"


def _year_to_date(year: int, mode: Cutoff, today: date | None, period: str) -> tuple[date, date]:
    if not isinstance(today, date):
        raise ValueError(f"today: a year-to-date period ({period!r}) needs today's date")
    if year < 2:
        raise ValueError(f"period: year out of range in {period!r}")
    current = int(period_label(today, "year", mode))
    if year > current:
        raise ValueError(f"period: the year of {period!r} has not started on {today}")
    start = date(year, 1, 1) if mode is Cutoff.CALENDAR else date(year - 1, 12, _CUTOFF_DAY)
    end_year = today.year - (current - year)
    try:
        end = date(end_year, today.month, today.day)
    except ValueError:  # 29 February in a year that is not a leap year
        end = date(end_year, 2, 28)
    return start, end


def _next_month_start(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def _validate_cutoff(cutoff: object) -> Cutoff:
    try:
        return Cutoff(str(cutoff))
    except ValueError:
        raise ValueError(f"cutoff: expected 'calendar' or 'report', got {cutoff!r}") from None
