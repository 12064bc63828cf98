"""The report as an XLSX workbook (openpyxl): a cover sheet with the summary and the methods
note, one sheet per table (real numbers with number formats, frozen header rows), and a
sheet with the charts as images."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .charts import TITLES, render
from .formatting import number
from .model import SUBTITLE, Report, Table
from .writers import csv_header

FORMATS = {"int": "#,##0", "pct": "0.00", "pp": "+0.00;-0.00;0.00", "ci": "0.00"}
HEADER_ROW = 3  # row 1: title, row 2: period, row 3: column titles
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
HEADER_FILL = PatternFill("solid", fgColor="E6E6E6")
THIN = Border(bottom=Side(style="thin"))
WRAP = Alignment(wrap_text=True, vertical="top")


def _text(ws: Worksheet, row: int, column: int, value: str, font: Font | None = None) -> None:
    cell = ws.cell(row=row, column=column, value=value)
    cell.data_type = "s"  # citizens' text is never a formula
    if font is not None:
        cell.font = font


def _cover(ws: Worksheet, report: Report) -> None:
    s = report.summary
    ws.title = "Thong_tin"
    ws.column_dimensions["A"].width = 110
    lines = [
        (report.title, TITLE),
        (SUBTITLE, None),
        (f"Kỳ báo cáo: {report.period_label}", BOLD),
        (f"Đơn vị: {report.unit_name}" + (f" ({report.unit_code})" if report.unit_code else ""),
         None),
        (f"Lập lúc: {report.generated_at:%d/%m/%Y %H:%M} (UTC)", None),
        ("", None),
        (f"Số người trả lời: {number(s.respondents, 0)}. Chỉ số SIPAS: {number(s.sipas)} % "
         f"(KTC 95 %: {number(s.ci_low)}–{number(s.ci_high)}); mục tiêu "
         f"{number(s.target, 0)} %: {s.flag}.", None),
        (f"Đơn vị đạt mục tiêu: {s.units_meeting}/{s.units_assessed} đơn vị có đủ phiếu "
         f"({s.units_ranked} đơn vị có phiếu trong kỳ).", None),
        (f"Đất đai, xây dựng, đầu tư: {number(s.land_respondents, 0)} người trả lời, SIPAS "
         f"{number(s.land_sipas)} % (mục tiêu 85 %); đạt {s.land_units_meeting}/"
         f"{s.land_units_assessed} đơn vị.", None),
        ("", None),
        ("Phương pháp", BOLD),
        *((f"• {line}", None) for line in report.methods),
        ("", None),
        ("Các trang tính: " + ", ".join(f"{t.key} ({t.title})" for t in report.tables)
         + ", Bieu_do (biểu đồ).", None),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        _text(ws, row, 1, text, font)
        ws.cell(row=row, column=1).alignment = WRAP


def _table_sheet(ws: Worksheet, report: Report, table: Table) -> None:
    ws.title = table.key[:31]
    _text(ws, 1, 1, table.title, TITLE)
    _text(ws, 2, 1, f"{report.period_label} — {report.unit_name}"
          + (f". {table.note}" if table.note else ""))
    header = csv_header(table)
    for col, title in enumerate(header, start=1):
        _text(ws, HEADER_ROW, col, title, BOLD)
        cell = ws.cell(row=HEADER_ROW, column=col)
        cell.fill, cell.border, cell.alignment = HEADER_FILL, THIN, WRAP
    kinds = [c.kind for c in table.columns for _ in range(2 if c.kind == "ci" else 1)]
    widths = [max(10.0, min(60.0, 4.0 + 6.0 * c.width))
              for c in table.columns for _ in range(2 if c.kind == "ci" else 1)]
    for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
        values: list[object] = []
        for column, value in zip(table.columns, row, strict=True):
            if column.kind == "ci":
                values += list(value) if value is not None else [None, None]  # type: ignore[arg-type]
            else:
                values.append(value)
        for c, (kind, value) in enumerate(zip(kinds, values, strict=True), start=1):
            if value is None:
                continue
            if kind == "text":
                _text(ws, r, c, str(value))
                if widths[c - 1] >= 30:
                    ws.cell(row=r, column=c).alignment = WRAP
            else:
                cell = ws.cell(row=r, column=c, value=value)
                cell.number_format = FORMATS[kind]
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _charts_sheet(ws: Worksheet, report: Report) -> None:
    ws.title = "Bieu_do"
    row = 1
    for key, title in TITLES.items():
        _text(ws, row, 1, title, BOLD)
        image = Image(BytesIO(render(report, key, "png", dpi=110)))
        ws.add_image(image, f"A{row + 1}")
        row += 2 + int(image.height / 20) + 1


def write_xlsx(report: Report, out: Path) -> None:
    book = Workbook()
    _cover(book.active, report)
    for table in report.tables:
        _table_sheet(book.create_sheet(), report, table)
    _charts_sheet(book.create_sheet(), report)
    book.properties.title = report.title
    book.properties.creator = "sipas"
    book.save(out)
