"""The DOCX report (issue 14, part 5): a Nghị định 30/2020/NĐ-CP administrative document
that python-docx and LibreOffice open, with every part of the form, the letterhead from
the settings or the options, and tables equal to the XLSX's cell for cell."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from docx.document import Document
from docx.shared import Emu, Pt
from flask import Flask
from flask.testing import FlaskCliRunner
from lxml import etree
from PIL import Image

from survey_app.services.reports import Letterhead, Report, ReportSpec, build, write
from survey_app.services.reports.docx import vn_date_line
from survey_app.services.reports.letterhead import from_config
from survey_app.services.reports.model import Table

from ..conftest import database_kind
from . import golden

# 2026-03-04 20:00 UTC is 5 March 03:00 in Vietnam: the date line's day.
SIGNED_AT = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
HEAD = Letterhead(
    parent_agency="UBND tỉnh Thử Nghiệm",
    agency="Sở Nội vụ",
    symbol="SNV",
    number="7",
    place="Thử Nghiệm",
    recipients=("UBND tỉnh (để b/c)", "Lưu: VT, CCHC"),
    signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
    signer_name="Nguyễn Văn An",
)


@pytest.fixture(scope="module")
def built_reports() -> dict[str, Report]:
    return {}


ONE_DATABASE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def report(request: pytest.FixtureRequest, app: Flask, built_reports: dict[str, Report]) -> Report:
    """The golden dataset's 2026-Q1 report, dated :data:`SIGNED_AT` (built once per
    database kind; the tests only read it)."""
    golden.build()
    kind = database_kind(request)
    if kind not in built_reports:
        made = build(ReportSpec("2026-Q1"))
        built_reports[kind] = dataclasses.replace(made, generated_at=SIGNED_AT)
    return built_reports[kind]


@pytest.fixture
def files(report: Report, tmp_path: Path) -> tuple[Path, Path]:
    """The DOCX (with :data:`HEAD`) and the XLSX of the report."""
    return (
        write(report, tmp_path / "bc.docx", "docx", HEAD),
        write(report, tmp_path / "bc.xlsx", "xlsx"),
    )


def mm(length: Any) -> float:
    return round(Emu(length).mm, 1)


def texts(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_the_docx_has_every_part_of_a_decree_30_document(files: tuple[Path, Path]) -> None:
    doc = docx.Document(str(files[0]))
    section = doc.sections[0]
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)  # A4
    margins = (section.top_margin, section.bottom_margin, section.left_margin)
    assert [mm(m) for m in margins] == [20, 20, 30] and mm(section.right_margin) == 15
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)  # type: ignore[union-attr]
    assert section.different_first_page_header_footer  # no page number on page 1
    assert 'w:instr="PAGE"' in section.header._element.xml

    header = doc.tables[0]
    agency, nation = header.cell(0, 0), header.cell(0, 1)
    assert [p.text for p in agency.paragraphs if p.text] == ["UBND TỈNH THỬ NGHIỆM", "SỞ NỘI VỤ"]
    assert agency.paragraphs[1].runs[0].bold and not agency.paragraphs[0].runs[0].bold
    assert [p.text for p in nation.paragraphs if p.text] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert all(p.runs[0].bold for p in nation.paragraphs if p.text)
    rules = [p for p in (*agency.paragraphs, *nation.paragraphs) if "w:pBdr" in p._p.xml]
    assert len(rules) == 2  # the short rules under the agency and the Tiêu ngữ
    assert header.cell(1, 0).text == "Số: 07/BC-SNV"
    date_line = header.cell(1, 1).paragraphs[0]
    assert date_line.text == "Thử Nghiệm, ngày 05 tháng 3 năm 2026"
    assert date_line.runs[0].italic

    body = texts(doc)
    title = body.index("BÁO CÁO")
    assert doc.paragraphs[title].runs[0].bold
    assert body[title + 1].startswith("Kết quả đo lường sự hài lòng của người dân, tổ chức")
    assert "Tỉnh Thử Nghiệm, quý I/2026 (từ 1/1/2026 đến 31/3/2026)" in body[title + 1]
    headings = [t for t in body if t[:4] in ("I. K", "II. ", "III.")]
    assert headings == ["I. KẾT QUẢ CHUNG", "II. SỐ LIỆU CHI TIẾT", "III. GHI CHÚ PHƯƠNG PHÁP"]
    assert body.index("I. KẾT QUẢ CHUNG") > title
    assert any(t.startswith("Số người trả lời: 127. Chỉ số SIPAS: 80,0 %") for t in body)
    assert body[-1] == "" and any(t.endswith("./.") for t in body)  # the body's last line

    closing = doc.tables[-1]
    recipients = [p.text for p in closing.cell(0, 0).paragraphs]
    assert recipients == ["Nơi nhận:", "- UBND tỉnh (để b/c);", "- Lưu: VT, CCHC."]
    assert closing.cell(0, 0).paragraphs[0].runs[0].italic
    signature = [p.text for p in closing.cell(0, 1).paragraphs]
    assert signature == [
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "(Ký, ghi rõ họ tên, đóng dấu)",
        "Nguyễn Văn An",
    ]
    assert doc.core_properties.language == "vi-VN"


def test_the_methods_note_says_what_the_figures_are(files: tuple[Path, Path]) -> None:
    body = "\n".join(texts(docx.Document(str(files[0]))))
    start = body.index("III. GHI CHÚ PHƯƠNG PHÁP")
    note = body[start:]
    assert "tự đo lường của cơ quan" in note
    assert "không phải Chỉ số SIPAS quốc gia do Bộ Nội vụ" in note
    assert "hộ gia đình" in note
    for way in ("mã QR tại quầy", "máy tính bảng", "lời mời gửi theo hồ sơ"):
        assert way in note
    assert "phiếu xác thực" in note and "phiếu mở" in note
    assert "Độ bao phủ" in note and "tỉ lệ phản hồi" in note
    assert "Khoảng tin cậy 95 %" in note


def xlsx_text(kind: str, value: Any) -> str:
    """An XLSX cell as the report prints it, written out here: one decimal with a comma,
    thousands with a dot, changes signed."""
    if value is None:
        return "" if kind == "text" else "–"
    if kind == "text":
        return str(value)
    if kind == "int":
        return f"{int(value):,}".replace(",", ".")
    text = f"{abs(value):,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if kind == "pp" and round(value, 1) != 0:
        return ("+" if value > 0 else "-") + text
    return ("-" if value < 0 and round(value, 1) != 0 else "") + text


def xlsx_rows(book: Any, table: Table) -> list[list[str]]:
    """A table's sheet as text, its interval columns (two in the XLSX) joined as one."""
    sheet = book[table.key]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    out = []
    for values in rows:
        cells, k = [], 0
        for column in table.columns:
            if column.kind == "ci":
                low, high = values[k], values[k + 1]
                header = values is rows[0]
                if header:
                    cells.append(str(low).removesuffix(" – cận dưới"))
                elif low is None or high is None:
                    cells.append("–")
                else:
                    cells.append(f"{xlsx_text('pct', low)}–{xlsx_text('pct', high)}")
                k += 2
            else:
                kind = "text" if values is rows[0] else column.kind
                cells.append(xlsx_text(kind, values[k]))
                k += 1
        out.append(cells)
    return out


def test_the_docx_tables_equal_the_xlsx_tables(report: Report, files: tuple[Path, Path]) -> None:
    doc = docx.Document(str(files[0]))
    book = openpyxl.load_workbook(files[1])
    tables = doc.tables[1:-1]  # between the header and the closing
    assert len(tables) == len(report.tables) >= 11
    for table, word in zip(report.tables, tables, strict=True):
        shown = [[cell.text for cell in row.cells] for row in word.rows]
        assert shown == xlsx_rows(book, table), table.key
        assert "<w:tblHeader/>" in word.rows[0]._tr.xml  # repeated on every page
        assert len(shown) == len(table.rows) + 1
    ranking = tables[report.table_keys.index("xep_hang")]
    first = [c.text for c in ranking.rows[1].cells]
    assert first[:5] == ["–", "P", "Tỉnh Thử Nghiệm (toàn bộ)", "127", "80,0"]
    captions = [t for t in texts(doc) if t.startswith("Bảng ")]
    assert captions[0] == "Bảng 1. Tóm tắt" and len(captions) == len(report.tables)


def test_wide_tables_are_on_landscape_pages(files: tuple[Path, Path]) -> None:
    doc = docx.Document(str(files[0]))
    kinds = [s.page_width > s.page_height for s in doc.sections]
    assert kinds[0] is False and True in kinds and kinds[-1] is False
    for section in doc.sections[1:]:
        assert not section.different_first_page_header_footer  # numbered from its first page
        assert mm(section.left_margin) == 30


def test_the_defaults_leave_blanks_to_fill_in(report: Report, tmp_path: Path) -> None:
    doc = docx.Document(str(write(report, tmp_path / "a.docx", "docx")))
    header = doc.tables[0]
    assert [p.text for p in header.cell(0, 0).paragraphs if p.text] == ["TỈNH THỬ NGHIỆM"]
    assert header.cell(1, 0).text == "Số: " + "\u00a0" * 8 + "/BC-P"
    assert header.cell(1, 1).text.startswith("……, ngày 05 tháng 3 năm 2026")
    closing = doc.tables[-1]
    assert [p.text for p in closing.cell(0, 0).paragraphs] == [
        "Nơi nhận:",
        "- Lãnh đạo cơ quan (để báo cáo);",
        "- Lưu: VT.",
    ]
    assert [p.text for p in closing.cell(0, 1).paragraphs] == [
        "THỦ TRƯỞNG CƠ QUAN",
        "(Ký, ghi rõ họ tên, đóng dấu)",
        "Họ và tên",
    ]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 1, 5, 3, tzinfo=UTC), "Hà Nội, ngày 05 tháng 01 năm 2026"),
        (datetime(2026, 2, 28, 12, tzinfo=UTC), "Hà Nội, ngày 28 tháng 02 năm 2026"),
        (datetime(2026, 11, 12, 3, tzinfo=UTC), "Hà Nội, ngày 12 tháng 11 năm 2026"),
        (datetime(2026, 9, 30, 18, tzinfo=UTC), "Hà Nội, ngày 01 tháng 10 năm 2026"),  # VN day
    ],
)
def test_the_date_line_pads_as_the_decree_says(when: datetime, expected: str) -> None:
    assert vn_date_line("Hà Nội", when) == expected


def test_the_letterhead_from_the_settings_under_the_options() -> None:
    config = {
        "REPORT_AGENCY": "Sở Nội vụ",
        "REPORT_SYMBOL": "snv",
        "REPORT_RECIPIENTS": "- Như trên; UBND tỉnh (để b/c);\nLưu: VT.",
        "REPORT_SIGNER_TITLE": "KT. GIÁM ĐỐC; PHÓ GIÁM ĐỐC",
        "REPORT_PLACE": "",
    }
    head = from_config(config, place="Hà Nội", agency=None, recipients=())
    assert head.agency == "Sở Nội vụ" and head.symbol == "SNV" and head.place == "Hà Nội"
    assert head.recipients == ("Như trên", "UBND tỉnh (để b/c)", "Lưu: VT")
    assert head.signer_title == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    head.validate()
    assert from_config({"REPORT_RECIPIENTS": ["A", "B;"]}).recipients == ("A", "B")
    assert from_config({}, recipients=("Nơi khác",)).recipients == ("Nơi khác",)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("symbol", "BC UBND!", "Ký hiệu cơ quan"),
        ("number", "12a", "Số văn bản"),
        ("agency", "X" * 201, "Cơ quan ban hành: dài quá 200 ký tự"),
        ("recipients", tuple(f"N{i}" for i in range(21)), "Nơi nhận"),
    ],
)
def test_a_bad_letterhead_is_refused_with_its_field(field: str, value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Letterhead(**{field: value}).validate()


def test_sipas_report_writes_the_docx_with_its_options(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path
) -> None:
    golden.build()
    app.config["REPORT_PLACE"] = "Thử Nghiệm"
    out = tmp_path / "bc.docx"
    args = ["report", "--period", "2026-Q1", "--out", str(out), "--format", "docx"]
    result = runner.invoke(args=[*args, "--number", "3", "--recipient", "Như trên"])
    assert result.exit_code == 0, result.output
    doc = docx.Document(str(out))
    assert doc.tables[0].cell(1, 0).text == "Số: 03/BC-P"
    assert doc.tables[0].cell(1, 1).text.startswith("Thử Nghiệm, ngày ")
    assert doc.tables[-1].cell(0, 0).paragraphs[1].text == "- Như trên."


@ONE_DATABASE
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--out", "x.xlsx", "--format", "docx"], "định dạng docx cần tệp có đuôi .docx"),
        (["--out", "x.xlsx", "--agency", "Sở Nội vụ"], "--agency"),
        (["--out", "x.docx", "--symbol", "bad symbol"], "Ký hiệu cơ quan"),
        (["--out", "x.docx", "--number", "số 5"], "Số văn bản"),
        (["--out", "x.odt"], ".docx"),
    ],
)
def test_bad_docx_options_exit_2_with_the_reason(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path, args: list[str], words: str
) -> None:
    folder = tmp_path / "out"
    args = [a if not a.startswith("x.") else str(folder / a) for a in args]
    result = runner.invoke(args=["report", "--period", "2026-Q1", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert not folder.exists()  # nothing written


def _soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        reason = "soffice not installed: apt-get install libreoffice-writer-nogui"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the DOCX render test must run in CI)")
        pytest.skip(reason)
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{tool} not installed (poppler-utils; CI=true)")
            pytest.skip(f"{tool} not installed: apt-get install poppler-utils")
    return found


@ONE_DATABASE
def test_libreoffice_renders_the_docx(files: tuple[Path, Path], tmp_path: Path) -> None:
    """LibreOffice (headless) opens the DOCX and prints it to PDF; poppler rasterises the
    pages: each has ink on it, and the text keeps its diacritics."""
    soffice = _soffice()
    profile = tmp_path / "lo-profile"  # its own profile: parallel runs do not collide
    out = tmp_path / "pdf"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(files[0]),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = out / "bc.pdf"
    assert pdf.is_file()
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for phrase in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Nơi nhận"):
        assert phrase in text
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) > 1
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            dark = sum(grey.histogram()[:128])
        assert dark > 200, page.name  # not blank


# The order of the children the writer uses, from the WordprocessingML schema (ECMA-376
# Part 1, 17.3.1.26 pPr, 17.3.2.28 rPr, 17.4.60 tblPr, 17.4.70 tcPr): Word refuses a file
# whose children are out of order, where LibreOffice and python-docx read it anyway.
SCHEMA_ORDER = {
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
    "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs "
    "highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish "
    "oMath",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize "
    "tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
    "tblDescription",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
    "tcFitText vAlign hideMark",
}


def test_the_docx_elements_follow_the_schema_order(files: tuple[Path, Path]) -> None:
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(files[0]) as archive:
        parts = [archive.read(name) for name in ("word/document.xml", "word/styles.xml")]
    checked = 0
    for part in parts:
        root = etree.fromstring(part)
        for parent, order in SCHEMA_ORDER.items():
            rank = {name: k for k, name in enumerate(order.split())}
            for element in root.iter(w + parent):
                names = [etree.QName(c).localname for c in element]
                known = [rank[n] for n in names if n in rank]
                assert known == sorted(known), f"{parent}: {names}"
                checked += 1
    assert checked > 1000
