"""A dossier file (CSV or XLSX) read row by row into :func:`.ingest.ingest`, and its
template workbook.

The file's checks are the response import's (:mod:`..exchange.filecheck`): a CSV must be
UTF-8 (with or without a BOM), without NUL bytes or lone CR line ends, separated by ``,``,
``;`` or tabs; a workbook is held to the import's limits while its rows stream in. A CSV is
read as a stream (``csv`` over the open file): nothing of the file is kept but the rows of the
chunk being written. Columns: :data:`.ingest.FIELDS` (header row, any order; the optional
ones may be left out).
"""

from __future__ import annotations

import csv
import io
from collections import Counter as Tally
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from survey_app.models.dossiers import CHANNELS, OUTCOMES
from survey_app.services.dossiers.columns import Columns, read_table
from survey_app.services.dossiers.ingest import (
    FIELDS,
    REQUIRED_COLUMNS,
    DossiersRefused,
    IngestResult,
    Problem,
    ingest,
    run,
)
from survey_app.services.exchange.csvfile import FileProblem
from survey_app.services.exchange.filecheck import (
    UNREADABLE_CSV,
    ImportRefused,
    Limits,
    check_csv_bytes,
    xlsx_records,
)
from survey_app.services.formatting import spreadsheet_value

SUFFIXES = (".csv", ".xlsx")
XLSX_MAX_UNPACKED = 512 << 20
SHEET = "Hồ sơ"
BOLD = Font(bold=True)


def _refused(refused: ImportRefused) -> DossiersRefused:
    """A file check's refusal as the dossier import's (the same problems)."""
    return DossiersRefused(
        [Problem(p.line, p.column, str(p.message)) for p in refused.problems], refused.more
    )


def _csv_records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            raise ImportRefused(
                [FileProblem(reader.line_num, "", UNREADABLE_CSV.format(reason=exc))]
            ) from None


def _header(cells: list[str]) -> list[str]:
    """The header's column names; refuses the file at line 1 for missing, unknown or
    repeated columns."""
    header = [h.strip().lstrip("\ufeff") for h in cells]
    while header and not header[-1]:
        header.pop()
    problems = [Problem(1, c, _("thiếu cột bắt buộc")) for c in REQUIRED_COLUMNS if c not in header]
    problems += [
        Problem(1, c or "?", _("cột không có trong định dạng tệp hồ sơ"))
        for c in header
        if c not in FIELDS
    ]
    problems += [
        Problem(1, c, _("cột lặp lại trong dòng tiêu đề"))
        for c, k in Tally(header).items()
        if k > 1 and c in FIELDS
    ]
    if problems:
        raise DossiersRefused(problems)
    return header


def _rows(
    records: Iterator[tuple[int, list[str]]], csv_cells: bool
) -> Iterator[tuple[int, dict[str, str] | Problem]]:
    """The data rows as field → cell; the header checked first (missing, unknown or repeated
    columns refuse the file at line 1)."""
    first = next(records, None)
    if first is None:
        raise DossiersRefused([Problem(1, "", _("tệp trống, thiếu dòng tiêu đề"))])
    header = _header(first[1])
    width = len(header)
    for line, cells in records:
        joined = "".join(cells)
        if not joined or joined.isspace():
            continue
        if len(cells) > width and not "".join(cells[width:]).strip():
            cells = cells[:width]
        elif len(cells) < width and not csv_cells:  # a workbook row ends at its last cell
            cells = cells + [""] * (width - len(cells))
        if len(cells) != width:
            message = _("có %(got)s ô, cần %(need)s", got=len(cells), need=width)
            yield line, Problem(line, "", message)
            continue
        if csv_cells and "'" in joined:  # undo the formula guard of CSV files sipas writes
            cells = [spreadsheet_value(c) if c[:1] == "'" else c for c in cells]
        yield line, dict(zip(header, cells, strict=True))


def import_file(
    path: Path,
    *,
    allowed: set[int] | None = None,
    dry_run: bool = False,
    before_commit: Any = None,
) -> IngestResult:
    """Import a dossier file (CSV or XLSX), all or nothing (:func:`.ingest.ingest`); raises
    :class:`.ingest.DossiersRefused` naming every bad row (line, column, reason)."""
    suffix = path.suffix.lower()
    limits = Limits.from_config(current_app.config, XLSX_MAX_UNPACKED)
    try:
        if suffix == ".xlsx":
            records = _rows(xlsx_records(path, limits), csv_cells=False)
        elif suffix == ".csv":
            delimiter = check_csv_bytes(path)
            table = read_table(path, delimiter)
            if table is not None:
                _header(table[0])  # the header's problems refuse the file at line 1
                return run(
                    Columns(*table),
                    allowed=allowed,
                    dry_run=dry_run,
                    preload=True,
                    check_keys=False,
                    before_commit=before_commit,
                )
            records = _rows(_csv_records(path, delimiter), csv_cells=True)
        else:
            raise DossiersRefused([Problem(0, "", _("chỉ nhận tệp .csv hoặc .xlsx"))])
        return ingest(
            records,
            allowed=allowed,
            dry_run=dry_run,
            preload=True,
            check_keys=False,
            before_commit=before_commit,
        )
    except ImportRefused as refused:
        raise _refused(refused) from None


def problems_text(refused: DossiersRefused) -> str:
    """The problems, one a line, and how many more (the command line's standard error)."""
    text = "\n".join(str(p) for p in refused.problems)
    if refused.more:
        text += "\n" + _("… và %(n)s lỗi khác", n=refused.more)
    return text


# --- the template workbook ------------------------------------------------------------------

EXAMPLE = {
    "code": "H15.50.05.13-261008-0975",
    "procedure_code": "1.004227",
    "receiving_unit": "",
    "receiving_counter": "",
    "resolving_unit": "",
    "channel": "truc_tiep",
    "received_at": "2026-10-08T08:30:00+07:00",
    "due_date": "2026-10-22",
    "returned_at": "",
    "outcome": "dang_xu_ly",
    "supplements": "0",
    "apology_sent": "0",
}


def _about() -> dict[str, str]:
    return {
        "code": _("Mã hồ sơ (bắt buộc), dạng {mã cơ quan}-{yyMMdd}-{số thứ tự}."),
        "procedure_code": _("Mã thủ tục hành chính (bắt buộc), vd. 1.004227."),
        "receiving_unit": _("Mã đơn vị tiếp nhận (bắt buộc)."),
        "receiving_counter": _("Mã quầy tiếp nhận của đơn vị đó (không bắt buộc)."),
        "resolving_unit": _("Mã đơn vị giải quyết (bắt buộc; có thể khác đơn vị tiếp nhận)."),
        "channel": _("Hình thức nộp: %(codes)s; hoặc để trống.", codes=", ".join(CHANNELS)),
        "received_at": _(
            "Thời điểm tiếp nhận, ISO 8601; không ghi múi giờ thì hiểu là giờ Việt Nam."
        ),
        "due_date": _("Ngày hẹn trả kết quả, YYYY-MM-DD (bắt buộc)."),
        "returned_at": _(
            "Thời điểm trả kết quả, từ chối hoặc rút hồ sơ; bắt buộc khi kết quả là da_tra, "
            "tu_choi hoặc rut; để trống khi dang_xu_ly."
        ),
        "outcome": _("Kết quả: %(codes)s (bắt buộc).", codes=", ".join(OUTCOMES)),
        "supplements": _("Số lần yêu cầu bổ sung hồ sơ (số nguyên, để trống = 0)."),
        "apology_sent": _("Đã gửi thư xin lỗi: 1 hoặc 0 (có/không; để trống = không)."),
    }


def template(units: list[str], counters: list[str]) -> bytes:
    """The template workbook: the data sheet (the header, drop-downs for the codes) first,
    then a guide sheet with one line per column and an example value."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has its sheet
    sheet.title = SHEET
    sheet.append(list(FIELDS))
    for col, field in enumerate(FIELDS, start=1):
        sheet.cell(1, col).font = BOLD
        sheet.column_dimensions[sheet.cell(1, col).column_letter].width = max(14, len(field) + 4)
    lists = {
        "channel": ",".join(CHANNELS),
        "outcome": ",".join(OUTCOMES),
        "apology_sent": "0,1",
    }
    if units and len(",".join(units)) < 250:
        lists["receiving_unit"] = lists["resolving_unit"] = ",".join(units)
    for field, allowed in lists.items():
        letter = sheet.cell(1, FIELDS.index(field) + 1).column_letter
        check = DataValidation(type="list", formula1=f'"{allowed}"', allow_blank=True)
        check.add(f"{letter}2:{letter}100000")
        sheet.add_data_validation(check)
    guide = book.create_sheet(_("Hướng dẫn"))
    guide.append([_("Cột"), _("Nội dung"), _("Ví dụ")])
    about = _about()
    example = dict(EXAMPLE)
    if units:
        example["receiving_unit"] = example["resolving_unit"] = units[0]
    for field in FIELDS:
        guide.append([field, about[field], example[field]])
    guide.append([])
    guide.append(
        [
            "",
            _(
                "Mỗi hồ sơ một dòng. Nhập lại cùng tệp không tạo hồ sơ trùng: hồ sơ giống hệt "
                "được bỏ qua, hồ sơ đã thay đổi (vd. đã trả kết quả) được cập nhật. Khi còn "
                "một dòng sai, không dòng nào được lưu."
            ),
        ]
    )
    if counters:
        guide.append([_("Quầy"), ", ".join(counters)[:30000]])
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 90
    guide.column_dimensions["C"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
