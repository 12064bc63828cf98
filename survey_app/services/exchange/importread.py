"""The import's first step (see :mod:`.importer`): the file read into columns (:class:`_Rows`,
file order, texts dictionary-encoded), with every format problem.

A CSV goes through :func:`.answerfile.read_answer_table` (columns, vectorised checks) plus one
more columnar read for ``submitted_at`` and ``comment``; when that finds a problem, or for a
workbook, every row is read again one by one with :func:`.csvfile._parse_row`, so that the
report names *every* bad row.  The names here are the importer's internals.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
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
from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.worksheet._reader import WorkSheetParser

import forms
from survey_app.services.clock import VN_TZ
from survey_app.services.errors import InputError
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
from survey_app.services.formatting import spreadsheet_value
from survey_app.services.storage.daystats import answer_matrix

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
UNREADABLE_CSV = "không đọc được tệp CSV ({reason})"
TOO_MANY_CELLS = (
    "bảng tính có quá nhiều ô so với kích thước tệp (tối đa {n}); hãy xoá các dòng, cột "
    "trống hoặc lưu dạng CSV"
)
STALE_RANGE = (
    "bảng tính ghi rằng nó chỉ có {declared} dòng nhưng có dữ liệu ở dòng {row}: tệp được "
    "ghi sai; hãy mở bằng Excel và lưu lại"
)


class ImportRefused(InputError):
    """The file cannot be imported; nothing was stored. ``problems`` lists the bad rows (in
    file order; at most the import's ``max_problems`` of them when it gives a
    :class:`Problems`), ``more`` counts the problems found beyond those."""

    def __init__(self, problems: list[FileProblem]) -> None:
        self.more = problems.more if isinstance(problems, Problems) else 0
        problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("\n".join(str(p) for p in problems[:50]))
        self.problems = problems

    @property
    def total(self) -> int:
        """Every problem found, listed or not."""
        return len(self.problems) + self.more


class Problems(list[FileProblem]):
    """The problems of one import: the first ``cap`` kept, the rest only counted (a file of
    a million bad rows neither fills the memory nor a page)."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.more = 0

    def append(self, problem: FileProblem) -> None:
        if len(self) < self.cap:
            super().append(problem)
        else:
            self.more += 1

    def extend(self, problems: Iterable[FileProblem]) -> None:
        for problem in problems:
            self.append(problem)

    def __iadd__(self, problems: Iterable[FileProblem]) -> Problems:  # type: ignore[override,misc]
        self.extend(problems)
        return self


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


@dataclass(frozen=True)
class Limits:
    """What an imported file may hold (settings ``IMPORT_*``; see config.py), checked before
    a workbook is parsed and while its rows stream in, never after reading it whole."""

    max_unpacked: int = 512 << 20  # bytes a workbook may unpack to, whatever its size
    unpack_ratio: int = 50  # … and at most this many times its own size (+ 1 MB)
    strings_ratio: int = 20  # its string table: this many times its size (+ 1 MB)
    cells_per_kb: int = 2000  # cells (read, or skipped as gaps) per KB of file
    max_problems: int = 100  # problems listed; the rest are counted

    def unpacked(self, size: int) -> int:
        return min(self.max_unpacked, self.unpack_ratio * size + (1 << 20))

    def strings(self, size: int) -> int:
        return self.strings_ratio * size + (1 << 20)

    def cells(self, size: int) -> int:
        return max(100_000, self.cells_per_kb * (size >> 10))


def _read(path: Path, limits: Limits) -> tuple[_Rows, list[FileProblem]]:
    """The file's responses and its format problems (every bad row, up to
    ``limits.max_problems``); a workbook is held to ``limits``."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_records(_xlsx_records(path, limits), csv_cells=False, limits=limits)
    if suffix != ".csv":
        raise ImportRefused([FileProblem(0, "", BAD_TYPE)])
    delimiter = _check_csv_bytes(path)
    if delimiter != ",":  # Excel's "CSV" with ; or tab: read as it is, through a comma copy
        with tempfile.TemporaryDirectory() as folder:
            return _read_csv(_with_commas(path, delimiter, Path(folder)), limits)
    return _read_csv(path, limits)


def _read_csv(path: Path, limits: Limits) -> tuple[_Rows, list[FileProblem]]:
    try:
        return _read_csv_fast(path), []
    except ResponseFileError as exc:
        if any(p.line <= 1 for p in exc.problems):  # encoding or header: nothing to add
            raise ImportRefused(exc.problems) from None
    except _Misaligned:
        pass
    return _read_records(_csv_records(path), csv_cells=True, limits=limits)


# --- what a CSV file is, before it is parsed ------------------------------------------------

_SCAN = 1 << 24  # bytes per step of the byte checks


def _check_csv_bytes(path: Path) -> str:
    """Refuse, with what to do, a CSV that is not UTF-8 (naming the encoding it looks like),
    holds NUL bytes or ends its lines with a lone CR; return its delimiter (``,``, ``;`` or
    a tab, from the header line)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    newlines = returns = 0
    with path.open("rb") as fh:
        while block := fh.read(_SCAN):
            if not head:
                head = block[:65536]
            if b"\x00" in block:  # UTF-16, or a NUL no database column may hold
                utf16 = "UTF-16" in (message := _not_utf8(head))
                raise ImportRefused([FileProblem(0, "", message if utf16 else _nul())])
            newlines += block.count(b"\n")
            returns += block.count(b"\r")
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                raise ImportRefused([FileProblem(0, "", _not_utf8(head))]) from None
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportRefused([FileProblem(0, "", _not_utf8(head))]) from None
    if returns and not newlines:
        raise ImportRefused(
            [
                FileProblem(
                    0,
                    "",
                    _(
                        "tệp dùng ký tự CR đơn lẻ để xuống dòng (kiểu máy Mac cũ): "
                        "hãy lưu lại dạng CSV UTF-8"
                    ),
                )
            ]
        )
    first = head.decode("utf-8-sig", "replace").splitlines()[0] if head.strip() else ""
    return _delimiter(first)


def _delimiter(header: str) -> str:
    """``,``, ``;`` or a tab: what separates the header's names (csv.Sniffer, restricted to
    those three; a comma when it cannot tell)."""
    if "," in header or not header:
        return ","
    try:
        found = csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        found = ";" if header.count(";") >= header.count("\t") else "\t"
    return found if found in (";", "\t") else ","


def _with_commas(path: Path, delimiter: str, folder: Path) -> Path:
    """A copy of a ``;`` or tab separated file with commas (cells, quoting and line breaks
    inside cells kept: physical lines stay where they were)."""
    copy = folder / path.name
    with path.open(encoding="utf-8-sig", newline="") as source:
        with copy.open("w", encoding="utf-8", newline="") as target:
            writer = csv.writer(target, lineterminator="\r\n")
            try:
                writer.writerows(csv.reader(source, delimiter=delimiter))
            except csv.Error as exc:
                raise ImportRefused(
                    [FileProblem(0, "", UNREADABLE_CSV.format(reason=exc))]
                ) from None
    return copy


def _nul() -> str:
    return _("tệp có ký tự NUL (mã 0), không lưu được: hãy lưu lại dạng CSV UTF-8")


def _not_utf8(head: bytes) -> str:
    """What to tell about a file that is not UTF-8: the encoding it looks like."""
    sample = head[:200]
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff")) or sample.count(b"\x00") * 4 >= len(sample)
    return _(
        "tệp không phải UTF-8 (có vẻ là %(encoding)s): hãy lưu lại dạng CSV UTF-8",
        encoding="UTF-16" if utf16 else "Windows-1258",
    )


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
        comment=[_comment(spreadsheet_value(c.strip())) if c else "" for c in comments],
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
    return (raw or "").replace("\r\n", "\n").strip()


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
            [FileProblem(reader.line_num, "", UNREADABLE_CSV.format(reason=exc))]
        ) from None


def _xlsx_records(path: Path, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as texts) of the workbook's data sheet (``Phiếu`` or the first).

    Before anything is parsed, the zip's directory must agree with ``limits`` (unpacked size
    and string table, proportional to the file's size); while the rows stream in, the cells
    they span are counted against ``limits.cells``. The sheet's declared range (its
    ``<dimension>``) is never used to read: every row there is, is read; one beyond the
    declared range makes the file an error (whatever wrote it, wrote it wrong)."""
    size = path.stat().st_size
    try:  # a workbook is a zip: refuse one that would unpack to far more than a sheet needs
        with zipfile.ZipFile(path) as packed:
            members = packed.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(
            [FileProblem(0, "", NOT_XLSX.format(reason=type(exc).__name__))]
        ) from None
    allowed = limits.unpacked(size)
    if sum(m.file_size for m in members) > allowed:
        raise ImportRefused([FileProblem(0, "", XLSX_TOO_BIG.format(mb=max(1, allowed >> 20)))])
    strings = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.strings(size):
        raise ImportRefused([FileProblem(0, "", XLSX_TOO_BIG.format(mb=max(1, allowed >> 20)))])
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML or openpyxl errors: not a workbook
        raise ImportRefused(
            [FileProblem(0, "", NOT_XLSX.format(reason=type(exc).__name__))]
        ) from None
    try:
        sheet = book[DATA_SHEET] if DATA_SHEET in book.sheetnames else book.worksheets[0]
        yield from _sheet_rows(book, sheet, limits.cells(size))
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - XML errors in the sheet, bad cells: not a workbook
        raise ImportRefused(
            [FileProblem(0, "", NOT_XLSX.format(reason=type(exc).__name__))]
        ) from None
    finally:
        book.close()


def _sheet_rows(book: Any, sheet: Any, max_cells: int) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows as openpyxl's streaming parser finds them (the cells each row has,
    at their columns; no padding to a declared width), counting cells against
    ``max_cells``."""
    declared = sheet.max_row  # from <dimension>; None when the sheet has none
    spanned = 0
    last = 0
    with sheet._get_source() as source:  # what ReadOnlyWorksheet reads, without its dimension
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            width = max((c["column"] for c in cells), default=0)
            spanned += max(1, width) + max(0, number - last - 1)
            if spanned > max_cells:
                raise ImportRefused([FileProblem(number, "", TOO_MANY_CELLS.format(n=max_cells))])
            values = [""] * width
            for cell in cells:
                values[cell["column"] - 1] = _xlsx_text(cell["value"])
            if declared is not None and number > declared and any(values):
                problem = STALE_RANGE.format(declared=declared, row=number)
                raise ImportRefused([FileProblem(number, "", problem)])
            last = number
            yield number, values


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


def _read_records(
    records: Iterable[tuple[int, list[str]]], csv_cells: bool, limits: Limits
) -> tuple[_Rows, list[FileProblem]]:
    """Row-by-row reading with exchange's checks; collects the problems (the first
    ``limits.max_problems``, the rest counted). ``csv_cells``: the cells are a CSV file's,
    whose formula guard is undone (a workbook's text cells have none:
    :func:`.formatting.spreadsheet_text`)."""
    it = iter(records)
    first = next(it, None)
    if first is None:
        raise ImportRefused([FileProblem(1, "", EMPTY_SHEET)])
    header = [h.strip() for h in first[1]]
    while header and not header[-1]:  # a workbook's empty trailing columns
        header.pop()
    allowed = columns()
    problems = Problems(limits.max_problems)
    problems += [FileProblem(1, c, MISSING_COLUMN) for c in META_COLUMNS if c not in header]
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
        if csv_cells:
            cells = [spreadsheet_value(c) for c in cells]
        if not any(cells):
            continue
        if len(cells) > len(header) and not any(cells[len(header) :]):
            cells = cells[: len(header)]  # a workbook's empty trailing cells
        elif not csv_cells and len(cells) < len(header):  # a workbook row ends at its last cell
            cells += [""] * (len(header) - len(cells))
        if len(cells) != len(header):
            problems.append(
                FileProblem(line, "", CELL_COUNT.format(got=len(cells), need=len(header)))
            )
            continue
        row = dict(zip(header, cells, strict=True))
        found: list[FileProblem] = []  # this row's (the checks count what they append)
        try:
            parsed = _parse_row(line, row, item_cols, questionnaires, found)
        except ValueError:  # int() of unusual digits
            problems.append(FileProblem(line, "", "ô không đọc được"))
            continue
        problems += found
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
