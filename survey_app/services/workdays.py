"""Vietnamese working days: Monday to Friday, minus the public holidays kept as data.

The holidays ship in ``survey_app/data/holidays.json`` (2026, and 2027 provisional until the
Government's yearly notice); :func:`load` reads any file of that shape. Pure date arithmetic
for complaint deadlines (issue 16, point 5) — in the application the days come from the
``holidays`` table the admin edits (``services.org.holidays.calendar()``), with make-up
working days (``lam_bu``); this module's functions take them as arguments — and the units'
opening hours: a unit's own
(``units.opening_hours``) or the setting ``KIOSK_OPENING_HOURS``, on working days only
(silent tablets, submissions outside opening hours).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Protocol

from survey_app.config import parse_opening_hours
from survey_app.services.clock import VN_TZ

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


def is_working_day(
    day: date, holidays: Iterable[date] | None = None, make_up: Iterable[date] = ()
) -> bool:
    """Monday to Friday and not a holiday — or a make-up working day (``lam_bu``: a Saturday
    worked in exchange for a bridge day), whatever its weekday."""
    off = load() if holidays is None else holidays
    return day in make_up or (day.weekday() < 5 and day not in off)


def add_working_days(
    start: date, n: int, holidays: Iterable[date] | None = None, make_up: Iterable[date] = ()
) -> date:
    """The ``n``-th working day after ``start`` (``n`` ≥ 0; 0: ``start`` itself if it is a
    working day, else the next one)."""
    off = frozenset(load() if holidays is None else holidays)
    extra = frozenset(make_up)
    day = start
    while not is_working_day(day, off, extra):
        day += timedelta(days=1)
    for _ in range(n):
        day += timedelta(days=1)
        while not is_working_day(day, off, extra):
            day += timedelta(days=1)
    return day


def working_days_between(
    first: date, last: date, holidays: Iterable[date] | None = None, make_up: Iterable[date] = ()
) -> int:
    """Working days after ``first`` up to and including ``last`` (0 when ``last`` ≤ ``first``)."""
    off = frozenset(load() if holidays is None else holidays)
    extra = frozenset(make_up)
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day, off, extra)
    return count


@dataclass(frozen=True)
class Calendar:
    """Days off and make-up working days (the ``holidays`` table, or the shipped file)."""

    off: frozenset[date]
    make_up: frozenset[date] = frozenset()

    @classmethod
    def shipped(cls) -> Calendar:
        return cls(load())

    def is_working_day(self, day: date) -> bool:
        return is_working_day(day, self.off, self.make_up)

    def add_working_days(self, start: date, n: int) -> date:
        return add_working_days(start, n, self.off, self.make_up)

    def due_at(self, start: datetime, n: int) -> datetime:
        """The deadline of something received at ``start`` (aware) with ``n`` working days
        (``n`` ≥ 1): midnight, Vietnam time, at the end of the ``n``-th working day after
        the local day of ``start`` — the day of receipt itself does not count."""
        local = start.astimezone(VN_TZ).date()
        day = local
        for _ in range(n):
            day += timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=VN_TZ)

    def working_seconds(self, start: datetime, end: datetime, hours: OpeningHours) -> float:
        """Seconds of ``[start, end)`` (aware) inside ``hours`` on working days: the unit's
        opening hours on its open weekdays and on make-up days, never on a day off."""
        if end <= start:
            return 0.0
        first = start.astimezone(VN_TZ).date()
        last = end.astimezone(VN_TZ).date()
        total = 0.0
        day = first
        while day <= last:
            open_day = day in self.make_up or (
                day.isoweekday() in hours.days and day not in self.off
            )
            if open_day:
                a = datetime.combine(day, hours.start, tzinfo=VN_TZ)
                b = datetime.combine(day, hours.end, tzinfo=VN_TZ)
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total


# --- opening hours ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningHours:
    """When a unit is open, Vietnam time: these ISO weekdays (1 = Monday), from ``start`` to
    ``end``, on working days only (a public holiday is closed whatever its weekday)."""

    days: frozenset[int]
    start: time
    end: time
    # The calendar these hours are read against (``None``: the shipped holidays file); the
    # app binds the admin's holidays table with :meth:`on` (``org.holidays``).
    off: frozenset[date] | None = None
    make_up: frozenset[date] = frozenset()

    def on(self, off: Iterable[date], make_up: Iterable[date] = ()) -> OpeningHours:
        """These hours read against this calendar (days off, make-up working days)."""
        return replace(self, off=frozenset(off), make_up=frozenset(make_up))

    @classmethod
    def parse(cls, text: str) -> OpeningHours:
        """``"1-5 07:30-17:00"`` → Monday to Friday, 07:30–17:00; ``ValueError`` otherwise."""
        days, start, end = parse_opening_hours(text)
        return cls(frozenset(days), start, end)

    def __str__(self) -> str:
        days = sorted(self.days)
        if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
            part = f"{days[0]}-{days[-1]}"
        else:
            part = ",".join(str(d) for d in days)
        return f"{part} {self.start:%H:%M}-{self.end:%H:%M}"

    def open_at(
        self, moment: datetime, holidays: Iterable[date] | None = None, make_up: Iterable[date] = ()
    ) -> bool:
        """Whether ``moment`` (aware) falls inside these hours on a day that is not a holiday
        (or on a make-up working day, whatever its weekday)."""
        local = moment.astimezone(VN_TZ)
        if holidays is None:
            off: Iterable[date] = load() if self.off is None else self.off
            make_up = make_up or self.make_up
        else:
            off = holidays
        day_open = local.date() in make_up or (
            local.isoweekday() in self.days and local.date() not in off
        )
        return day_open and self.start <= local.time() < self.end


class _HasHours(Protocol):
    opening_hours: str | None


def unit_opening_hours(unit: _HasHours | None, default: str) -> OpeningHours:
    """A unit's own opening hours, else ``default`` (the setting ``KIOSK_OPENING_HOURS``).
    A unit value that no longer parses falls back to the default (it is checked when saved)."""
    own = getattr(unit, "opening_hours", None) if unit is not None else None
    if own:
        try:
            return OpeningHours.parse(own)
        except ValueError:
            pass
    return OpeningHours.parse(default)
