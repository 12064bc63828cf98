"""What a report covers: :class:`ReportSpec` (period, cut-off, unit, integrity) and the
Vietnamese labels of its period ("Quý I/2026 (từ 15/12/2025 đến 14/3/2026)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.periods import FIRST_DAY, LAST_DAY, parse_period

CUTOFFS = ("calendar", "report")
_CUSTOM = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
MAX_DAYS = 3 * 366  # a custom range longer than three years is almost surely a typo
TREND_PERIODS = 4  # the report's trend: this period and the three before it


@dataclass(frozen=True)
class ReportSpec:
    """A report request.

    ``period``: ``"2026-Q1"``, ``"2026-H1"``, ``"2026"``, a month ``"2026-03"`` or a custom
    range ``"2026-01-01..2026-03-31"`` (Vietnamese local days, inclusive); ``cutoff``:
    ``"calendar"`` or ``"report"`` (the 15th–14th periods of METHOD §5; ignored for a custom
    range); ``unit_code``: the root of the report (``None``: every unit the caller may see);
    ``integrity``: include the integrity rates (Q5, Q6) — inspector-scoped reports only.
    """

    period: str
    cutoff: str = "calendar"
    unit_code: str | None = None
    integrity: bool = False

    def validate(self) -> None:
        """Raise :class:`ValueError` with a Vietnamese message when the request is unusable."""
        if self.cutoff not in CUTOFFS:
            raise ValueError(
                "Mốc kỳ báo cáo phải là “calendar” (theo lịch) hoặc “report” "
                "(từ ngày 15 đến ngày 14)."
            )
        self.dates()
        period = self.period
        for _ in range(TREND_PERIODS - 1):  # the trend's periods must be days sipas knows
            try:
                period = previous_period(period)
                period_dates(period, self.cutoff)
            except ValueError:
                raise ValueError(_out_of_range(self.period)) from None
        if self.unit_code is not None and not (0 < len(self.unit_code) <= 40):
            raise ValueError("Mã đơn vị không hợp lệ.")

    @property
    def kind(self) -> str:
        """``year``, ``half``, ``quarter``, ``month`` or ``custom``."""
        text = self.period.strip()
        if _CUSTOM.fullmatch(text):
            return "custom"
        if re.fullmatch(r"\d{4}", text):
            return "year"
        if re.fullmatch(r"\d{4}-H[12]", text):
            return "half"
        if re.fullmatch(r"\d{4}-Q[1-4]", text):
            return "quarter"
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return "month"
        raise ValueError(_bad_period(self.period))

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
        return ReportSpec(previous_period(self.period), self.cutoff, self.unit_code, self.integrity)


def _bad_period(period: object) -> str:
    return (
        f"Kỳ báo cáo “{period}” không hợp lệ: dùng 2026-Q1 (quý), 2026-H1 (6 tháng), "
        "2026 (năm), 2026-03 (tháng) hoặc 2026-01-01..2026-03-31 (tùy chọn)."
    )


def _out_of_range(period: object) -> str:
    return (
        f"Kỳ báo cáo “{period}” nằm ngoài khoảng ngày sipas nhận: "
        f"{vn_date(FIRST_DAY)} – {vn_date(LAST_DAY)} (kể cả các kỳ trước dùng để so sánh)."
    )


def period_dates(period: str, cutoff: str = "calendar") -> tuple[date, date]:
    """Inclusive dates of a period label or a custom ``FROM..TO`` range."""
    if not isinstance(period, str):
        raise ValueError(_bad_period(period))
    text = period.strip()
    custom = _CUSTOM.fullmatch(text)
    if custom:
        try:
            start, end = (date.fromisoformat(custom[1]), date.fromisoformat(custom[2]))
        except ValueError:
            raise ValueError(f"Ngày không hợp lệ trong kỳ “{period}”.") from None
        if not (FIRST_DAY <= start <= LAST_DAY and FIRST_DAY <= end <= LAST_DAY):
            raise ValueError(_out_of_range(period))
        if start > end:
            raise ValueError(f"Kỳ “{period}”: ngày bắt đầu sau ngày kết thúc.")
        if (end - start).days >= MAX_DAYS:
            raise ValueError(f"Kỳ “{period}” dài quá ba năm.")
        return start, end
    if text != period or not re.fullmatch(r"\d{4}(-(Q[1-4]|H[12]|\d{2}))?", text):
        raise ValueError(_bad_period(period))
    if cutoff not in CUTOFFS:
        raise ValueError("Mốc kỳ báo cáo phải là “calendar” hoặc “report”.")
    if not FIRST_DAY.year <= int(text[:4]) <= LAST_DAY.year:
        raise ValueError(_out_of_range(period))
    try:
        return parse_period(text, cutoff)
    except ValueError:
        raise ValueError(_out_of_range(period)) from None


def previous_period(period: str) -> str:
    """``2026-Q1`` → ``2025-Q4``; a custom range → the range of the same length before it."""
    text = period.strip()
    custom = _CUSTOM.fullmatch(text)
    if custom:
        start, end = period_dates(text)
        length = end - start
        new_end = start - timedelta(days=1)
        return f"{(new_end - length).isoformat()}..{new_end.isoformat()}"
    year, _, rest = text.partition("-")
    y = int(year)
    if not rest:
        return str(y - 1)
    if rest[0] in "QH":
        number = int(rest[1:])
        if number == 1:
            return f"{y - 1}-{rest[0]}{4 if rest[0] == 'Q' else 2}"
        return f"{y}-{rest[0]}{number - 1}"
    month = int(rest)
    return f"{y - 1}-12" if month == 1 else f"{y}-{month - 1:02d}"


def vn_date(day: date) -> str:
    """15/12/2025, 14/3/2026 — day and month without leading zeros, as reports write them."""
    return f"{day.day}/{day.month}/{day.year}"


def short_label(period: str) -> str:
    """``Quý I/2026``, ``6 tháng đầu năm 2026``, ``Năm 2026``, ``Tháng 3/2026``; a custom
    range as its dates."""
    text = period.strip()
    custom = _CUSTOM.fullmatch(text)
    if custom:
        start, end = period_dates(text)
        return f"{vn_date(start)}–{vn_date(end)}"
    year, _, rest = text.partition("-")
    if not rest:
        return f"Năm {year}"
    if rest[0] == "Q":
        return f"Quý {_ROMAN[int(rest[1])]}/{year}"
    if rest[0] == "H":
        return f"6 tháng {'đầu' if rest[1] == '1' else 'cuối'} năm {year}"
    return f"Tháng {int(rest)}/{year}"
