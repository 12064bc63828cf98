"""Numbers and dates as people read them: one formatter for every page, file and report.

Everything goes through Babel with an explicit locale: ``vi`` writes "90,9" and "1.234",
``en`` writes "90.9" and "1,234". Without a ``locale`` argument the current Flask-Babel
locale is used (the reader's language in a request, the default language in a CLI command or
a report job), and "vi" outside any application.

- :func:`percent` — an index or a rate on the 0–100 scale, one decimal ("90,9"); no "%" sign,
  the column or label says "%".
- :func:`signed` — a change in percentage points, always with its sign ("+1,2", "-0,4").
- :func:`number` — a count, with thousands separators ("1.234").
- :func:`decimal` — any other figure with a fixed number of decimals (hours, ...).
- :func:`moment` / :func:`day` — a time or a date in Vietnam time ("15/03/2026 09:05");
  no "UTC" is ever shown; :func:`short_day` — a day and month ("15/03"), the first day
  of a range whose last day gives the year.
- :func:`spreadsheet_text` / :func:`spreadsheet_value` — a text cell of a CSV file that a
  spreadsheet may open, never a formula there (and back, losslessly, when the file is read).

Rounding is half away from zero on the number's exact value, the rule of
``Intl.NumberFormat`` in the browser (``static/*.js``) and of Excel's number formats, so a
figure rounds the same way everywhere. ``None`` (no data) and a value that is not finite read
as :data:`DASH`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask_babel import get_locale

from survey_app.services.clock import VN_TZ

__all__ = [
    "DASH",
    "INDEX_DIGITS",
    "clock_time",
    "current_locale",
    "day",
    "decimal",
    "moment",
    "number",
    "percent",
    "short_day",
    "signed",
    "spreadsheet_text",
    "spreadsheet_value",
]

DASH = "–"
INDEX_DIGITS = 1  # indices, rates and changes: one decimal everywhere
DATE_PATTERN = "dd/MM/yyyy"  # Vietnamese documents' order, kept in English too (no 3/4 vs 4/3)
TIME_PATTERN = "HH:mm"
# A spreadsheet runs a cell that begins with one of these as a formula (tab and carriage
# return: what some spreadsheets skip before one); any apostrophes before it are escaped too,
# so that the rule can be undone without loss.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def spreadsheet_text(value: str) -> str:
    """A text cell for a CSV file that Excel or LibreOffice may open: a text that begins with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — after any apostrophes — gets one
    more apostrophe in front, so that it is never run as a formula; any other text is kept.

    >>> spreadsheet_text("=1+1"), spreadsheet_text("'=1+1"), spreadsheet_text("'tốt")
    ("'=1+1", "''=1+1", "'tốt")

    :func:`spreadsheet_value` undoes it exactly (every CSV reader of sipas calls it), so a file
    written with it reads back as the texts that were written."""
    return "'" + value if _FORMULA_START.match(value) else value


def spreadsheet_value(cell: str) -> str:
    """The text :func:`spreadsheet_text` was given: one leading apostrophe removed when what
    follows it is a text that function escapes; any other cell as it is."""
    return cell[1:] if cell.startswith("'") and _FORMULA_START.match(cell, 1) else cell


def current_locale(locale: str | None = None) -> str:
    """``locale`` if given, else the Flask-Babel locale of the current context, else "vi"."""
    if locale:
        return locale
    try:
        current = get_locale()
    except RuntimeError:  # pragma: no cover - defensive: no application at all
        current = None
    return str(current) if current is not None else "vi"


def _rounded(value: float | int | Decimal, digits: int) -> Decimal:
    exact = value if isinstance(value, Decimal) else Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)  # never "-0,0"


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


@lru_cache(maxsize=65536)
def _formatted(rounded: Decimal, digits: int, locale: str) -> str:
    """Babel's formatting of an already rounded figure, kept: a page of a thousand units
    formats some twenty thousand figures, most of them seen before (issue 14's overview)."""
    return format_decimal(rounded, _pattern(digits), locale=locale)


def decimal(value: float | int | Decimal | None, digits: int = 1, locale: str | None = None) -> str:
    """A figure with exactly ``digits`` decimals: ``decimal(2.25, 1)`` → "2,3" (vi)."""
    if value is None or not math.isfinite(value):
        return DASH
    return _formatted(_rounded(value, digits), digits, current_locale(locale))


def percent(
    value: float | int | Decimal | None, digits: int = INDEX_DIGITS, locale: str | None = None
) -> str:
    """An index or a rate, already on the 0–100 scale: ``percent(90.88)`` → "90,9" (vi),
    "90.9" (en)."""
    return decimal(value, digits, locale)


def signed(
    change: float | int | Decimal | None, digits: int = INDEX_DIGITS, locale: str | None = None
) -> str:
    """A change with its sign: ``signed(1.23)`` → "+1,2"; ``signed(-0.4)`` → "-0,4"."""
    if change is None or not math.isfinite(change):
        return DASH
    rounded = _rounded(change, digits)
    text = _formatted(abs(rounded), digits, current_locale(locale))
    return ("-" if rounded < 0 else "+") + text


def number(n: int | float | None, locale: str | None = None) -> str:
    """A count with thousands separators: 1234 → "1.234" (vi), "1,234" (en)."""
    return decimal(n, 0, locale)


def moment(dt: datetime | None, locale: str | None = None, seconds: bool = False) -> str:
    """A stored (aware, UTC) moment in Vietnam time: "15/03/2026 09:05"."""
    if dt is None:
        return DASH
    pattern = f"{DATE_PATTERN} {TIME_PATTERN}" + (":ss" if seconds else "")
    return format_datetime(dt, pattern, tzinfo=VN_TZ, locale=current_locale(locale))


def clock_time(dt: datetime | None, locale: str | None = None) -> str:
    """Only the time of day of a moment, in Vietnam time: "09:05"."""
    if dt is None:
        return DASH
    return format_datetime(dt, TIME_PATTERN, tzinfo=VN_TZ, locale=current_locale(locale))


def day(d: date | datetime | None, locale: str | None = None) -> str:
    """A calendar day: "15/03/2026" (a moment is first taken to Vietnam time)."""
    if d is None:
        return DASH
    if isinstance(d, datetime):
        d = d.astimezone(VN_TZ).date()
    return format_date(d, DATE_PATTERN, locale=current_locale(locale))


def short_day(d: date | datetime | None, locale: str | None = None) -> str:
    """A day and month, without the year: "15/03" (a moment is first taken to Vietnam time)."""
    if d is None:
        return DASH
    if isinstance(d, datetime):
        d = d.astimezone(VN_TZ).date()
    return format_date(d, "dd/MM", locale=current_locale(locale))


# --- comments shown to staff ----------------------------------------------------------------
# Personal data a citizen may type into a comment: phone numbers, identity numbers (CMND 9
# digits, CCCD 12 digits) and e-mail addresses. Every page that shows comments to staff, and
# the reports, hide them with this one function (the exported response file keeps the text).
PERSONAL_DATA = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|(?:\+?\d[\s.-]?){8,}\d")
MASKED = "[đã che]"


def masked(text: str | None) -> str:
    """``text`` with its runs of white space made single and its phone and identity numbers
    and e-mail addresses replaced by :data:`MASKED` ("Gọi 0912 345 678" → "Gọi [đã che]");
    ``None`` → ""."""
    return PERSONAL_DATA.sub(MASKED, " ".join((text or "").split()))
