"""Vietnamese working days: Monday to Friday, minus the public holidays kept as data.

The holidays ship in ``survey_app/data/holidays.json`` (2026, and 2027 provisional until the
Government's yearly notice); :func:`load` reads any file of that shape. Pure date arithmetic,
for complaint deadlines (issue 16, point 5): not yet used by the complaint workflow, and the
admin page that edits the holidays is not built yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "holidays.json"


@cache
def load(path: str = str(SHIPPED)) -> frozenset[date]:
    """The holidays of a file ``{"YYYY": ["YYYY-MM-DD", …], …}`` (keys starting with ``_``
    are comments); a bad date raises ``ValueError`` naming it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    days = set()
    for year, values in data.items():
        if year.startswith("_"):
            continue
        for value in values:
            day = date.fromisoformat(value)
            if str(day.year) != year:
                raise ValueError(f"{path}: {value} is listed under {year}")
            days.add(day)
    return frozenset(days)


def is_working_day(day: date, holidays: Iterable[date] | None = None) -> bool:
    off = load() if holidays is None else holidays
    return day.weekday() < 5 and day not in off


def add_working_days(start: date, n: int, holidays: Iterable[date] | None = None) -> date:
    """The ``n``-th working day after ``start`` (``n`` ≥ 0; 0: ``start`` itself if it is a
    working day, else the next one)."""
    off = frozenset(load() if holidays is None else holidays)
    day = start
    while not is_working_day(day, off):
        day += timedelta(days=1)
    for _ in range(n):
        day += timedelta(days=1)
        while not is_working_day(day, off):
            day += timedelta(days=1)
    return day


def working_days_between(first: date, last: date, holidays: Iterable[date] | None = None) -> int:
    """Working days after ``first`` up to and including ``last`` (0 when ``last`` ≤ ``first``)."""
    off = frozenset(load() if holidays is None else holidays)
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day, off)
    return count
