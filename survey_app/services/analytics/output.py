"""How `sipas score` prints its groups (:class:`~.results.ScoredGroup`): a readable table,
JSON (:func:`.results.to_json`), or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

from scoring import Estimate
from survey_app.services import formatting
from survey_app.services.analytics.results import ScoredGroup, to_json
from survey_app.services.formatting import spreadsheet_text

FLAG_LABELS = {
    "meets": "đạt",
    "below": "dưới mục tiêu",
    "below_significant": "dưới mục tiêu (rõ rệt)",
    "insufficient_data": "chưa đủ dữ liệu",
    "no_target": "chưa có mục tiêu",
}
DIMENSION_LABELS = {
    "unit": "Đơn vị",
    "counter": "Quầy",
    "procedure": "Thủ tục",
    "target_group": "Nhóm",
    "channel": "Hình thức",
    "day": "Ngày",
    "month": "Tháng",
    "quarter": "Quý",
    "late": "Hạn hồ sơ",
}
FACTORS = ("A", "B", "C", "D", "E")


def _num(value: float | None) -> str:
    """An index as every page prints it (services/formatting.py): "62,5" in Vietnamese."""
    return formatting.percent(value)


def _index(level: Mapping[str, Estimate], code: str) -> float | None:
    found = level.get(code)
    return found.index if found else None


def as_json(groups: Sequence[ScoredGroup]) -> str:
    return json.dumps(to_json(groups), ensure_ascii=False)  # compact: the C encoder, fast


def as_csv(groups: Sequence[ScoredGroup], dims: tuple[str, ...]) -> str:
    items = sorted({c for g in groups for c in g.items}, key=_item_order)
    header = [
        *dims,
        "n",
        "n_verified",
        "n_open",
        "sipas",
        "sipas_ci_low",
        "sipas_ci_high",
        *FACTORS,
        *(f"item_{c}" for c in items),
        "target",
        "flag",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for g in groups:
        sipas = g.sipas
        writer.writerow(
            [
                *(_key_text(g.key.get(d, "")) for d in dims),
                g.n,
                g.n_verified,
                g.n_open,
                *(_raw(v) for v in (sipas.index, sipas.ci_low, sipas.ci_high)),
                *(_raw(_index(g.factors, f)) for f in FACTORS),
                *(_raw(_index(g.items, c)) for c in items),
                "" if g.target is None else f"{g.target:g}",
                g.flag.value,
            ]
        )
    return out.getvalue()


def _key_text(value: object) -> object:
    """A group's label as a CSV cell (a unit or procedure code is never a formula)."""
    return spreadsheet_text(value) if isinstance(value, str) else value


def _raw(value: float | None) -> str:
    return "" if value is None else repr(value)


def _item_order(code: str) -> tuple[int, str, int]:
    return (0 if code[1:] != "0" else 1, code[0], int(code[1:]))


def as_table(
    groups: Sequence[ScoredGroup], dims: tuple[str, ...], unit_names: dict[str, str] | None = None
) -> str:
    """A fixed-width table with two decimals, like the published figures; with
    ``unit_names``, the unit's name follows the flag."""
    header = [
        *(DIMENSION_LABELS[d] for d in dims),
        "n",
        "xác thực",
        "mở",
        "SIPAS %",
        "KTC 95%",
        *FACTORS,
        "Mục tiêu",
        "Đánh giá",
    ]
    named = unit_names is not None and "unit" in dims
    if named:
        header.append("Tên đơn vị")
    rows = []
    for g in groups:
        s = g.sipas
        interval = (
            formatting.DASH
            if s.ci_low is None
            else f"{formatting.percent(s.ci_low)}–{formatting.percent(s.ci_high)}"
        )
        rows.append(
            [
                *(str(g.key.get(d, "")) for d in dims),
                formatting.number(g.n),
                formatting.number(g.n_verified),
                formatting.number(g.n_open),
                _num(s.index),
                interval,
                *(_num(_index(g.factors, f)) for f in FACTORS),
                formatting.number(g.target),
                FLAG_LABELS.get(g.flag, g.flag),
            ]
        )
        if named and unit_names is not None:
            rows[-1].append(unit_names.get(g.key["unit"], "")[:48])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = set(range(len(dims), len(dims) + 11))

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    text = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    if not rows:
        text.append("(không có phản hồi nào trong phạm vi đã chọn)")
    text.append(
        "A Tiếp cận dịch vụ · B Thủ tục hành chính · C Công chức · D Kết quả · "
        "E Phản ánh, kiến nghị · KTC: khoảng tin cậy · xác thực: qua lời mời của hồ sơ, "
        "mở: qua mã QR quầy, kiosk, API hoặc tệp"
    )
    return "\n".join(text) + "\n"
