"""The import's first step (see :mod:`.importer`): the file read into columns (:class:`_Rows`,
file order, texts dictionary-encoded), with every format problem.

A CSV goes through :func:`.answerfile.read_answer_table` (columns, vectorised checks) plus one
more columnar read for ``submitted_at`` and ``comment``; when that finds a problem, or for a
workbook, every row is read again one by one with :func:`.csvfile._parse_row`, so that the
report names *every* bad row.  The names here are the importer's internals.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from openpyxl import load_workbook

import forms
from survey_app.services.clock import VN_TZ
from survey_app.services.exchange.answerfile import read_answer_table
from survey_app.services.exchange.csvfile import (
    META_COLUMNS,
    FileProblem,
    FileResponse,
    ResponseFileError,
    _parse_row,
    columns,
)
from survey_app.services.exchange.template import DATA_SHEET
from survey_app.services.storage.daystats import answer_matrix
from survey_app.services.text import clean as clean_text

_EPOCH = date(1970, 1, 1).toordinal()

# Messages of the format checks read here (the cells' own are csvfile's).
NOT_XLSX = "không đọc được tệp Excel ({reason})"
XLSX_TOO_BIG = "tệp Excel khi giải nén lớn hơn {mb} MB; hãy chia nhỏ hoặc lưu dạng CSV"
EMPTY_SHEET = "bảng tính trống, thiếu dòng tiêu đề"
DUPLICATE_COLUMN = "cột lặp lại trong dòng tiêu đề"
MISSING_COLUMN = "thiếu cột bắt buộc"
UNKNOWN_COLUMN = "cột không có trong định dạng tệp"
CELL_COUNT = "có {got} ô, cần {need}"
BAD_TYPE = "chỉ nhận tệp .csv hoặc .xlsx"


class ImportRefused(ValueError):
    """The file cannot be imported; nothing was stored. ``problems`` lists every bad row."""

    def __init__(self, problems: list[FileProblem]) -> None:
        problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("\n".join(str(p) for p in problems[:50]))
        self.problems = problems


@dataclass
class _Enc:
    """A text column, dictionary-encoded: row i's text is ``values[codes[i]]``."""

    codes: Any  # numpy int32 array, one code per row
    values: list[str]

    @classmethod
    def of(cls, texts: Sequence[str]) -> _Enc:
        index: dict[str, int] = {}
        codes = np.fromiter(
            (index.setdefault(t, len(index)) for t in texts), dtype=np.int32, count=len(texts)
        )
        return cls(codes, list(index))

    def texts(self) -> list[str]:
        values = self.values
        return [values[c] for c in self.codes.tolist()]


@dataclass
class _Rows:
    """The file's responses as columns (file order)."""

    lines: list[int]
    rid: list[str]
    moment: list[datetime]  # aware UTC
    day: list[date]
    unit: _Enc
    counter: _Enc
    procedure: _Enc
    target_group: _Enc
    channel: _Enc
    questionnaire: _Enc
    source: _Enc
    answers: Any  # (n, len(forms.all_item_codes())) int8 matrix, C order; 0 = empty
    comment: list[str]

    @property
    def n(self) -> int:
        return len(self.lines)


# --- reading -------------------------------------------------------------------------------


def _read(path: Path, xlsx_max_unpacked: int) -> tuple[_Rows, list[FileProblem]]:
    """The file's responses and its format problems (every bad row); a workbook may unpack
    to ``xlsx_max_unpacked`` bytes at most."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_records(_xlsx_records(path, xlsx_max_unpacked))
    if suffix != ".csv":
        raise ImportRefused([FileProblem(0, "", BAD_TYPE)])
    try:
        return _read_csv_fast(path), []
    except ResponseFileError as exc:
        if any(p.line <= 1 for p in exc.problems):  # encoding or header: nothing to add
            raise ImportRefused(exc.problems) from None
    except _Misaligned:
        pass
    return _read_records(_csv_records(path))


class _Misaligned(Exception):
    """The two columnar reads disagree on the rows (e.g. rows of empty cells): read again
    row by row."""


def _read_csv_fast(path: Path) -> _Rows:
    """Vectorised read of a CSV response file (raises ResponseFileError on any problem)."""
    table = read_answer_table(path, max_problems=1)
    with path.open("rb") as fh:
        first = fh.readline()
    header = next(csv.reader([first.decode("utf-8-sig")]))
    header = [h.strip() for h in header]
    wanted = [c for c in ("response_id", "submitted_at", "comment") if c in header]
    extra = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=16 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    n = table.n
    if extra.num_rows != n:
        raise _Misaligned()
    days = table.local_day.tolist()
    day_of = {d: date.fromordinal(d + _EPOCH) for d in set(days)}
    comments = extra.column("comment").to_pylist() if "comment" in wanted else [""] * n

    def enc(col: Any) -> _Enc:
        return _Enc(col.codes, list(col.values))

    return _Rows(
        lines=table.lines.tolist(),
        rid=[r.strip() for r in extra.column("response_id").to_pylist()],
        moment=[_utc(s) for s in extra.column("submitted_at").to_pylist()],
        day=[day_of[d] for d in days],
        unit=enc(table.unit),
        counter=enc(table.counter),
        procedure=enc(table.procedure),
        target_group=enc(table.target_group),
        channel=enc(table.channel),
        questionnaire=enc(table.questionnaire),
        source=enc(table.source),
        answers=_answer_matrix(table.answers, table.item_codes),
        comment=[_comment(c) if c else "" for c in comments],
    )


def _answer_matrix(matrix: Any, item_codes: Sequence[str]) -> Any:
    """The file's answers as a C-ordered int8 matrix over ``forms.all_item_codes()``."""
    codes = forms.all_item_codes()
    if tuple(item_codes) == codes:
        return np.ascontiguousarray(matrix, dtype=np.int8)
    out = np.zeros((matrix.shape[0], len(codes)), dtype=np.int8)
    for j, code in enumerate(item_codes):
        out[:, codes.index(code)] = matrix[:, j]
    return out


def _dicts_matrix(answers: Sequence[dict[str, int]]) -> Any:
    return answer_matrix(answers)


def _utc(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(UTC)


def _comment(raw: str | None) -> str:
    return clean_text(raw or "").strip()  # the input rule (services/text.py)


def _csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(physical line at which the record ends, cells) of a CSV file; line 1 = header."""
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([FileProblem(0, "", f"tệp không phải UTF-8 ({exc.reason})")]) from None
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise ImportRefused(
            [FileProblem(reader.line_num, "", f"không đọc được tệp CSV ({exc})")]
        ) from None


def _xlsx_records(path: Path, max_unpacked: int) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as texts) of the workbook's data sheet (``Phiếu`` or the first)."""
    try:  # a workbook is a zip: refuse one that would unpack to far more than a sheet needs
        with zipfile.ZipFile(path) as packed:
            unpacked = sum(info.file_size for info in packed.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(
            [FileProblem(0, "", NOT_XLSX.format(reason=type(exc).__name__))]
        ) from None
    if unpacked > max_unpacked:
        raise ImportRefused([FileProblem(0, "", XLSX_TOO_BIG.format(mb=max_unpacked >> 20))])
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML or openpyxl errors: not a workbook
        raise ImportRefused(
            [FileProblem(0, "", NOT_XLSX.format(reason=type(exc).__name__))]
        ) from None
    try:
        sheet = book[DATA_SHEET] if DATA_SHEET in book.sheetnames else book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_xlsx_text(v) for v in values]
    finally:
        book.close()


def _xlsx_text(value: Any) -> str:
    """A cell as the text a CSV would hold: whole numbers without ``.0``, moments in ISO 8601
    (a moment without a zone is Vietnam local time, METHOD §7)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_records(records: Iterable[tuple[int, list[str]]]) -> tuple[_Rows, list[FileProblem]]:
    """Row-by-row reading with exchange's checks; collects every problem."""
    it = iter(records)
    first = next(it, None)
    if first is None:
        raise ImportRefused([FileProblem(1, "", EMPTY_SHEET)])
    header = [h.strip() for h in first[1]]
    while header and not header[-1]:  # a workbook's empty trailing columns
        header.pop()
    allowed = columns()
    problems = [FileProblem(1, c, MISSING_COLUMN) for c in META_COLUMNS if c not in header]
    problems += [FileProblem(1, c or "?", UNKNOWN_COLUMN) for c in header if c not in allowed]
    problems += [
        FileProblem(1, c, DUPLICATE_COLUMN)
        for c, k in Tally(header).items()
        if k > 1 and c in allowed
    ]
    if problems:
        raise ImportRefused(problems)
    item_cols = [c for c in header if c in forms.all_item_codes()]
    questionnaires = forms.load_all()
    parsed_rows: list[FileResponse] = []
    for line, raw in it:
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue
        if len(cells) > len(header) and not any(cells[len(header) :]):
            cells = cells[: len(header)]  # a workbook's empty trailing cells
        if len(cells) != len(header):
            problems.append(
                FileProblem(line, "", CELL_COUNT.format(got=len(cells), need=len(header)))
            )
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            parsed = _parse_row(line, row, item_cols, questionnaires, problems)
        except ValueError:  # int() of unusual digits
            problems.append(FileProblem(line, "", "ô không đọc được"))
            continue
        if parsed is not None:
            parsed_rows.append(parsed)
    p = parsed_rows
    rows = _Rows(
        lines=[r.line for r in p],
        rid=[r.response_id for r in p],
        moment=[r.submitted_at.astimezone(UTC) for r in p],
        day=[r.local_day for r in p],
        unit=_Enc.of([r.unit_code for r in p]),
        counter=_Enc.of([r.counter_code for r in p]),
        procedure=_Enc.of([r.procedure_code for r in p]),
        target_group=_Enc.of([r.target_group for r in p]),
        channel=_Enc.of([r.channel for r in p]),
        questionnaire=_Enc.of([r.questionnaire for r in p]),
        source=_Enc.of([r.source for r in p]),
        answers=_dicts_matrix([r.answers for r in p]),
        comment=[_comment(r.comment) for r in p],
    )
    return rows, problems
