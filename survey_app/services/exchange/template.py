"""The template workbook for keying paper questionnaires (or any other survey) for import.

Three sheets: ``Hướng dẫn`` (instructions in Vietnamese), ``Phiếu`` (the data: row 1 holds the
column codes of the ``sipas export`` file, one row per questionnaire below it, drop-downs on
every coded column) and ``Danh mục`` (the unit, counter and procedure codes the drop-downs
offer, with their names).  A workbook filled from it imports with ``sipas import`` or the web
page as it is.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Unit, unit_procedures
from survey_app.services.exchange.csvfile import TARGET_GROUPS, VERIFIED, columns

DATA_SHEET = "Phiếu"
HELP_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
ROWS = 5000  # rows of the data sheet that carry the drop-downs
PLACE = "Nơi giải quyết thủ tục"

META_HELP = {
    "response_id": "Để trống khi nhập phiếu giấy. Chỉ tệp xuất từ SIPAS có cột này; giữ "
    "nguyên khi nhập lại.",
    "submitted_at": "Ngày giờ người dân đánh giá, giờ Việt Nam: 2026-03-01 08:30 hoặc chỉ "
    "ngày 2026-03-01. Bắt buộc.",
    "unit_code": "Mã đơn vị (chọn trong danh sách; tên ở trang Danh mục). Bắt buộc.",
    "counter_code": "Mã quầy của chính đơn vị đó; có thể để trống.",
    "procedure_code": "Mã thủ tục hành chính (ví dụ 1.004227); có thể để trống.",
    "target_group": "chung, hoặc dat_dai_xay_dung_dau_tu cho thủ tục đất đai, xây dựng, đầu "
    "tư (phải khớp với nhóm của thủ tục). Bắt buộc.",
    "channel": "Hình thức nộp hồ sơ: truc_tiep, truc_tuyen_toan_trinh, truc_tuyen_mot_phan, "
    "buu_chinh; có thể để trống.",
    "questionnaire": "Mẫu phiếu: sipas-2024-dv (phiếu đầy đủ) hoặc sipas-2024-nhanh (phiếu "
    "rút gọn). Bắt buộc.",
    "source": "Nguồn: để trống là phiếu giấy (paper); hoặc tên hệ thống gửi dữ liệu.",
    "comment": "Ý kiến khác của người dân (chép nguyên văn; tối đa 2.000 ký tự).",
}

INSTRUCTIONS = (
    "Mẫu nhập phiếu khảo sát SIPAS",
    "",
    "1. Nhập ở trang «Phiếu»: mỗi phiếu một dòng, bắt đầu từ dòng 2. Không sửa, không xoá, "
    "không đổi thứ tự dòng 1 (mã cột).",
    "2. Câu trả lời là mã số: chọn trong danh sách thả xuống của ô. Ô để trống nghĩa là "
    "«Không có ý kiến» (không tính vào chỉ số).",
    "3. Chỉ điền các câu có trên mẫu phiếu đã chọn ở cột questionnaire; các cột khác để trống.",
    "4. Mã đơn vị, quầy, thủ tục: xem trang «Danh mục». Quầy phải thuộc đơn vị của dòng đó.",
    "5. Không ghi họ tên, số điện thoại, số định danh của người dân vào bất cứ ô nào.",
    "6. Lưu tệp dạng .xlsx rồi tải lên ở trang «Nhập dữ liệu» (hoặc lệnh sipas import).",
    "",
    "Khi nhập: nếu có dù chỉ một dòng sai, không dòng nào được lưu; danh sách lỗi chỉ rõ dòng, "
    "cột và lý do để sửa rồi tải lên lại.",
    "Tải lên lại cùng một tệp không tạo phiếu trùng: các dòng đã nhập được nhận ra và bỏ qua. "
    "Hai phiếu giống hệt nhau trong cùng một tệp vẫn là hai người dân, được nhập cả hai.",
    "",
    "Mã câu trả lời:",
    "Câu A1–E3, A0–E0: 1 Rất không hài lòng · 2 Không hài lòng · 3 Bình thường · 4 Hài lòng · "
    "5 Rất hài lòng.",
    "Q5: 1 Không có công chức nào gây phiền hà, sách nhiễu · 2 Có một số công chức gây phiền "
    "hà, sách nhiễu · 3 Có nhiều công chức gây phiền hà, sách nhiễu.",
    "Q6: 1 Không phải đưa tiền ngoài quy định · 2 Có lúc phải đưa tiền ngoài quy định · "
    "3 Thường xuyên phải đưa tiền ngoài quy định.",
    "X5–X10: 1 Không mong muốn · 2 Khá mong muốn · 3 Mong muốn · 4 Rất mong muốn.",
    "",
    "Ví dụ một dòng (phiếu đầy đủ, phiếu giấy): submitted_at 2026-03-02 09:15, unit_code "
    "(mã đơn vị), target_group chung, channel truc_tiep, questionnaire sipas-2024-dv, "
    "A1 5, A2 4, …, D1 để trống (chưa nhận kết quả).",
)

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)


def _put(ws: Worksheet, row: int, column: int, value: str | None) -> Cell:
    """A cell holding ``value`` as text: openpyxl writes a text that begins with ``=`` as a
    formula, so a unit or counter name an administrator typed would run in Excel; a text
    cell keeps it exactly (nothing to undo when the workbook comes back)."""
    cell = ws.cell(row=row, column=column, value=value)
    if value is not None:
        cell.data_type = "s"
    return cell


def _item_help() -> dict[str, tuple[str, list[int]]]:
    """Item code → (text, answer codes), from every shipped questionnaire."""
    out: dict[str, tuple[str, list[int]]] = {}
    for q in forms.load_all().values():
        for item in q.items:
            wording = item.text.get("vi").replace("{place}", PLACE)
            values = sorted(item.scale.values)
            labels = " · ".join(
                f"{o.value} {o.label.get('vi')}"
                for o in sorted(item.scale.options, key=lambda o: o.value)
            )
            out.setdefault(item.code, (f"{wording} ({labels})", values))
    return out


def _lists(
    unit_ids: set[int] | None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    units = select(Unit.id, Unit.code, Unit.name).order_by(Unit.code)
    rows = [
        (uid, code, name)
        for uid, code, name in db.session.execute(units)
        if unit_ids is None or uid in unit_ids
    ]
    ids = [r[0] for r in rows]
    counters = list(
        db.session.execute(
            select(Unit.code, Counter.code, Counter.name)
            .join(Unit, Unit.id == Counter.unit_id)
            .where(Counter.unit_id.in_(ids))
            .order_by(Unit.code, Counter.code)
        )
    )
    proc_query = select(Procedure.code, Procedure.name, Procedure.target_group)
    if unit_ids is not None:
        proc_query = proc_query.where(
            Procedure.id.in_(
                select(unit_procedures.c.procedure_id).where(unit_procedures.c.unit_id.in_(ids))
            )
        )
    procedures = list(db.session.execute(proc_query.order_by(Procedure.code)))
    return (
        [(c, n) for _, c, n in rows],
        [(c[0], c[1], c[2]) for c in counters],
        [(p[0], p[1], p[2]) for p in procedures],
    )


def build(unit_ids: set[int] | None = None) -> bytes:
    """The template workbook for the units ``unit_ids`` (``None``: every unit), as bytes."""
    units, counters, procedures = _lists(unit_ids)
    book = Workbook()
    help_sheet = book.active
    help_sheet.title = HELP_SHEET
    data = book.create_sheet(DATA_SHEET)
    lists = book.create_sheet(LISTS_SHEET)
    _instructions(help_sheet)
    _catalogue(lists, units, counters, procedures)
    _data_sheet(data, units, counters, procedures)
    book.active = 1  # open on the data sheet
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _instructions(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 110
    row = 1
    for line in INSTRUCTIONS:
        cell = _put(ws, row, 1, line or None)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row == 1:
            cell.font = Font(bold=True, size=14)
        elif len(line) > 120:  # merged cells do not grow by themselves
            ws.row_dimensions[row].height = 15 * (1 + len(line) // 120)
        row += 1
    row += 1
    head = _put(ws, row, 1, "Cột")
    head.font = BOLD
    _put(ws, row, 2, "Cách điền").font = BOLD
    items = _item_help()
    for code in _entered():
        row += 1
        _put(ws, row, 1, code).alignment = Alignment(vertical="top")
        meaning = META_HELP.get(code) or items.get(code, ("", []))[0]
        cell = _put(ws, row, 2, meaning)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 15 * (1 + len(meaning) // 105)
    ws.page_setup.orientation = "landscape"  # printed: one page wide
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _catalogue(
    ws: Worksheet,
    units: list[tuple[str, str]],
    counters: list[tuple[str, str, str]],
    procedures: list[tuple[str, str, str]],
) -> None:
    heads = {
        1: "unit_code",
        2: "Tên đơn vị",
        4: "counter_code",
        6: "unit_code",
        7: "counter_code",
        8: "Tên quầy",
        10: "procedure_code",
        11: "Tên thủ tục",
        12: "target_group",
    }
    for col, title in heads.items():
        _put(ws, 1, col, title).font = BOLD
    _column(ws, 1, (c for c, _ in units))
    _column(ws, 2, (n for _, n in units))
    _column(ws, 4, sorted({c for _, c, _ in counters}))
    for k, (unit, code, name) in enumerate(counters, start=2):
        for col, value in ((6, unit), (7, code), (8, name)):
            _put(ws, k, col, value)
    for k, (code, name, group) in enumerate(procedures, start=2):
        for col, value in ((10, code), (11, name), (12, group)):
            _put(ws, k, col, value)
    for col, width in (
        (1, 14),
        (2, 50),
        (4, 14),
        (6, 14),
        (7, 14),
        (8, 30),
        (10, 14),
        (11, 60),
        (12, 26),
    ):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"


def _column(ws: Worksheet, col: int, values: Iterable[str]) -> None:
    for k, value in enumerate(values, start=2):
        _put(ws, k, col, value)


def _data_sheet(
    ws: Worksheet,
    units: list[tuple[str, str]],
    counters: list[tuple[str, str, str]],
    procedures: list[tuple[str, str, str]],
) -> None:
    header = _entered()
    items = _item_help()
    for col, code in enumerate(header, start=1):
        cell = _put(ws, 1, col, code)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        note = META_HELP.get(code) or items.get(code, ("", []))[0]
        if note:
            cell.comment = Comment(note, "SIPAS", width=320, height=120)
        width = {
            "submitted_at": 18,
            "comment": 50,
            "procedure_code": 15,
            "target_group": 24,
            "channel": 22,
            "questionnaire": 18,
            "unit_code": 12,
            "counter_code": 12,
            "response_id": 12,
        }.get(code, 5)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "B2"

    def span(code: str) -> str:
        letter = get_column_letter(header.index(code) + 1)
        return f"{letter}2:{letter}{ROWS + 1}"

    def add(code: str, formula: str, message: str) -> None:
        rule = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Giá trị không hợp lệ",
            error=message,
        )
        rule.add(span(code))
        ws.add_data_validation(rule)

    sheet = f"'{LISTS_SHEET}'"
    if units:
        add(
            "unit_code",
            f"{sheet}!$A$2:$A${len(units) + 1}",
            "Chọn mã đơn vị trong danh sách (trang Danh mục).",
        )
    distinct = len({c for _, c, _ in counters})
    if distinct:
        add(
            "counter_code",
            f"{sheet}!$D$2:$D${distinct + 1}",
            "Chọn mã quầy trong danh sách hoặc để trống.",
        )
    if procedures:
        add(
            "procedure_code",
            f"{sheet}!$J$2:$J${len(procedures) + 1}",
            "Chọn mã thủ tục trong danh sách hoặc để trống.",
        )
    add("target_group", f'"{",".join(TARGET_GROUPS)}"', "Chọn chung hoặc dat_dai_xay_dung_dau_tu.")
    add("channel", f'"{",".join(forms.CHANNELS)}"', "Chọn hình thức nộp hoặc để trống.")
    add("questionnaire", f'"{",".join(forms.load_all())}"', "Chọn mẫu phiếu.")
    for code, (_, values) in items.items():
        low, high = min(values), max(values)
        add(
            code,
            f'"{",".join(str(v) for v in values)}"',
            f"Chọn {low}–{high} hoặc để trống (Không có ý kiến).",
        )


def _entered() -> tuple[str, ...]:
    """The columns a template is filled in with: the response file's, without ``verified``
    (an imported row has no dossier, so it is never verified)."""
    return tuple(c for c in columns() if c != VERIFIED)
