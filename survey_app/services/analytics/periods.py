"""Periods as people pick them and as the pages, reports and commands read them.

A period travels as a **label** (the ``--period`` syntax of ``sipas score`` and ``sipas
report``, the ``ky`` parameter of the office and inspector links): ``2026-03`` (month),
``2026-Q1`` (quarter), ``2026-H1`` (6 months), ``2026-9M`` (9 months), ``2026`` (year),
``2026-YTD`` (year to date), ``2026-03-05`` (a day) or ``2026-01-01..2026-03-31`` (a custom
range), with a cut-off: ``calendar`` or ``report`` (the 15th–14th periods of Nghị định
09/2019, docs/method.md §6). :func:`period_dates` turns a label into its days (today's local
day ends a year to date), :func:`previous_period` names the comparison period.

On a page a period is **picked**, not typed: :class:`PeriodChoice` holds the picker's fields
(kind, month / quarter / half, year, two dates, cut-off) as typed, makes the label, and says
what is wrong in the user's language (:class:`~survey_app.services.errors.PeriodError`), so
the page can come back with the form and the message. The one picker template is
``templates/period/_picker.html``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _

from scoring import FIRST_DAY, LAST_DAY, Cutoff, parse_period, period_label
from scoring import previous_period as previous_label
from survey_app.services.clock import today_local
from survey_app.services.errors import PeriodError

# Picker kinds (form values) in the order the picker lists them.
KINDS = ("thang", "quy", "nua_nam", "chin_thang", "nam", "dau_nam", "tuy_chon")
CUTOFFS = {"lich": Cutoff.CALENDAR, "bao_cao": Cutoff.REPORT}
MOC_OF = {"calendar": "lich", "report": "bao_cao"}
MAX_DAYS = 3 * 366  # a custom range longer than three years is almost surely a typo
CUSTOM = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_LABEL = re.compile(r"(\d{4})(?:-(Q[1-4]|H[12]|9M|YTD|\d{2}(?:-\d{2})?))?")


def bad_period(period: object) -> str:
    """The message of an unreadable label (commands and reports print it)."""
    return _(
        "Kỳ báo cáo “%(period)s” không hợp lệ: dùng 2026-03 (tháng), 2026-Q1 (quý), "
        "2026-H1 (6 tháng), 2026-9M (9 tháng), 2026 (năm), 2026-YTD (từ đầu năm đến nay) hoặc "
        "2026-01-01..2026-03-31 (tùy chọn).",
        period=str(period),
    )


def period_dates(period: str, cutoff: str = "calendar") -> tuple[date, date]:
    """Inclusive local days of a label or a custom ``FROM..TO`` range; ``ValueError`` with a
    Vietnamese message when it cannot be used. A custom range ignores the cut-off."""
    if not isinstance(period, str):
        raise ValueError(bad_period(period))
    text = period.strip()
    custom = CUSTOM.fullmatch(text)
    if custom:
        try:
            start, end = (date.fromisoformat(custom[1]), date.fromisoformat(custom[2]))
        except ValueError:
            raise ValueError(_("Ngày không hợp lệ trong kỳ “%(period)s”.", period=period)) from None
        if not (FIRST_DAY <= start <= LAST_DAY and FIRST_DAY <= end <= LAST_DAY):
            raise ValueError(out_of_range(period))
        if start > end:
            raise ValueError(_("Kỳ “%(period)s”: ngày bắt đầu sau ngày kết thúc.", period=period))
        if (end - start).days >= MAX_DAYS:
            raise ValueError(_("Kỳ “%(period)s” dài quá ba năm.", period=period))
        return start, end
    if text != period or not _LABEL.fullmatch(text):
        raise ValueError(bad_period(period))
    if cutoff not in MOC_OF:
        raise ValueError(_("Mốc kỳ báo cáo phải là “calendar” hoặc “report”."))
    today = today_local()
    if text.endswith("-YTD") and int(text[:4]) > int(period_label(today, "year", cutoff)):
        raise ValueError(_("Kỳ “%(period)s”: năm này chưa bắt đầu.", period=period))
    if not FIRST_DAY.year <= int(text[:4]) <= LAST_DAY.year:
        raise ValueError(out_of_range(period))
    try:
        return parse_period(text, cutoff, today)
    except ValueError:
        raise ValueError(out_of_range(period)) from None


def out_of_range(period: object) -> str:
    """The message for a period outside the days sipas accepts (``scoring.check_day``)."""
    return _(
        "Kỳ “%(period)s” nằm ngoài khoảng ngày sipas nhận: %(first)s – %(last)s (kể cả các kỳ "
        "trước dùng để so sánh).",
        period=period,
        first=vn_date(FIRST_DAY),
        last=vn_date(LAST_DAY),
    )


def previous_period(period: str) -> str:
    """The period of the same kind just before: ``2026-Q1`` → ``2025-Q4``, ``2026-9M`` →
    ``2025-9M``, ``2026-YTD`` → ``2025-YTD`` (the same stretch of the year before), a custom
    range → the range of the same length just before it."""
    text = period.strip()
    if CUSTOM.fullmatch(text):
        start, end = period_dates(text)
        new_end = start - timedelta(days=1)
        return f"{(new_end - (end - start)).isoformat()}..{new_end.isoformat()}"
    return previous_label(text)


def vn_date(day: date) -> str:
    """15/12/2025, 14/3/2026 — day and month without leading zeros, as reports write them."""
    return f"{day.day}/{day.month}/{day.year}"


def short_label(period: str) -> str:
    """``Quý I/2026``, ``6 tháng đầu năm 2026``, ``9 tháng đầu năm 2026``, ``Năm 2026``,
    ``Từ đầu năm 2026``, ``Tháng 3/2026``; a custom range as its dates."""
    text = period.strip()
    if CUSTOM.fullmatch(text):
        start, end = period_dates(text)
        return f"{vn_date(start)}–{vn_date(end)}"
    year, _sep, rest = text.partition("-")
    if not rest:
        return f"Năm {year}"
    if rest == "9M":
        return f"9 tháng đầu năm {year}"
    if rest == "YTD":
        return f"Từ đầu năm {year}"
    if rest[0] == "Q":
        return f"Quý {_ROMAN[int(rest[1])]}/{year}"
    if rest[0] == "H":
        return f"6 tháng {'đầu' if rest[1] == '1' else 'cuối'} năm {year}"
    if len(rest) > 2:
        return vn_date(date.fromisoformat(text))
    return f"Tháng {int(rest)}/{year}"


@dataclass
class PeriodChoice:
    """The picker's fields as typed (shown again when something is wrong).

    ``loai`` is the kind (:data:`KINDS`); ``nam`` the year; ``thang`` (1–12), ``quy`` (1–4)
    and ``nua`` (1–2) the number for a month, quarter or half; ``tu`` and ``den`` the days
    of a custom range; ``moc`` the cut-off (``lich`` or ``bao_cao``).
    """

    loai: str = "quy"
    nam: str = ""
    thang: str = "1"
    quy: str = "1"
    nua: str = "1"
    tu: str = ""
    den: str = ""
    moc: str = "lich"

    FIELDS = ("loai", "nam", "thang", "quy", "nua", "tu", "den", "moc")

    @classmethod
    def picked(cls, data: Any) -> bool:
        """Whether ``data`` (request args or form) holds picker fields rather than a label."""
        return bool(data.get("loai"))

    @classmethod
    def from_data(cls, data: Any) -> PeriodChoice:
        """The picker's fields from request args or a posted form (trimmed, at most 40
        characters each)."""
        values = {name: str(data.get(name) or "").strip()[:40] for name in cls.FIELDS}
        defaults = cls()
        return cls(**{k: v or getattr(defaults, k) for k, v in values.items()})

    @classmethod
    def from_label(cls, label: str, moc: str = "lich") -> PeriodChoice:
        """The picker showing ``label`` (an unreadable label shows the picker's defaults,
        never the text as typed)."""
        text = label.strip()
        custom = CUSTOM.fullmatch(text)
        if custom:
            return cls(loai="tuy_chon", tu=custom[1], den=custom[2], moc=moc)
        match = _LABEL.fullmatch(text)
        if match is None:
            return cls(moc=moc)
        year, rest = match[1], match[2] or ""
        if not rest:
            return cls(loai="nam", nam=year, moc=moc)
        if rest == "9M":
            return cls(loai="chin_thang", nam=year, moc=moc)
        if rest == "YTD":
            return cls(loai="dau_nam", nam=year, moc=moc)
        if rest[0] == "Q":
            return cls(loai="quy", nam=year, quy=rest[1], moc=moc)
        if rest[0] == "H":
            return cls(loai="nua_nam", nam=year, nua=rest[1], moc=moc)
        if len(rest) > 2:
            return cls(loai="tuy_chon", tu=text, den=text, moc=moc)
        return cls(loai="thang", nam=year, thang=str(int(rest)), moc=moc)

    @property
    def cutoff(self) -> str:
        """``calendar`` or ``report``; :class:`PeriodError` for anything else."""
        if self.moc not in CUTOFFS:
            raise PeriodError(_("Hãy chọn mốc kỳ: theo lịch hoặc kỳ báo cáo (15–14)."), self)
        return str(CUTOFFS[self.moc].value)

    def label(self) -> str:
        """The period's label, checked against its dates; :class:`PeriodError` says what is
        wrong in the user's language."""
        cutoff = self.cutoff
        if self.loai not in KINDS:
            raise PeriodError(
                _(
                    "Hãy chọn loại kỳ: tháng, quý, 6 tháng, 9 tháng, năm, từ đầu năm đến nay "
                    "hoặc tùy chọn."
                ),
                self,
            )
        if self.loai == "tuy_chon":
            start, end = self._day(self.tu, _("Từ ngày")), self._day(self.den, _("Đến ngày"))
            if start > end:
                raise PeriodError(_("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."), self)
            if (end - start).days >= MAX_DAYS:
                raise PeriodError(_("Khoảng ngày dài quá ba năm."), self)
            return f"{start.isoformat()}..{end.isoformat()}"
        if not (self.nam.isdigit() and 2000 <= int(self.nam) <= 2100):
            raise PeriodError(_("Năm phải là một số từ 2000 đến 2100."), self)
        label = self._label()
        try:
            period_dates(label, cutoff)
        except ValueError:
            raise PeriodError(
                _("Năm %(nam)s chưa bắt đầu: hãy chọn năm nay hoặc một năm trước.", nam=self.nam),
                self,
            ) from None
        return label

    def _label(self) -> str:
        year = self.nam
        if self.loai == "thang":
            if self.thang not in {str(m) for m in range(1, 13)}:
                raise PeriodError(_("Tháng phải là một số từ 1 đến 12."), self)
            return f"{year}-{int(self.thang):02d}"
        if self.loai == "quy":
            if self.quy not in ("1", "2", "3", "4"):
                raise PeriodError(_("Quý phải là I, II, III hoặc IV."), self)
            return f"{year}-Q{self.quy}"
        if self.loai == "nua_nam":
            if self.nua not in ("1", "2"):
                raise PeriodError(_("Hãy chọn 6 tháng đầu năm hoặc 6 tháng cuối năm."), self)
            return f"{year}-H{self.nua}"
        return {"chin_thang": f"{year}-9M", "dau_nam": f"{year}-YTD"}.get(self.loai, year)

    def _day(self, text: str, name: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise PeriodError(
                _("%(name)s: hãy nhập một ngày dạng năm-tháng-ngày (2026-03-31).", name=name),
                self,
            ) from None
