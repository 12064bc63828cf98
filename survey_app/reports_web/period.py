"""The report form's fields → a report request, with a Vietnamese message for bad input."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import lazy_loader as lazy
from flask_babel import gettext as _

from survey_app.services.clock import VN_TZ

if TYPE_CHECKING:
    import scoring
else:
    scoring = lazy.load("scoring")  # numpy, scipy: loaded on first use, not at start-up

KINDS = ("quy", "nua_nam", "nam", "tuy_chon")
CUTOFFS = {"lich": "calendar", "bao_cao": "report"}


class FormError(ValueError):
    """Bad form input; the message is for the user."""


@dataclass
class ReportForm:
    """The form's values as typed (shown again when something is wrong)."""

    loai: str = "quy"
    nam: str = ""
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
        def get(name: str, default: str = "") -> str:
            return str(data.get(name, default) or default).strip()[:40]

        return cls(
            loai=get("loai", "quy"),
            nam=get("nam"),
            quy=get("quy", "1"),
            nua=get("nua", "1"),
            tu=get("tu"),
            den=get("den"),
            moc=get("moc", "lich"),
            don_vi=get("don_vi"),
        )

    @property
    def cutoff(self) -> str:
        if self.moc not in CUTOFFS:
            raise FormError(_("Hãy chọn mốc kỳ: theo lịch hoặc kỳ báo cáo (15–14)."))
        return CUTOFFS[self.moc]

    def period(self) -> str:
        """The engine's period label (``2026-Q1``, ``2026-H1``, ``2026``, ``A..B``)."""
        if self.loai not in KINDS:
            raise FormError(_("Hãy chọn loại kỳ: quý, 6 tháng, năm hoặc tùy chọn."))
        if self.loai == "tuy_chon":
            start, end = _day(self.tu, _("Từ ngày")), _day(self.den, _("Đến ngày"))
            if start > end:
                raise FormError(_("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."))
            return f"{start.isoformat()}..{end.isoformat()}"
        if not (self.nam.isdigit() and 2000 <= int(self.nam) <= 2100):
            raise FormError(_("Năm phải là một số từ 2000 đến 2100."))
        if self.loai == "nam":
            return self.nam
        if self.loai == "quy":
            if self.quy not in ("1", "2", "3", "4"):
                raise FormError(_("Quý phải là I, II, III hoặc IV."))
            return f"{self.nam}-Q{self.quy}"
        if self.nua not in ("1", "2"):
            raise FormError(_("Hãy chọn 6 tháng đầu năm hoặc 6 tháng cuối năm."))
        return f"{self.nam}-H{self.nua}"


def _day(text: str, name: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FormError(
            _("%(name)s: hãy nhập một ngày dạng năm-tháng-ngày (2026-03-31).", name=name)
        ) from None
    first, last = scoring.FIRST_DAY, scoring.LAST_DAY
    if not first <= day <= last:
        raise FormError(
            _(
                "%(name)s: hãy chọn một ngày từ %(first)s đến %(last)s.",
                name=name,
                first=first.isoformat(),
                last=last.isoformat(),
            )
        )
    return day
