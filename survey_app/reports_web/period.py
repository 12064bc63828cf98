"""The report form's fields → a report request, with a message in the user's language for bad
input. The period fields are the one period picker's (``templates/period/_picker.html``), read
by :class:`survey_app.services.analytics.periods.PeriodChoice`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from survey_app.services import analytics
from survey_app.services.clock import VN_TZ

FIELDS = ("loai", "nam", "thang", "quy", "nua", "tu", "den", "moc")


class FormError(ValueError):
    """Bad form input; the message is for the user."""


@dataclass
class ReportForm:
    """The form's values as typed (shown again when something is wrong)."""

    loai: str = "quy"
    nam: str = ""
    thang: str = "1"
    quy: str = "1"
    nua: str = "1"
    tu: str = ""
    den: str = ""
    moc: str = "lich"
    don_vi: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def default(cls, unit_code: str = "") -> ReportForm:
        """The quarter before the current one: the report an office files next."""
        today = datetime.now(VN_TZ).date()
        quarter = (today.month - 1) // 3 + 1
        year, quarter = (today.year - 1, 4) if quarter == 1 else (today.year, quarter - 1)
        return cls(nam=str(year), quy=str(quarter), don_vi=unit_code)

    @classmethod
    def from_form(cls, data: Any) -> ReportForm:
        choice = analytics.periods.PeriodChoice.from_data(data)
        values = {name: getattr(choice, name) for name in FIELDS}
        return cls(**values, don_vi=str(data.get("don_vi") or "").strip()[:40])

    def _choice(self) -> Any:
        return analytics.periods.PeriodChoice(**{name: getattr(self, name) for name in FIELDS})

    @property
    def cutoff(self) -> str:
        """``calendar`` or ``report`` (a ``ValueError`` with the user's message otherwise)."""
        return str(self._choice().cutoff)

    def period(self) -> str:
        """The engine's period label (``2026-Q1``, ``2026-9M``, ``2026-YTD``, ``A..B`` …)."""
        return str(self._choice().label())
