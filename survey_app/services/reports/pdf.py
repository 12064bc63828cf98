"""The report as an A4 portrait PDF (reportlab): DejaVu fonts embedded (Vietnamese
diacritics), tables that break across pages with their header row repeated, page numbers
"Trang x/y", charts as images."""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from survey_app.services.reports import model
from survey_app.services.reports.charts import render
from survey_app.services.reports.formatting import day as day_text
from survey_app.services.reports.formatting import number
from survey_app.services.reports.model import SUBTITLE, Report, cell_text, is_numeric

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
MARGIN = 15 * mm
HEAD_SIZE = 7.2
WIDTH = A4[0] - 2 * MARGIN
PDF_HIDE = {
    "xep_hang": {"ma"},
    "dat_dai": {"ma"},
    "hinh_thuc": {"ma"},
    "thu_tuc": {"linh_vuc"},
    "y_kien": {"yeu_to"},
    "cay_don_vi": {"ma", "cap"},
    "do_bao_phu": {"ma"},
}
INDENT = "\u00a0\u00a0\u00a0"  # one level of the unit tree (no-break spaces: kept as typed)


def _font_file(name: str) -> Path:
    """DejaVu from Debian's fonts-dejavu-core, else the copy matplotlib ships."""
    for folder in (*FONT_DIRS, Path(matplotlib.get_data_path()) / "fonts" / "ttf"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


@cache
def fonts() -> tuple[str, str, str, str]:
    """Register the fonts once; (regular, bold, condensed, condensed bold) names."""
    names = []
    for name, files in (
        ("SipasSans", ("DejaVuSans.ttf",)),
        ("SipasSans-Bold", ("DejaVuSans-Bold.ttf",)),
        ("SipasCond", ("DejaVuSansCondensed.ttf", "DejaVuSans.ttf")),
        ("SipasCond-Bold", ("DejaVuSansCondensed-Bold.ttf", "DejaVuSans-Bold.ttf")),
    ):
        for file in files:
            try:
                path = _font_file(file)
            except FileNotFoundError:
                continue
            pdfmetrics.registerFont(TTFont(name, str(path)))
            break
        names.append(name)
    pdfmetrics.registerFontFamily(
        "SipasSans",
        normal="SipasSans",
        bold="SipasSans-Bold",
        italic="SipasSans",
        boldItalic="SipasSans-Bold",
    )
    return names[0], names[1], names[2], names[3]


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold, cond, cond_bold = fonts()
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=14, leading=18, alignment=TA_CENTER, spaceAfter=4
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            fontName=regular,
            fontSize=10.5,
            leading=14,
            alignment=TA_CENTER,
            spaceAfter=2,
        ),
        "h": ParagraphStyle(
            "h",
            fontName=bold,
            fontSize=11.5,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            fontName=bold,
            fontSize=9.5,
            leading=12,
            spaceBefore=6,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, spaceAfter=3),
        "note": ParagraphStyle(
            "note",
            fontName=regular,
            fontSize=8,
            leading=10,
            textColor=colors.HexColor("#333333"),
            spaceBefore=2,
        ),
        "cell": ParagraphStyle("cell", fontName=cond, fontSize=7.2, leading=8.6),
        # Headers wrap at spaces only (column_widths makes room for the longest word).
        "head": ParagraphStyle(
            "head", fontName=cond_bold, fontSize=HEAD_SIZE, leading=8.6, splitLongWords=0
        ),
        "num": ParagraphStyle("num", fontName=cond, fontSize=7.2, leading=8.6, alignment=TA_RIGHT),
    }


class _NumberedCanvas(canvas.Canvas):
    """Draws "Trang x/y" once the number of pages is known."""

    footer = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["initialFontName"] = fonts()[0]
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        regular = fonts()[0]
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(regular, 7.5)
            self.setFillColor(colors.HexColor("#333333"))
            self.drawString(MARGIN, 9 * mm, self.footer)
            self.drawRightString(A4[0] - MARGIN, 9 * mm, f"Trang {self._pageNumber}/{total}")
            super().showPage()
        super().save()


PADDING = 4.5  # a cell's left and right paddings with its borders


def column_widths(titles: list[str], weights: list[float], total: float = WIDTH) -> list[float]:
    """Widths proportional to ``weights``, each at least as wide as the longest word of its
    title (a header wraps at spaces only, never inside a word): columns too narrow are
    widened, the others give up room in proportion to what they have to spare."""
    bold = fonts()[3]
    least = [
        max((stringWidth(w, bold, HEAD_SIZE) for w in t.split()), default=0.0) + PADDING
        for t in titles
    ]
    widths = [total * w / sum(weights) for w in weights]
    for _ in range(len(widths)):
        short = sum(max(0.0, m - w) for w, m in zip(widths, least, strict=True))
        spare = sum(max(0.0, w - m) for w, m in zip(widths, least, strict=True))
        if short <= 1e-6 or spare <= 0:
            break
        take = min(1.0, short / spare)
        widths = [m if w < m else w - (w - m) * take for w, m in zip(widths, least, strict=True)]
    return widths


def _table(table: model.Table, styles: dict[str, ParagraphStyle]) -> list[Any]:
    hidden = PDF_HIDE.get(table.key, set())
    shown = [i for i, c in enumerate(table.columns) if c.key not in hidden]
    columns = [table.columns[i] for i in shown]
    widths = column_widths([c.title for c in columns], [c.width for c in columns])
    data: list[list[Any]] = [[Paragraph(escape(c.title), styles["head"]) for c in columns]]
    cond = fonts()[2]
    room = [w - PADDING for w in widths]
    for r, row in enumerate(table.rows):
        line: list[Any] = []
        for k, (i, column) in enumerate(zip(shown, columns, strict=True)):
            text = cell_text(column, row[i])
            if column.key == "don_vi" and table.depth(r):
                text = INDENT * table.depth(r) + "└ " + text
            # A Paragraph (wrapping) only where the text does not fit: plain strings are
            # much faster to lay out in tables of a thousand rows.
            if column.kind == "text" and stringWidth(text, cond, 7.2) > room[k]:
                line.append(Paragraph(escape(text), styles["cell"]))
            else:
                line.append(text)
        data.append(line)
    if len(data) == 1:
        data.append(["Không có dữ liệu trong kỳ."] + [""] * (len(columns) - 1))
    _regular, _bold, cond, _cond_bold = fonts()
    style = [
        ("FONT", (0, 0), (-1, -1), cond, 7.2, 8.6),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for k, column in enumerate(columns):
        if is_numeric(column):
            style.append(("ALIGN", (k, 1), (k, -1), "RIGHT"))
    kind = LongTable if len(data) > 60 else Table  # LongTable splits long tables faster
    out = kind(data, colWidths=widths, repeatRows=1, style=TableStyle(style), hAlign="LEFT")
    caption = Paragraph(escape(table.title), styles["h"])
    items: list[Any] = [caption, out]
    if table.note:
        items.append(Paragraph(escape(table.note), styles["note"]))
    return items


def _chart(report: Report, key: str, width: float = WIDTH) -> Image:
    data = render(report, key, "png")
    reader = ImageReader(BytesIO(data))
    w, h = reader.getSize()
    return Image(BytesIO(data), width=width, height=width * h / w)


def _summary(report: Report, styles: dict[str, ParagraphStyle]) -> list[Any]:
    s = report.summary
    lines = [
        f"Số người trả lời: <b>{number(s.respondents, 0)}</b>. Chỉ số SIPAS: "
        f"<b>{number(s.sipas)} %</b> (KTC 95 %: {number(s.ci_low)}–{number(s.ci_high)}), "
        f"mục tiêu {number(s.target, 0)} %: <b>{escape(s.flag)}</b>.",
        f"Số đơn vị phục vụ (có quầy) đạt mục tiêu: <b>{s.units_meeting}/{s.units_assessed}"
        f"</b> đơn vị có đủ phiếu ({s.units_ranked} đơn vị có quầy có phiếu trong kỳ; mỗi "
        "đơn vị tính một lần, đơn vị cấp trên là tổng gộp).",
        f"Thủ tục lĩnh vực đất đai, xây dựng, đầu tư: {number(s.land_respondents, 0)} người "
        f"trả lời, SIPAS {number(s.land_sipas)} % (KTC 95 %: {number(s.land_ci_low)}–"
        f"{number(s.land_ci_high)}), mục tiêu 85 %; đạt {s.land_units_meeting}/"
        f"{s.land_units_assessed} đơn vị.",
    ]
    return [Paragraph(line, styles["body"]) for line in lines]


def _comments(report: Report, styles: dict[str, ParagraphStyle]) -> list[Any]:
    table = report.table("y_kien")
    items: list[Any] = [Paragraph(escape(table.title), styles["h"])]
    if not report.comments:
        items.append(Paragraph("Không có ý kiến nào trong kỳ.", styles["body"]))
    for group in report.comments:
        heading = f"{group.title} ({number(group.total, 0)} ý kiến trong số đã đọc)"
        items.append(Paragraph(escape(heading), styles["h2"]))
        for day, unit, text in group.comments:
            items.append(
                Paragraph(
                    f"– “{escape(text)}” <font size=7.5>({escape(unit)}, {escape(day)})</font>",
                    styles["body"],
                )
            )
    items.append(Paragraph(escape(table.note), styles["note"]))
    return items


def write_pdf(report: Report, out: Path) -> None:
    styles = _styles()
    story: list[Any] = [
        Paragraph(escape(report.title), styles["title"]),
        Paragraph(escape(SUBTITLE), styles["subtitle"]),
        Paragraph(escape(f"Kỳ báo cáo: {report.period_label}"), styles["subtitle"]),
        Paragraph(escape(f"Lập ngày {day_text(report.generated_at)}"), styles["subtitle"]),
        Spacer(1, 4 * mm),
        Paragraph("1. Tóm tắt", styles["h"]),
        *_summary(report, styles),
        *_table(report.table("tom_tat"), styles)[1:],
        Paragraph("2. Xếp hạng các đơn vị", styles["h"]),
        _chart(report, "xep_hang"),
        *_table(report.table("xep_hang"), styles),
        *_table(report.table("dat_dai"), styles),
        *_table(report.table("cay_don_vi"), styles),
        *_table(report.table("do_bao_phu"), styles),
        Paragraph("3. Xu hướng và các yếu tố", styles["h"]),
        KeepTogether([_chart(report, "xu_huong", WIDTH * 0.9)]),
        *_table(report.table("xu_huong"), styles),
        KeepTogether([_chart(report, "ho_so", WIDTH * 0.9)]),
        *_table(report.table("chi_so_thanh_phan"), styles),
        *_table(report.table("mong_doi"), styles),
    ]
    if "liem_chinh" in report.table_keys:
        story += _table(report.table("liem_chinh"), styles)
    story += [
        *_table(report.table("hinh_thuc"), styles),
        *_table(report.table("thu_tuc"), styles),
        *_comments(report, styles),
        Paragraph("Ghi chú phương pháp", styles["h"]),
        *(Paragraph(escape(line), styles["body"]) for line in report.methods),
        *_table(report.table("nguon"), styles),
    ]
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=16 * mm,
        title=report.title,
        author="sipas",
        subject=report.period_label,
        lang="vi",
    )

    class Numbered(_NumberedCanvas):
        footer = f"{report.unit_name} — {report.period_label}"[:110]

    doc.build(story, canvasmaker=Numbered)
