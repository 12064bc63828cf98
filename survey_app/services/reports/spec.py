"""What a report covers: :class:`ReportSpec` (period, cut-off, unit, integrity) and the
Vietnamese labels of its period ("Quý I/2026 (từ 15/12/2025 đến 14/3/2026)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from survey_app.services.analytics.periods import (
    CUSTOM,
    bad_period,
    out_of_range,
    period_dates,
    previous_period,
    short_label,
    vn_date,
)

__all__ = ["CUTOFFS", "ReportSpec", "period_dates", "previous_period", "short_label", "vn_date"]

CUTOFFS = ("calendar", "report")
RESPONSES = ("all", "verified", "open")  # ReportSpec.responses (issue 13)
TREND_PERIODS = 4  # the report's trend: this period and the three before it


@dataclass(frozen=True)
class ReportSpec:
    """A report request.

    ``period``: ``"2026-Q1"``, ``"2026-H1"``, ``"2026-9M"``, ``"2026"``, ``"2026-YTD"``, a
    month ``"2026-03"`` or a custom range ``"2026-01-01..2026-03-31"`` (Vietnamese local
    days, inclusive); ``cutoff``: ``"calendar"`` or ``"report"`` (the 15th–14th periods of
    METHOD §5; ignored for a custom range); ``unit_code``: the root of the report (``None``:
    every unit the caller may see);
    ``integrity``: include the integrity rates (Q5, Q6) — inspector-scoped reports only;
    ``responses``: ``"all"``, ``"verified"`` (made through a dossier's invitation) or
    ``"open"`` (QR card, kiosk, API, file) — which responses every figure counts (issue 13).
    """

    period: str
    cutoff: str = "calendar"
    unit_code: str | None = None
    integrity: bool = False
    responses: str = "all"

    def validate(self) -> None:
        """Raise :class:`ValueError` with a Vietnamese message when the request is unusable."""
        if self.cutoff not in CUTOFFS:
            raise ValueError(
                "Mốc kỳ báo cáo phải là “calendar” (theo lịch) hoặc “report” "
                "(từ ngày 15 đến ngày 14)."
            )
        self.kind  # noqa: B018 — a day label has no report kind
        self.dates()
        period = self.period
        for _ in range(TREND_PERIODS - 1):  # the trend's periods must be days sipas knows
            try:
                period = previous_period(period)
                period_dates(period, self.cutoff)
            except ValueError:
                raise ValueError(out_of_range(self.period)) from None
        if self.responses not in RESPONSES:
            raise ValueError("Loại phiếu phải là “all” (tất cả), “verified” hoặc “open”.")
        if self.unit_code is not None and not (0 < len(self.unit_code) <= 40):
            raise ValueError("Mã đơn vị không hợp lệ.")

    @property
    def kind(self) -> str:
        """``year``, ``half``, ``nine_months``, ``year_to_date``, ``quarter``, ``month`` or
        ``custom``."""
        text = self.period.strip()
        if CUSTOM.fullmatch(text):
            return "custom"
        if re.fullmatch(r"\d{4}", text):
            return "year"
        if re.fullmatch(r"\d{4}-9M", text):
            return "nine_months"
        if re.fullmatch(r"\d{4}-YTD", text):
            return "year_to_date"
        if re.fullmatch(r"\d{4}-H[12]", text):
            return "half"
        if re.fullmatch(r"\d{4}-Q[1-4]", text):
            return "quarter"
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return "month"
        raise ValueError(bad_period(self.period))

    def dates(self) -> tuple[date, date]:
        """First and last local day, inclusive."""
        return period_dates(self.period, self.cutoff)

    def label(self) -> str:
        """The period as a Vietnamese report names it, with its dates."""
        start, end = self.dates()
        span = f"từ {vn_date(start)} đến {vn_date(end)}"
        kind = self.kind
        if kind == "custom":
            return span[0].upper() + span[1:]
        name = short_label(self.period)
        return f"{name} ({span})"

    def previous(self) -> ReportSpec:
        """The period of the same kind just before this one."""
        return ReportSpec(
            previous_period(self.period),
            self.cutoff,
            self.unit_code,
            self.integrity,
            self.responses,
        )
