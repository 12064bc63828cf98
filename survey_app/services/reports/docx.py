"""The report as a Word document (python-docx) in the layout of a Vietnamese administrative
document, Nghị định 30/2020/NĐ-CP (Phụ lục I), that an office edits, numbers and signs.

- A4, margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman, body 14 pt,
  justified, first-line indent 1.27 cm; page numbers centred at the top from page 2.
- The header: a two-column borderless table — the governing agency (upper case) and the
  issuing agency (upper case, bold) with a short rule under it, then "Số: …/BC-…"; the
  Quốc hiệu "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (bold) and the Tiêu ngữ "Độc lập - Tự do -
  Hạnh phúc" (bold) with a rule as long as it, then the place and date in italics.
- The title "BÁO CÁO" and the subject (bold, centred) with a rule; the body: I. the summary
  and the charts, II. every table of the model as a real Word table (its header row
  repeated on each page; a table of more than :data:`WIDE_COLUMNS` columns on landscape
  pages), III. the methods note; "Nơi nhận:" bottom left and the signature block bottom
  right (title, "(Ký, ghi rõ họ tên, đóng dấu)", name).

Tables are generic: every :class:`~.model.Table` of the report, in its order, with the
same columns as the XLSX (an interval in one cell, "88,1–91,2", where the XLSX has its two
bounds) and the cells as :func:`~.model.cell_text` prints them — a table added to the model
appears here with no change to this module. The table XML is written in one piece
(:mod:`.docx_tables`; python-docx's cell-by-cell API is far slower).

The document is Vietnamese whatever the reader's language, like the PDF and the XLSX: its
form is the Vietnamese administrative one and the model's tables are Vietnamese.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from survey_app.services.reports.charts import TITLES, render
from survey_app.services.reports.docx_tables import TABLE_PT, TWIPS_PER_MM, table_xml
from survey_app.services.reports.formatting import moment, number
from survey_app.services.reports.letterhead import (
    DEFAULT_RECIPIENTS,
    DEFAULT_SIGNER_TITLE,
    Letterhead,
)
from survey_app.services.reports.model import Report, Table
from survey_app.services.text import clean

FONT = "Times New Roman"
BODY_PT = 14
PAGE = (210, 297)  # A4, mm
TOP, BOTTOM, LEFT, RIGHT = 20, 20, 30, 15  # NĐ 30: 20–25, 20–25, 30–35, 15–20 mm
TEXT_WIDTH = PAGE[0] - LEFT - RIGHT  # 165 mm
WIDE_WIDTH = PAGE[1] - LEFT - RIGHT  # landscape: the binding edge stays on the left
HEAD_LEFT, HEAD_RIGHT = 63, 102  # the header's two columns, mm (the Quốc hiệu: 95 mm)
WIDE_COLUMNS = 10
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
TIEU_NGU_MM = 61  # its width in Times New Roman bold 14 pt (measured): the rule under it
SIGN_NOTE = "(Ký, ghi rõ họ tên, đóng dấu)"
NO_DATA = "Không có dữ liệu trong kỳ."
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ROMAN = ("I", "II", "III", "IV", "V")


def write_docx(report: Report, out: Path, letterhead: Letterhead | None = None) -> None:
    head = letterhead or Letterhead()
    doc = Document()
    _setup(doc, report)
    _header(doc, report, head)
    _title(doc, report)
    part = iter(ROMAN)
    _heading(doc, f"{next(part)}. KẾT QUẢ CHUNG")
    for line in summary_lines(report):
        _body(doc, line)
    _charts(doc, report)
    _heading(doc, f"{next(part)}. SỐ LIỆU CHI TIẾT")
    landscape = False
    for k, table in enumerate(report.tables, start=1):
        wide = len(table.columns) > WIDE_COLUMNS
        if wide != landscape:
            _section(doc, wide)
            landscape = wide
        _table(doc, table, k, WIDE_WIDTH if wide else TEXT_WIDTH)
    if landscape:
        _section(doc, False)
    _heading(doc, f"{next(part)}. GHI CHÚ PHƯƠNG PHÁP")
    for line in report.methods:
        _body(doc, line)
    _body(
        doc,
        "Trên đây là báo cáo kết quả đo lường sự hài lòng của người dân, tổ chức "
        f"{_lower_first(report.period_label)}./.",
    )
    _closing(doc, head)
    doc.save(str(out))


# --- the page and the styles ----------------------------------------------------------------


def _setup(doc: DocumentObject, report: Report) -> None:
    section = doc.sections[0]
    _page(section, landscape=False)
    section.different_first_page_header_footer = True  # no page number on page 1
    number_line = section.header.paragraphs[0]
    number_line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number_line._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:rPr><w:sz w:val="28"/>'
            "</w:rPr><w:t>2</w:t></w:r></w:fldSimple>"
        )
    )
    normal = doc.styles["Normal"]
    normal.font.name = FONT  # type: ignore[union-attr]
    normal.font.size = Pt(BODY_PT)  # type: ignore[union-attr]
    fmt = normal.paragraph_format  # type: ignore[union-attr]
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), 1.0
    r_pr = normal.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    r_pr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="vi-VN"/>'))
    for name, bold, align in (
        ("Sipas Table", False, None),
        ("Sipas Table Head", True, WD_ALIGN_PARAGRAPH.CENTER),
    ):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal  # type: ignore[attr-defined]
        style.font.size = Pt(TABLE_PT)  # type: ignore[attr-defined]
        style.font.bold = bold  # type: ignore[attr-defined]
        pf = style.paragraph_format  # type: ignore[attr-defined]
        pf.space_before, pf.space_after = Pt(1), Pt(1)
        if align is not None:
            pf.alignment = align
    props = doc.core_properties
    props.title = clean(report.title)
    props.subject = clean(report.period_label)
    props.author = "sipas"
    props.language = "vi-VN"
    props.created = report.generated_at.astimezone(UTC).replace(tzinfo=None)


def _page(section: Section, landscape: bool) -> None:
    width, height = (PAGE[1], PAGE[0]) if landscape else PAGE
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(width), Mm(height)
    section.top_margin, section.bottom_margin = Mm(TOP), Mm(BOTTOM)
    section.left_margin, section.right_margin = Mm(LEFT), Mm(RIGHT)
    section.header_distance = Mm(10)


def _section(doc: DocumentObject, landscape: bool) -> None:
    """A new page in the other orientation (the page numbers go on)."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape)
    section.different_first_page_header_footer = False


# --- paragraphs -----------------------------------------------------------------------------


def _text(
    paragraph: Paragraph,
    text: str,
    size: float = BODY_PT,
    bold: bool = False,
    italic: bool = False,
) -> Paragraph:
    run = paragraph.add_run(clean(text))
    run.font.size = Pt(size)
    run.bold = bold or None
    run.italic = italic or None
    return paragraph


def _line(
    where: DocumentObject | _Cell,
    text: str,
    size: float = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
    after: float = 0,
) -> Paragraph:
    paragraph = where.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    return _text(paragraph, text, size, bold, italic)


def _rule(where: DocumentObject | _Cell, length: float, room: float) -> None:
    """A centred horizontal rule ``length`` mm long in a column ``room`` mm wide: an empty
    2 pt paragraph with a top border, indented from both sides."""
    paragraph = where.add_paragraph()
    # The border first: python-docx puts spacing and indents after it, in schema order.
    paragraph._p.get_or_add_pPr().append(
        parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="6" w:space="1" '
            'w:color="000000"/></w:pBdr>'
        )
    )
    fmt = paragraph.paragraph_format
    side = Mm(max(0.0, (room - length) / 2))
    fmt.left_indent = fmt.right_indent = side
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(3), Pt(0), Pt(2)
    _text(paragraph, "", 2)


def _body(doc: DocumentObject, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Mm(12.7)
    _text(paragraph, text)


def _heading(doc: DocumentObject, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Mm(12.7)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.keep_with_next = True
    _text(paragraph, text, bold=True)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- the header, the title and the closing ---------------------------------------------------


def _borderless(doc: DocumentObject, widths: tuple[float, float], rows: int) -> list[_Cell]:
    table = doc.add_table(rows=rows, cols=2)
    table.autofit = False
    table_width = table._tbl.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(round(sum(widths) * TWIPS_PER_MM)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(round(width * TWIPS_PER_MM)))
    cells = [cell for row in table.rows for cell in row.cells]
    for cell in cells:
        cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    return cells


def vn_date_line(place: str, when: datetime) -> str:
    """ "Hà Nội, ngày 05 tháng 3 năm 2026": NĐ 30 writes days under 10 and the months 1 and
    2 with a leading zero; an empty place is a dotted blank."""
    local = when.astimezone(VIETNAM) if when.tzinfo else when
    d, m = local.day, local.month
    day = f"{d:02d}"
    month = f"{m:02d}" if m <= 2 else str(m)
    return f"{place or '……'}, ngày {day} tháng {month} năm {local.year}"


def document_number(report: Report, head: Letterhead) -> str:
    """ "Số: 12/BC-UBND"; without a number, a blank the clerk fills in when registering."""
    symbol = head.symbol or _ascii_symbol(report.unit_code or "SIPAS")
    number_text = head.number.zfill(2) if head.number else "\u00a0" * 8
    return f"Số: {number_text}/BC-{symbol}"


def _ascii_symbol(code: str) -> str:
    kept = "".join(ch for ch in code.upper() if ch.isalnum() or ch in ".-")
    return kept[:30] or "SIPAS"


def agency_name(report: Report, head: Letterhead) -> str:
    return (head.agency or report.unit_name).upper()


def _header(doc: DocumentObject, report: Report, head: Letterhead) -> None:
    left, right, number_cell, date_cell = _borderless(doc, (HEAD_LEFT, HEAD_RIGHT), 2)
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    agency = agency_name(report, head)
    if head.parent_agency:
        _text(left.paragraphs[0], head.parent_agency.upper(), 13)
        _line(left, agency, 13, bold=True)
    else:
        _text(left.paragraphs[0], agency, 13, bold=True)
    _rule(left, 25, HEAD_LEFT - 2)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _text(right.paragraphs[0], QUOC_HIEU, 13, bold=True)
    _line(right, TIEU_NGU, 14, bold=True)
    _rule(right, TIEU_NGU_MM, HEAD_RIGHT - 2)
    number_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    number_cell.paragraphs[0].paragraph_format.space_before = Pt(6)
    _text(number_cell.paragraphs[0], document_number(report, head), 13)
    date_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    date_cell.paragraphs[0].paragraph_format.space_before = Pt(6)
    _text(
        date_cell.paragraphs[0],
        vn_date_line(head.place, report.generated_at),
        14,
        italic=True,
    )


def subject(report: Report) -> str:
    return (
        "Kết quả đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ của "
        f"{report.unit_name}, {_lower_first(report.period_label)}"
    )


def _title(doc: DocumentObject, report: Report) -> None:
    title = _line(doc, "BÁO CÁO", BODY_PT, bold=True)
    title.paragraph_format.space_before = Pt(18)
    _line(doc, subject(report), BODY_PT, bold=True)
    _rule(doc, 45, TEXT_WIDTH)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _closing(doc: DocumentObject, head: Letterhead) -> None:
    spacer = doc.add_paragraph()
    spacer.paragraph_format.keep_with_next = True
    recipients, signature = _borderless(doc, (80, TEXT_WIDTH - 80), 1)
    # Nơi nhận and the signature block stay together on one page (never split across two).
    row_pr = recipients._tc.getparent().get_or_add_trPr()
    row_pr.append(OxmlElement("w:cantSplit"))
    first = recipients.paragraphs[0]
    _text(first, "Nơi nhận:", 12, bold=True, italic=True)
    names = head.recipients or DEFAULT_RECIPIENTS
    for k, name in enumerate(names):
        end = "." if k == len(names) - 1 else ";"
        _line(recipients, f"- {name}{end}", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    signature.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = head.signer_title or DEFAULT_SIGNER_TITLE
    for k, line in enumerate(title.upper().split("\n")):
        if k == 0:
            _text(signature.paragraphs[0], line, 13, bold=True)
        else:
            _line(signature, line, 13, bold=True)
    _line(signature, SIGN_NOTE, 13, italic=True, after=60)
    _line(signature, head.signer_name or "Họ và tên", BODY_PT, bold=True)
    for paragraph in doc.paragraphs[-1:]:
        paragraph.paragraph_format.keep_with_next = False


# --- the summary and the charts --------------------------------------------------------------


def summary_lines(report: Report) -> list[str]:
    """The summary's sentences (those of the PDF)."""
    s = report.summary
    return [
        f"Kỳ báo cáo: {report.period_label}; đơn vị: {report.unit_name}"
        + (f" ({report.unit_code})" if report.unit_code else "")
        + f"; số liệu lập lúc {moment(report.generated_at)}.",
        f"Số người trả lời: {number(s.respondents, 0)}. Chỉ số SIPAS: {number(s.sipas)} % "
        f"(KTC 95 %: {number(s.ci_low)}–{number(s.ci_high)}), mục tiêu "
        f"{number(s.target, 0)} %: {s.flag}.",
        f"Số đơn vị phục vụ (có quầy) đạt mục tiêu: {s.units_meeting}/{s.units_assessed} đơn "
        f"vị có đủ phiếu ({s.units_ranked} đơn vị có quầy có phiếu trong kỳ; mỗi đơn vị tính "
        "một lần, đơn vị cấp trên là tổng gộp).",
        f"Thủ tục lĩnh vực đất đai, xây dựng, đầu tư: {number(s.land_respondents, 0)} người "
        f"trả lời, SIPAS {number(s.land_sipas)} % (KTC 95 %: {number(s.land_ci_low)}–"
        f"{number(s.land_ci_high)}), mục tiêu 85 %; đạt {s.land_units_meeting}/"
        f"{s.land_units_assessed} đơn vị.",
    ]


def _charts(doc: DocumentObject, report: Report) -> None:
    for k, (key, title) in enumerate(TITLES.items(), start=1):
        picture = doc.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True
        picture.add_run().add_picture(BytesIO(render(report, key, "png")), width=Mm(150))
        caption = _line(doc, f"Biểu đồ {k}. {title}", 12, italic=True, after=6)
        if key == "xep_hang" and report.ranking_note:
            _text(caption, f" ({report.ranking_note})", 12, italic=True)


# --- the tables -------------------------------------------------------------------------------


def _table(doc: DocumentObject, table: Table, k: int, width: float) -> None:
    caption = doc.add_paragraph()
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.keep_with_next = True
    _text(caption, f"Bảng {k}. {table.title}", 13, bold=True)
    caption._p.addnext(parse_xml(table_xml(table, width)))
    notes = [NO_DATA] if not table.rows else []
    if table.note:
        notes.append(table.note)
    after = doc.add_paragraph()
    after.paragraph_format.space_before = Pt(3)
    after.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _text(after, " ".join(notes), 12, italic=True)
