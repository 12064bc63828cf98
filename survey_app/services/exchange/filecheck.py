"""What an imported file is, before it is parsed (see :mod:`.importread`): a CSV's encoding,
NUL bytes, line ends and delimiter; a workbook's size against limits proportional to it (from
the zip's directory), and its data sheet's rows as they stream in — never by the range the
sheet declares. And what a refused import raises: :class:`ImportRefused` with its
:class:`Problems` (the first ``max_problems``, the rest counted).
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.worksheet._reader import WorkSheetParser

from survey_app.services.errors import InputError
from survey_app.services.exchange.csvfile import FileProblem
from survey_app.services.exchange.template import DATA_SHEET

NOT_XLSX = "không đọc được tệp Excel ({reason})"
XLSX_TOO_BIG = "tệp Excel khi giải nén lớn hơn {mb} MB; hãy chia nhỏ hoặc lưu dạng CSV"
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


@dataclass(frozen=True)
class Limits:
    """What an imported file may hold (settings ``IMPORT_*``; see config.py), checked before
    a workbook is parsed and while its rows stream in, never after reading it whole."""

    max_unpacked: int = 512 << 20  # bytes a workbook may unpack to, whatever its size
    unpack_ratio: int = 50  # … and at most this many times its own size (+ 1 MB)
    strings_ratio: int = 20  # its string table: this many times its size (+ 1 MB)
    cells_per_kb: int = 2000  # cells (read, or skipped as gaps) per KB of file
    max_problems: int = 100  # problems listed; the rest are counted

    @classmethod
    def from_config(cls, config: Any, max_unpacked: int) -> Limits:
        """The limits the settings ``IMPORT_*`` give (README *Import*)."""
        return cls(
            max_unpacked=max_unpacked,
            unpack_ratio=int(config["IMPORT_XLSX_UNPACK_RATIO"]),
            strings_ratio=int(config["IMPORT_XLSX_STRINGS_RATIO"]),
            cells_per_kb=int(config["IMPORT_XLSX_CELLS_PER_KB"]),
            max_problems=int(config["IMPORT_MAX_PROBLEMS"]),
        )

    def unpacked(self, size: int) -> int:
        return min(self.max_unpacked, self.unpack_ratio * size + (1 << 20))

    def strings(self, size: int) -> int:
        return self.strings_ratio * size + (1 << 20)

    def cells(self, size: int) -> int:
        return max(100_000, self.cells_per_kb * (size >> 10))


_SCAN = 1 << 24  # bytes per step of the byte checks


def check_csv_bytes(path: Path) -> str:
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


def with_commas(path: Path, delimiter: str, folder: Path) -> Path:
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


def xlsx_records(path: Path, limits: Limits) -> Iterator[tuple[int, list[str]]]:
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
