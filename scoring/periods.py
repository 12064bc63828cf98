"""Calendar and reporting periods (METHOD.md §5).

With the ``"report"`` cut-off (Nghị định 09/2019/NĐ-CP) a period ends on the 14th of its
last month and starts on the 15th of the month before its first month: Q1 2026 =
2025-12-15 … 2026-03-14, H1 2026 = 2025-12-15 … 2026-06-14, year 2026 = 2025-12-15 …
2026-12-14. Equivalently a day on or after the 15th belongs to the *next* calendar month.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

__all__ = ["Cutoff", "PeriodKind", "parse_period", "period_label"]

PeriodKind = Literal["day", "month", "quarter", "half", "year"]
_KINDS = ("day", "month", "quarter", "half", "year")
_CUTOFF_DAY = 15
_PATTERN = re.compile(
    r"(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|H(?P<half>[12])|(?P<month>\d{2})(?:-(?P<day>\d{2}))?))?"
)


class Cutoff(StrEnum):
    """``calendar``: periods of whole calendar months; ``report``: 15th–14th cut-offs."""

    CALENDAR = "calendar"
    REPORT = "report"


def parse_period(period: str, cutoff: Cutoff | str = Cutoff.CALENDAR) -> tuple[date, date]:
    """Inclusive ``(start, end)`` dates of a period label.

    Parameters
    ----------
    period : str
        ``"2026"``, ``"2026-H1"``, ``"2026-Q1"``, ``"2026-03"`` or a day ``"2026-03-05"``.
    cutoff : Cutoff or {"calendar", "report"}
        Calendar periods or government reporting periods (15th–14th). A day is itself
        under both.

    Returns
    -------
    (start, end) : tuple of datetime.date

    Raises
    ------
    ValueError
        If ``period`` or ``cutoff`` is not understood.

    Examples
    --------
    >>> parse_period("2026-Q1", "report")
    (datetime.date(2025, 12, 15), datetime.date(2026, 3, 14))
    >>> parse_period("2026-Q1")
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    >>> parse_period("2026-03", "report")
    (datetime.date(2026, 2, 15), datetime.date(2026, 3, 14))
    """
    mode = _validate_cutoff(cutoff)
    match = _PATTERN.fullmatch(period) if isinstance(period, str) else None
    if match is None:
        raise ValueError(
            "period: expected YYYY, YYYY-H1..H2, YYYY-Q1..Q4, YYYY-MM or YYYY-MM-DD, "
            f"got {period!r}"
        )
    year = int(match["year"])
    if match["day"] is not None:
        try:
            day = date(year, int(match["month"]), int(match["day"]))
        except ValueError as error:
            raise ValueError(f"period: {period!r} is not a valid date ({error})") from None
        return day, day
    if match["quarter"] is not None:
        first, months = 3 * int(match["quarter"]) - 2, 3
    elif match["half"] is not None:
        first, months = 6 * int(match["half"]) - 5, 6
    elif match["month"] is not None:
        first, months = int(match["month"]), 1
        if not 1 <= first <= 12:
            raise ValueError(f"period: month must be 01..12, got {period!r}")
    else:
        first, months = 1, 12
    if year < 2:
        raise ValueError(f"period: year out of range in {period!r}")
    last = first + months - 1
    if mode is Cutoff.CALENDAR:
        return date(year, first, 1), _next_month_start(year, last) - timedelta(days=1)
    start_year, start_month = (year - 1, 12) if first == 1 else (year, first - 1)
    return date(start_year, start_month, _CUTOFF_DAY), date(year, last, _CUTOFF_DAY - 1)


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


def _next_month_start(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def _validate_cutoff(cutoff: object) -> Cutoff:
    try:
        return Cutoff(str(cutoff))
    except ValueError:
        raise ValueError(f"cutoff: expected 'calendar' or 'report', got {cutoff!r}") from None
