"""The report's table of indicators 5.4 and 5.2 (Quyết định 766/QĐ-TTg group 5): per
resolving unit, the units that cost the most points first, and the whole on the last row
(figures from :mod:`survey_app.services.indicators.measures`, docs/method.md §12.7)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from survey_app.services.indicators import measures
from survey_app.services.reports.model import Cell, Column, Table

COLUMNS = (
    Column("ma", "Mã", "text", 0.8),
    Column("don_vi", "Đơn vị giải quyết", "text", 3.0),
    Column("da_tra", "Hồ sơ đã trả", "int", 1.0),
    Column("truoc_han", "Trước hạn", "int", 1.0),
    Column("dung_han", "Đúng hạn", "int", 1.0),
    Column("tre_han", "Trễ hạn", "int", 1.0),
    Column("ti_le_tre", "Tỉ lệ trễ hạn (%)", "pct", 1.0),
    Column("pakn", "Có PAKN hoặc không hài lòng", "int", 1.2),
    Column("ti_le_pakn", "Tỉ lệ PAKN, không hài lòng (%)", "pct", 1.2),
    Column("xin_loi", "Tỉ lệ thư xin lỗi / trễ hạn (%)", "pct", 1.2),
    Column("chi_so_54", "Chỉ số 5.4 (%)", "pct", 1.0),
    Column("diem_54", "Điểm 5.4", "pct", 1.0),
    Column("lam_giam", "Làm giảm chỉ số chung (điểm %)", "pct", 1.2),
    Column("chi_so_52", "Chỉ số 5.2 (%)", "pct", 1.0),
    Column("diem_52", "Điểm 5.2", "pct", 1.0),
)


def _cells(code: str, name: str, row: measures.IndicatorRow) -> tuple[Cell, ...]:
    m, c = row.measure, row.complaints
    return (
        code,
        name,
        m.resolved,
        m.early,
        m.on_time,
        m.late,
        m.late_share,
        m.with_complaint,
        m.complaint_share,
        m.apology_share,
        m.rate,
        m.points,
        row.rate_removed,
        c.rate if c else None,
        c.points if c else None,
    )


def indicators_table(start: date, end: date, unit_ids: Collection[int] | None) -> Table:
    """The table ``chi_so_766`` of the report's units (``None``: every unit)."""
    result = measures.compute(start, end, "unit", unit_ids)
    rows = [_cells(r.code, r.name, r) for r in result.rows]
    if rows:  # without dossiers in the period the table is empty (and left out of the report)
        rows.append(_cells("", "Toàn bộ", result.whole))
    m, c = result.whole.measure, result.whole.complaints
    note = (
        "5.4 = 100% − (% hồ sơ trễ hạn + % hồ sơ có phản ánh, kiến nghị hoặc không hài lòng), "
        "trên các hồ sơ trả kết quả trong kỳ, tính cho đơn vị giải quyết; từ 90% đạt điểm tối "
        f"đa ({m.max_points:g}), dưới đó điểm = tỉ lệ × điểm tối đa ÷ 90%. 5.2: phản ánh, kiến "
        f"nghị được trả lời trong hạn (điểm tối đa {c.max_points if c else 0:g}). Đơn vị làm "
        "giảm chỉ số chung nhiều nhất đứng trước."
    )
    return Table(
        "chi_so_766",
        "Chỉ số dựa trên hồ sơ (Quyết định 766/QĐ-TTg, nhóm 5)",
        COLUMNS,
        tuple(rows),
        note,
    )
