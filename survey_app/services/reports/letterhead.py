"""Who issues the DOCX report and who signs it: the parts of a Nghị định 30/2020/NĐ-CP
document that are not figures (agency, number and symbol, place, recipients, signer).

They come from the settings (``SIPAS_REPORT_AGENCY``, ``SIPAS_REPORT_PLACE``…) or from
``sipas report`` options, with defaults an office can sign as they are or change in Word.
Pure: the standard library only (the settings arrive as a mapping).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from survey_app.services.text import clean

MAX_TEXT = 200  # characters of one field
MAX_RECIPIENTS = 20
SYMBOL = re.compile(r"[A-ZĐ0-9][A-ZĐ0-9.&-]{0,29}")
NUMBER = re.compile(r"[0-9]{1,6}")
DEFAULT_RECIPIENTS = ("Lãnh đạo cơ quan (để báo cáo)", "Lưu: VT")
DEFAULT_SIGNER_TITLE = "THỦ TRƯỞNG CƠ QUAN"

# The settings (without the SIPAS_ prefix) and the field each fills.
SETTINGS = {
    "REPORT_PARENT_AGENCY": "parent_agency",
    "REPORT_AGENCY": "agency",
    "REPORT_SYMBOL": "symbol",
    "REPORT_PLACE": "place",
    "REPORT_RECIPIENTS": "recipients",
    "REPORT_SIGNER_TITLE": "signer_title",
    "REPORT_SIGNER_NAME": "signer_name",
}


@dataclass(frozen=True)
class Letterhead:
    """``parent_agency``: the governing agency, printed above (``""``: none); ``agency``:
    the issuing agency (``""``: the report's unit); ``symbol``: the agency's abbreviation in
    "Số: …/BC-<symbol>" (``""``: the report's unit code); ``number``: the register number
    (``""``: left blank for the clerk); ``place``: the place name before the date (``""``: a
    dotted blank); ``recipients``: "Nơi nhận" (``()``: the defaults); ``signer_title`` and
    ``signer_name``: the signature block (``""``: the defaults, a blank name line; the title
    may have several lines, "KT. CHỦ TỊCH" above "PHÓ CHỦ TỊCH", given separated by ";")."""

    parent_agency: str = ""
    agency: str = ""
    symbol: str = ""
    number: str = ""
    place: str = ""
    recipients: tuple[str, ...] = ()
    signer_title: str = ""
    signer_name: str = ""

    def validate(self) -> None:
        """Raise :class:`ValueError` with a Vietnamese message naming the bad field."""
        for f in fields(self):
            value = getattr(self, f.name)
            for text in value if isinstance(value, tuple) else (value,):
                if len(text) > MAX_TEXT:
                    raise ValueError(
                        f"{LABELS[f.name]}: dài quá {MAX_TEXT} ký tự ({len(text)} ký tự)."
                    )
        if len(self.recipients) > MAX_RECIPIENTS:
            raise ValueError(f"Nơi nhận: nhiều nhất {MAX_RECIPIENTS} dòng.")
        if self.symbol and not SYMBOL.fullmatch(self.symbol):
            raise ValueError(
                "Ký hiệu cơ quan: chữ in hoa không dấu, chữ số, dấu chấm hoặc gạch nối "
                "(ví dụ UBND, VPĐKĐĐ, TTPVHCC), tối đa 30 ký tự."
            )
        if self.number and not NUMBER.fullmatch(self.number):
            raise ValueError("Số văn bản: chỉ gồm chữ số (tối đa 6 chữ số).")

    def with_options(self, **options: Any) -> Letterhead:
        """This letterhead with the options that were given (``None`` = keep)."""
        given = {k: _value(k, v) for k, v in options.items() if v not in (None, (), [])}
        return replace(self, **given)


LABELS = {
    "parent_agency": "Cơ quan chủ quản",
    "agency": "Cơ quan ban hành",
    "symbol": "Ký hiệu cơ quan",
    "number": "Số văn bản",
    "place": "Địa danh",
    "recipients": "Nơi nhận",
    "signer_title": "Chức vụ người ký",
    "signer_name": "Họ tên người ký",
}


def _lines(value: Any) -> tuple[str, ...]:
    """Recipients from a list, or from one text with one per line or separated by ";"."""
    items = value if isinstance(value, list | tuple) else re.split(r"[;\n]", str(value))
    out = []
    for item in items:
        text = clean(str(item)).strip().lstrip("-–• ").rstrip(" ;.")
        if text:
            out.append(text)
    return tuple(out)


def _value(name: str, value: Any) -> Any:
    if name == "recipients":
        return _lines(value)
    if name == "signer_title":  # "KT. CHỦ TỊCH; PHÓ CHỦ TỊCH": one line each
        return "\n".join(_lines(value))
    text = " ".join(clean(str(value)).split())
    return text.upper() if name == "symbol" else text


def from_config(config: Mapping[str, Any], **options: Any) -> Letterhead:
    """The letterhead of the settings in ``config`` (the app's config: keys without the
    ``SIPAS_`` prefix), then ``options`` (``sipas report --agency`` …) over them.
    Not validated: call :meth:`Letterhead.validate`."""
    values = {
        name: _value(name, config[key])
        for key, name in SETTINGS.items()
        if config.get(key) not in (None, "", (), [])
    }
    return Letterhead(**values).with_options(**options)
