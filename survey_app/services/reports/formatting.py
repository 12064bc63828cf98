"""The report's figures as printed, through the one formatter (``services/formatting.py``) in
Vietnamese whatever the reader's language (the report is a Vietnamese document): decimal
comma, thousands dot, one decimal for indices, rates and changes."""

from __future__ import annotations

from datetime import date, datetime

from survey_app.services import formatting
from survey_app.services.formatting import DASH, INDEX_DIGITS

__all__ = ["DASH", "REPORT_LOCALE", "day", "moment", "number"]

REPORT_LOCALE = "vi"


def number(value: float | None, decimals: int = INDEX_DIGITS, signed: bool = False) -> str:
    """``number(90.88)`` → "90,9"; ``number(1234, 0)`` → "1.234"; ``signed=True`` → "+1,2"."""
    if signed:
        return formatting.signed(value, decimals, REPORT_LOCALE)
    return formatting.decimal(value, decimals, REPORT_LOCALE)


def moment(dt: datetime) -> str:
    """A moment in Vietnam time, as the report prints it: "15/03/2026 09:05"."""
    return formatting.moment(dt, REPORT_LOCALE)


def day(d: date | datetime) -> str:
    """A calendar day (a moment taken to Vietnam time first): "15/03/2026"."""
    return formatting.day(d, REPORT_LOCALE)
