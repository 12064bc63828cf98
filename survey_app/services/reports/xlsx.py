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
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from survey_app.services.formatting import INDEX_DIGITS
from survey_app.services.reports.charts import PNG_DPI, TITLES, render
from survey_app.services.reports.formatting import moment, number
from survey_app.services.reports.model import SUBTITLE, Report, Table, csv_header
from survey_app.services.text import clean as clean_text

# The digits every page and the PDF print (services/formatting.py); the cells keep the full value.
_INDEX = "0." + "0" * INDEX_DIGITS if INDEX_DIGITS else "0"
FORMATS = {"int": "#,##0", "pct": _INDEX, "pp": f"+{_INDEX};-{_INDEX};{_INDEX}", "ci": _INDEX}
HEADER_ROW = 3  # row 1: title, row 2: period, row 3: column titles
MAX_TEXT_WIDTH = 48.0
BOLD = Font(name="Calibri", bold=True)
TITLE = Font(name="Calibri", bold=True, size=13)
HEADER_FILL = PatternFill("solid", fgColor="E6E6E6")
THIN = Border(bottom=Side(style="thin"))
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def _text(ws: Worksheet, row: int, column: int, value: str, font: Font | None = None) -> None:
    # Text already stored may predate the input rule: a control character there would make
    # openpyxl refuse the whole workbook (IllegalCharacterError), so the rule applies here too.
    cell = ws.cell(row=row, column=column, value=clean_text(value))
    cell.data_type = "s"  # citizens' text is never a formula
    if font is not None:
        cell.font = font


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (an estimate)."""
    return max(1, -(-len(text) * 11 // int(width * 10)))


def _fit_page(ws: Worksheet, landscape: bool) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _cover(ws: Worksheet, report: Report) -> None:
    s = report.summary
    ws.title = "Thong_tin"
    width = 70  # fits an A4 portrait page even where fit-to-page is ignored
    ws.column_dimensions["A"].width = width
    lines = [
        (report.title, TITLE),
        (SUBTITLE, None),
        (f"Kỳ báo cáo: {report.period_label}", BOLD),
        (
            f"Đơn vị: {report.unit_name}" + (f" ({report.unit_code})" if report.unit_code else ""),
            None,
        ),
        (f"Lập lúc: {moment(report.generated_at)}", None),
        ("", None),
        (
            f"Số người trả lời: {number(s.respondents, 0)}. Chỉ số SIPAS: {number(s.sipas)} % "
            f"(KTC 95 %: {number(s.ci_low)}–{number(s.ci_high)}); mục tiêu "
            f"{number(s.target, 0)} %: {s.flag}.",
            None,
        ),
        (
            f"Đơn vị đạt mục tiêu: {s.units_meeting}/{s.units_assessed} đơn vị có đủ phiếu "
            f"({s.units_ranked} đơn vị có phiếu trong kỳ).",
            None,
        ),
        (
            f"Đất đai, xây dựng, đầu tư: {number(s.land_respondents, 0)} người trả lời, SIPAS "
            f"{number(s.land_sipas)} % (mục tiêu 85 %); đạt {s.land_units_meeting}/"
            f"{s.land_units_assessed} đơn vị.",
            None,
        ),
        ("", None),
        ("Phương pháp", BOLD),
        *((f"• {line}", None) for line in report.methods),
        ("", None),
        (
            "Các trang tính: "
            + "; ".join(f"{t.key} ({t.title})" for t in report.tables)
            + "; Bieu_do (biểu đồ).",
            None,
        ),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        _text(ws, row, 1, text, font)
        ws.cell(row=row, column=1).alignment = WRAP
        size = 13 if font is TITLE else 11
        ws.row_dimensions[row].height = 4 + 1.35 * size * _lines(text, width * (11 / size))
    _fit_page(ws, landscape=False)


def _table_sheet(ws: Worksheet, report: Report, table: Table) -> None:
    ws.title = table.key[:31]
    _text(ws, 1, 1, table.title, TITLE)
    _text(
        ws,
        2,
        1,
        f"{report.period_label} — {report.unit_name}" + (f". {table.note}" if table.note else ""),
    )
    header = csv_header(table)
    for col, title in enumerate(header, start=1):
        _text(ws, HEADER_ROW, col, title, BOLD)
        cell = ws.cell(row=HEADER_ROW, column=col)
        cell.fill, cell.border, cell.alignment = HEADER_FILL, THIN, WRAP
    kinds = [c.kind for c in table.columns for _ in range(2 if c.kind == "ci" else 1)]
    widths = [max(9.0, min(14.0, len(title) / 2 + 2)) for title in header]
    flat = _flat(table)
    for c, kind in enumerate(kinds):
        if kind == "text":
            longest = max((len(str(row[c])) for row in flat if row[c] is not None), default=0)
            widths[c] = max(widths[c], min(MAX_TEXT_WIDTH, longest + 2.0))
    for r, values in enumerate(flat, start=HEADER_ROW + 1):
        height = 1
        for c, (kind, value) in enumerate(zip(kinds, values, strict=True), start=1):
            if value is None:
                continue
            if kind == "text":
                text = str(value)
                _text(ws, r, c, text)
                if len(text) + 2 > widths[c - 1]:
                    ws.cell(row=r, column=c).alignment = WRAP
                    height = max(height, _lines(text, widths[c - 1]))
            else:
                cell = ws.cell(row=r, column=c, value=value)
                cell.number_format = FORMATS[kind]
                cell.alignment = TOP
        if height > 1:
            ws.row_dimensions[r].height = 15 * height
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _fit_page(ws, landscape=sum(widths) > 110)


def _flat(table: Table) -> list[list[object]]:
    """Rows with each interval as two cells."""
    out = []
    for row in table.rows:
        values: list[object] = []
        for column, value in zip(table.columns, row, strict=True):
            if column.kind == "ci":
                values += list(value) if value is not None else [None, None]  # type: ignore[arg-type]
            else:
                values.append(value)
        out.append(values)
    return out


def _charts_sheet(ws: Worksheet, report: Report) -> None:
    ws.title = "Bieu_do"
    row = 1
    for k, (key, title) in enumerate(TITLES.items()):
        if k:  # one chart per printed page
            ws.row_breaks.append(Break(id=row - 1))
        _text(ws, row, 1, title, BOLD)
        image = Image(BytesIO(render(report, key, "png")))
        scale = 96 / PNG_DPI  # shown at 96 dpi: 672 px, about 17.8 cm (an A4 page's width)
        image.width, image.height = image.width * scale, image.height * scale
        ws.add_image(image, f"A{row + 1}")
        row += 2 + int(image.height / 20) + 1
    ws.column_dimensions["A"].width = 70
    _fit_page(ws, landscape=False)


def write_xlsx(report: Report, out: Path) -> None:
    book = Workbook()
    _cover(book.active, report)
    for table in report.tables:
        _table_sheet(book.create_sheet(), report, table)
    _charts_sheet(book.create_sheet(), report)
    book.properties.title = clean_text(report.title)
    book.properties.creator = "sipas"
    book.save(out)
