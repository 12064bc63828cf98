"""``sipas indicators`` output: a text table, JSON or CSV (the formula guard on every text
cell, :func:`survey_app.services.formatting.spreadsheet_text`)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask_babel import gettext as _

from survey_app.services.formatting import spreadsheet_text
from survey_app.services.indicators.late import LateGap
from survey_app.services.indicators.measures import IndicatorRow, Indicators

FIELDS = (
    "code",
    "name",
    "unit",
    "returned",
    "early",
    "on_time",
    "late",
    "late_share",
    "with_complaint",
    "complaint_share",
    "late_with_apology",
    "apology_share",
    "rate_5_4",
    "points_5_4",
    "max_points_5_4",
    "points_lost_5_4",
    "rate_removed",
    "complaints",
    "complaints_on_time",
    "rate_5_2",
    "points_5_2",
    "max_points_5_2",
)


def as_json(result: Indicators) -> str:
    whole = result.whole.as_dict()
    for key in ("code", "name", "unit"):
        del whole[key]
    return json.dumps(
        {
            "start": result.start.isoformat(),
            "end": result.end.isoformat(),
            "by": result.by,
            "groups": [row.as_dict() for row in result.rows],
            "whole": whole,
        },
        ensure_ascii=False,
        indent=2,
    )


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str):
        return spreadsheet_text(value)
    return value


def as_csv(result: Indicators) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    rows: list[dict[str, Any]] = [row.as_dict() for row in result.rows]
    rows.append({**result.whole.as_dict(), "code": "*", "name": _("Toàn bộ")})
    for row in rows:
        writer.writerow([_csv_cell(row[f]) for f in FIELDS])
    return out.getvalue()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _pts(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _line(label: str, row: IndicatorRow) -> list[str]:
    m, c = row.measure, row.complaints
    return [
        label,
        str(m.resolved),
        str(m.early),
        str(m.on_time),
        str(m.late),
        _pct(m.late_share),
        str(m.with_complaint),
        _pct(m.complaint_share),
        _pct(m.apology_share),
        _pct(m.rate),
        _pts(m.points),
        _pts(row.rate_removed),
        "–" if c is None or not c.complaints else f"{c.on_time}/{c.complaints}",
        _pct(c.rate) if c else "–",
        _pts(c.points) if c else "–",
    ]


def as_table(result: Indicators) -> str:
    head = [
        {"unit": _("Đơn vị giải quyết"), "procedure": _("Thủ tục"), "counter": _("Quầy")}[
            result.by
        ],
        _("Đã trả"),
        _("Trước hạn"),
        _("Đúng hạn"),
        _("Trễ hạn"),
        _("Trễ (%)"),
        _("PAKN/không hài lòng"),
        _("PAKN (%)"),
        _("Xin lỗi (%)"),
        "5.4 (%)",
        _("Điểm 5.4"),
        _("Làm giảm"),
        _("PAKN đúng hạn"),
        "5.2 (%)",
        _("Điểm 5.2"),
    ]
    lines = [head]
    for row in result.rows:
        label = row.code if result.by != "counter" else f"{row.unit_code}/{row.code or '-'}"
        lines.append(_line(f"{label} {row.name}".strip()[:48], row))
    lines.append(_line(_("Toàn bộ"), result.whole))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = []
    for line in lines:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        text.append("  ".join(cells).rstrip())
    complaints = result.whole.complaints
    max54 = f"{result.whole.measure.max_points:g}"
    max52 = f"{complaints.max_points:g}" if complaints else "–"
    text.append(
        _(
            "Kỳ %(start)s – %(end)s. Điểm tối đa 5.4: %(max54)s; 5.2: %(max52)s.",
            start=result.start.isoformat(),
            end=result.end.isoformat(),
            max54=max54,
            max52=max52,
        )
    )
    return "\n".join(text) + "\n"


# --- late against on time (``sipas indicators --late``) ------------------------------------

LATE_FIELDS = (
    "unit",
    "n_tre_han",
    "sipas_tre_han",
    "n_dung_han",
    "sipas_dung_han",
    "difference",
    "ci_low",
    "ci_high",
    "significant",
)


def _late_values(gap: LateGap) -> dict[str, Any]:
    d = gap.as_dict()
    return {
        "unit": gap.unit or "*",
        "n_tre_han": d["tre_han"]["n"],
        "sipas_tre_han": d["tre_han"]["sipas"],
        "n_dung_han": d["dung_han"]["n"],
        "sipas_dung_han": d["dung_han"]["sipas"],
        "difference": gap.sipas.difference,
        "ci_low": gap.sipas.ci_low,
        "ci_high": gap.sipas.ci_high,
        "significant": gap.sipas.significant,
    }


def late_json(gaps: tuple[LateGap, ...]) -> str:
    return json.dumps([g.as_dict() for g in gaps], ensure_ascii=False, indent=2)


def late_csv(gaps: tuple[LateGap, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LATE_FIELDS)
    for gap in gaps:
        values = _late_values(gap)
        writer.writerow([_csv_cell(values[f]) for f in LATE_FIELDS])
    return out.getvalue()


def late_table(gaps: tuple[LateGap, ...]) -> str:
    head = [
        _("Đơn vị"),
        _("n trễ hạn"),
        _("SIPAS trễ hạn"),
        _("n đúng hạn"),
        _("SIPAS đúng hạn"),
        _("Chênh lệch"),
        _("Khoảng tin cậy 95%"),
    ]
    lines = [head]
    for gap in gaps:
        v = _late_values(gap)
        ci = "–" if v["ci_low"] is None else f"{v['ci_low']:+.1f}…{v['ci_high']:+.1f}"
        diff = "–" if v["difference"] is None else f"{v['difference']:+.1f}"
        lines.append(
            [
                _("Toàn bộ") if v["unit"] == "*" else v["unit"],
                str(v["n_tre_han"]),
                _pct1(v["sipas_tre_han"]),
                str(v["n_dung_han"]),
                _pct1(v["sipas_dung_han"]),
                diff + (" *" if v["significant"] else ""),
                ci,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = [
        "  ".join(
            [line[0].ljust(widths[0])]
            + [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        ).rstrip()
        for line in lines
    ]
    text.append(_("Phiếu xác thực; chênh lệch = trễ hạn − đúng hạn; * có ý nghĩa thống kê."))
    return "\n".join(text) + "\n"


def _pct1(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
