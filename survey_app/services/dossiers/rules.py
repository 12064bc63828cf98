"""What a dossier code looks like and when a dossier is late, early or on time.

Pure functions over plain values (no database): the ingest checks codes with
:func:`code_problem`, and coverage, the 766 measures and the reports classify with
:func:`timing`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Literal

from survey_app.services.clock import local_day

Timing = Literal["late", "early", "on_time"]


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def code_matches(code: str, pattern: str) -> bool:
    """Whether ``code`` has the shape the setting ``SIPAS_DOSSIER_CODE_PATTERN`` asks for."""
    return _compiled(pattern).fullmatch(code) is not None


def normalise_code(raw: str) -> str:
    """A dossier code as stored: surrounding spaces removed, letters in upper case (codes
    are typed from receipts and keypads; ``h15.50.05.13-261008-0975`` is the same dossier)."""
    return raw.strip().upper()


def timing(due: date, returned_at: datetime | None, today: date) -> Timing:
    """A dossier's timing, by Vietnamese local days (issue 13).

    **late**: returned on a day after its due date, or still open after it;
    **early**: returned on a day before its due date; otherwise **on time** (returned on the
    due day, or open and not yet past it).
    """
    if returned_at is None:
        return "late" if today > due else "on_time"
    day = local_day(returned_at)
    if day > due:
        return "late"
    if day < due:
        return "early"
    return "on_time"


# --- fast forms for the ingest (a million rows: no zoneinfo, no strftime) -----------------

VN_FIXED = timezone(timedelta(hours=7))  # Vietnam: UTC+7 all year since 1975 (years ≥ 2000 here)


_EPOCH = date(1970, 1, 1).toordinal()
_DAY_SECONDS = 86_400
_VN_SECONDS = 7 * 3600


def utc_text(moment: datetime) -> str:
    """An aware moment as stored: naive UTC text with microseconds, as SQLAlchemy writes it
    on SQLite (built from ``isoformat()``: the fastest of datetime's formatters)."""
    iso = moment.astimezone(UTC).isoformat()  # 2026-10-08T01:30:00[.123456]+00:00
    if iso[19] == ".":
        return iso[:10] + " " + iso[11:26]
    return iso[:10] + " " + iso[11:19] + ".000000"


def local_ordinal(moment: datetime) -> int:
    """The ordinal of the Vietnamese day of an aware moment."""
    return int((moment.timestamp() + _VN_SECONDS) // _DAY_SECONDS) + _EPOCH
