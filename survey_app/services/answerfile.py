"""The METHOD §7 response file read as columns, for large files (``sipas score --input``).

:func:`read_answer_table` applies the rules of :func:`.exchange.read_response_file` (which
stays for small files and imports) to a whole file at once: pyarrow's multi-threaded CSV reader
turns the file into columns, and every check is a numpy mask over all rows.  Python code runs
per *problem* (at most ``max_problems`` rows), never per row of a good file.

Line numbers are physical lines of the file (the header is line 1) at which a response starts,
so a comment with a line break moves the following responses down by one line, and blank lines
count (as in a text editor).  They come from one vectorised pass over the bytes: positions of
``\\n`` and ``"``; a ``\\n`` after an odd number of quotes is inside a quoted cell.  Limits of
that pass (files that ``sipas export`` never writes; numbering then falls back to header + row
index and may be off): a lone ``\\r`` (old Mac) as line end, and a ``"`` in the middle of an
unquoted cell.

Memory: the file is memory-mapped (read-only, shared with the page cache); the table keeps
int8 answers, int32 codes and the ``response_id`` text column; ``comment`` is never loaded.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

import forms

from .exchange import (
    META_COLUMNS,
    TARGET_GROUPS,
    FileProblem,
    ResponseFileError,
    _parse_row,
    _parse_time,
    columns,
)
from .responses import VN_TZ

__all__ = ["AnswerTable", "Codes", "TextColumn", "read_answer_table"]

CODE_COLUMNS = ("unit_code", "counter_code", "procedure_code", "target_group", "channel",
                "questionnaire", "source")

# Messages (the same as exchange.py's, plus the duplicate-column one).
NOT_UTF8 = "tệp không phải UTF-8 ({reason})"
EMPTY_FILE = "tệp rỗng, thiếu dòng tiêu đề"
MISSING_COLUMN = "thiếu cột bắt buộc"
UNKNOWN_COLUMN = "cột không có trong định dạng tệp"
DUPLICATE_COLUMN = "cột lặp lại trong dòng tiêu đề"
CELL_COUNT = "có {got} ô, cần {need}"
UNREADABLE = "không đọc được tệp CSV ({reason})"

_CHUNK = 1 << 24  # bytes per step of the byte scans
_BLOCK = 16 << 20  # pyarrow CSV block size
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EMPTY_BYTE = 0xFF  # stands for an empty answer cell (never a byte of valid UTF-8 text)


class TextColumn(Sequence[str]):
    """A read-only sequence of texts backed by an Arrow string array (no Python objects until
    an element is asked for)."""

    def __init__(self, array: pa.Array | pa.ChunkedArray) -> None:
        self._array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array

    def __len__(self) -> int:
        return len(self._array)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return tuple(self._array.to_pylist()[index])
        if index < 0:
            index += len(self._array)
        if not 0 <= index < len(self._array):
            raise IndexError(index)
        value = self._array[index].as_py()
        return "" if value is None else value

    def __iter__(self) -> Iterator[str]:
        for batch in range(0, len(self._array), 65536):
            yield from ("" if v is None else v
                        for v in self._array.slice(batch, 65536).to_pylist())

    def __repr__(self) -> str:
        return f"TextColumn({len(self)} texts)"


@dataclass(frozen=True)
class Codes:
    """Dictionary-encoded text column: ``values[codes[i]]`` is row i's text ('' for empty).

    For the code columns ``values`` is a tuple of distinct, stripped texts.  For
    ``response_id`` (one text per row, not worth a Python string each) ``codes`` is
    ``arange(n)`` and ``values`` a :class:`TextColumn`.
    """

    codes: NDArray[np.int32]
    values: Sequence[str]

    def text(self, row: int) -> str:
        return self.values[int(self.codes[row])]

    def code_of(self, text: str) -> int | None:
        """The code of ``text``, or None when no row has it (tuple values only)."""
        try:
            return self.values.index(text)
        except ValueError:
            return None


@dataclass(frozen=True)
class AnswerTable:
    """A response file as columns (one entry per response, in file order)."""

    n: int
    lines: NDArray[np.int64]  # physical line of each response (header = line 1)
    local_day: NDArray[np.int32]  # days since 1970-01-01 of the Vietnamese local day
    unit: Codes
    counter: Codes
    procedure: Codes
    target_group: Codes
    channel: Codes
    questionnaire: Codes
    source: Codes
    answers: NDArray[np.int8]  # (n, len(item_codes)), 0 = empty cell
    response_id: Codes
    item_codes: tuple[str, ...] = field(default_factory=forms.all_item_codes)


# --- the file's bytes: UTF-8, records and their lines ------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Records of the file: byte spans and physical start lines (record 0 = header)."""

    starts: NDArray[np.int64]
    ends: NDArray[np.int64]  # exclusive, without the line end
    lines: NDArray[np.int64]
    quotes: NDArray[np.int64]
    quoted_newlines: int


def _check_utf8(data: pa.Buffer, raw: NDArray[np.uint8]) -> None:
    whole = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(raw)], dtype=np.int64)), data)
    try:
        whole.validate(full=True)
        return
    except pa.ArrowInvalid:
        pass
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for lo in range(0, len(raw), _CHUNK):
            decoder.decode(raw[lo:lo + _CHUNK].tobytes(), final=lo + _CHUNK >= len(raw))
    except UnicodeDecodeError as exc:
        raise ResponseFileError([FileProblem(0, "", NOT_UTF8.format(reason=exc.reason))]) \
            from None


def _scan(raw: NDArray[np.uint8], begin: int) -> _Layout:
    """Find record boundaries: newlines not inside a quoted cell."""
    found: list[NDArray[np.int64]] = []
    for lo in range(begin, len(raw), _CHUNK):
        chunk = raw[lo:lo + _CHUNK]
        found.append(np.flatnonzero((chunk == 10) | (chunk == 34)) + lo)
    marks = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    is_quote = raw[marks] == 34
    quotes = marks[is_quote]
    if len(quotes):
        inside = (np.cumsum(is_quote)[~is_quote] & 1).astype(bool)
    else:
        inside = np.zeros(len(marks) - len(quotes), dtype=bool)
    newlines = marks[~is_quote]
    ends_at = np.flatnonzero(~inside)  # index (among all newlines) of each record end
    terminators = newlines[ends_at]
    starts = np.concatenate(([begin], terminators + 1))
    ends = np.concatenate((terminators, [len(raw)]))
    lines = np.concatenate(([1], ends_at + 2))
    if starts[-1] >= len(raw) and len(starts) > 1:  # file ends with a line end
        starts, ends, lines = starts[:-1], ends[:-1], lines[:-1]
    cr = (ends > starts) & (raw[np.maximum(ends - 1, 0)] == 13)
    ends = ends - cr
    return _Layout(starts, ends, lines, quotes, int(inside.sum()))


def _record_text(raw: NDArray[np.uint8], layout: _Layout, record: int) -> str:
    return raw[layout.starts[record]:layout.ends[record]].tobytes().decode("utf-8")


def _cells(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text, newline="")), [])


def _blank(text: str) -> bool:
    return not any(cell.strip() for cell in _cells(text))


def _cell_counts(raw: NDArray[np.uint8], layout: _Layout,
                 records: NDArray[np.int64]) -> NDArray[np.int64]:
    """Cells of each record (commas outside quotes + 1); only run on a bad file."""
    counts = np.ones(len(layout.starts), dtype=np.int64)
    for lo in range(int(layout.starts[0]), len(raw), _CHUNK):
        commas = np.flatnonzero(raw[lo:lo + _CHUNK] == 44) + lo
        outside = (np.searchsorted(layout.quotes, commas) & 1) == 0
        owner = np.searchsorted(layout.starts, commas[outside], side="right") - 1
        counts += np.bincount(owner, minlength=len(counts))
    return counts[records]


# --- the CSV itself -------------------------------------------------------------------------------


def _header(raw: NDArray[np.uint8], layout: _Layout) -> list[str]:
    if len(layout.starts) == 0 or layout.ends[0] <= layout.starts[0] and len(layout.starts) == 1:
        raise ResponseFileError([FileProblem(1, "", EMPTY_FILE)])
    header = [h.strip() for h in _cells(_record_text(raw, layout, 0))]
    known = columns()
    problems = [FileProblem(1, c, MISSING_COLUMN) for c in META_COLUMNS if c not in header]
    problems += [FileProblem(1, c, UNKNOWN_COLUMN) for c in header if c not in known]
    seen: set[str] = set()
    for name in header:
        if name in seen and name in known:
            problems.append(FileProblem(1, name, DUPLICATE_COLUMN))
        seen.add(name)
    if problems:
        raise ResponseFileError(problems)
    return header


def _read_csv(data: pa.Buffer, header: list[str], layout: _Layout, exact_items: bool,
              rejected: list[str]) -> pa.Table:
    items = set(forms.all_item_codes())
    dictionary = pa.dictionary(pa.int32(), pa.string())
    types: dict[str, pa.DataType] = {}
    for name in header:
        if name in items:
            types[name] = dictionary if exact_items else pa.binary(1)
        elif name in CODE_COLUMNS:
            types[name] = dictionary
        else:
            types[name] = pa.string()

    def handler(row: pacsv.InvalidRow) -> str:
        if not _blank(row.text):
            rejected.append(row.text)
        return "skip"

    begin = int(layout.starts[1]) if len(layout.starts) > 1 else len(data)
    return pacsv.read_csv(
        pa.BufferReader(data.slice(begin)),
        read_options=pacsv.ReadOptions(column_names=header, block_size=_BLOCK),
        parse_options=pacsv.ParseOptions(newlines_in_values=layout.quoted_newlines > 0,
                                         invalid_row_handler=handler),
        convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=[c for c in header if c != "comment"],
            null_values=[""], strings_can_be_null=False, quoted_strings_can_be_null=False,
            check_utf8=False),
    )


def _codes(column: pa.ChunkedArray) -> Codes:
    """Codes of a dictionary column; values stripped (as exchange strips every cell)."""
    chunks = [c for c in column.unify_dictionaries().chunks if len(c)] \
        if column.num_chunks else []
    if not chunks:
        return Codes(np.zeros(0, dtype=np.int32), ())
    values = [v.strip() for v in chunks[0].dictionary.to_pylist()]
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
    distinct = tuple(dict.fromkeys(values))
    if len(distinct) != len(values):
        where = {v: k for k, v in enumerate(distinct)}
        codes = np.array([where[v] for v in values], dtype=np.int32)[codes]
    return Codes(codes.astype(np.int32, copy=False), distinct)


def _lut(codes: Codes, bad_values: object) -> NDArray[np.bool_]:
    """Per-row mask of rows whose text is bad according to ``bad_values(text)``."""
    table = np.array([bool(bad_values(v)) for v in codes.values], dtype=bool)  # type: ignore[operator]
    return table[codes.codes] if len(table) else np.zeros(len(codes.codes), dtype=bool)


# --- answers ---------------------------------------------------------------------------------------

# A cell's answer as int8: 0 empty, 1..126 the digits' value, 127 digits of a value no scale has
# (0, or above 126), -1 not digits.  exchange: a non-digit cell is always bad, digits are bad
# only against a known questionnaire's scale.
_BYTE_VALUE = np.full(256, -1, dtype=np.int8)
_BYTE_VALUE[ord("1"):ord("9") + 1] = np.arange(1, 10, dtype=np.int8)
_BYTE_VALUE[ord("0")] = 127
_BYTE_VALUE[_EMPTY_BYTE] = 0


def _text_value(text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not text.isdigit():
        return -1
    try:
        value = int(text)
    except ValueError:  # e.g. superscript digits: isdigit() but not int()
        return -1
    return value if 1 <= value <= 126 else 127


def _answers(table: pa.Table, header: list[str], n: int, exact: bool) -> NDArray[np.int8]:
    codes = forms.all_item_codes()
    answers = np.zeros((n, len(codes)), dtype=np.int8)
    for name in header:
        if name not in codes:
            continue
        j = codes.index(name)
        row = 0
        column = table.column(name)
        if exact:
            column = column.unify_dictionaries()
        for chunk in column.chunks:
            if not len(chunk):
                continue
            if exact:
                lut = np.array([_text_value(v) for v in chunk.dictionary.to_pylist()],
                               dtype=np.int8)
                index = chunk.indices.to_numpy(zero_copy_only=False)
                values = lut[index] if len(lut) else np.zeros(len(chunk), dtype=np.int8)
            else:
                filled = pc.fill_null(chunk, pa.scalar(bytes([_EMPTY_BYTE]), pa.binary(1)))
                raw = np.frombuffer(filled.buffers()[1], dtype=np.uint8,
                                    count=len(filled), offset=filled.offset)
                values = _BYTE_VALUE[raw]
            answers[row:row + len(chunk), j] = values
            row += len(chunk)
    return answers


def _item_rules(questionnaires: dict[str, forms.Questionnaire]) -> NDArray[np.bool_]:
    """``bad[q, j, value & 0xFF]`` for questionnaire index q (last: unknown) and item j."""
    codes = forms.all_item_codes()
    versions = list(questionnaires.values())
    bad = np.ones((len(versions) + 1, len(codes), 256), dtype=bool)
    bad[:, :, 0] = False  # empty
    unknown = bad[len(versions)]
    unknown[:, 1:128] = False  # digits: fine while the questionnaire is unknown
    for q, version in enumerate(versions):
        for item in version.items:
            for value in item.scale.values:
                bad[q, codes.index(item.code), value & 0xFF] = False
    return bad


def _check_answers(answers: NDArray[np.int8], q_index: NDArray[np.intp],
                   rules: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Rows with a bad answer, rows with at least one answer (blocks of rows, one gather)."""
    n, width = answers.shape
    flat = rules.reshape(-1)
    column_base = np.arange(width, dtype=np.int32) * 256
    bad = np.zeros(n, dtype=bool)
    some = np.zeros(n, dtype=bool)
    step = 1 << 17
    for lo in range(0, n, step):
        block = answers[lo:lo + step]
        key = (q_index[lo:lo + step, None].astype(np.int32) * (width * 256) + column_base
               + block.view(np.uint8))
        bad[lo:lo + step] = flat[key].any(axis=1)
        some[lo:lo + step] = block.any(axis=1)
    return bad, some


# --- submitted_at --------------------------------------------------------------------------------


def _days_from_civil(y: NDArray[np.int64], m: NDArray[np.int64],
                     d: NDArray[np.int64]) -> NDArray[np.int64]:
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


_DIGIT_POSITIONS = (0, 1, 2, 3, 5, 6, 8, 9)


def _fast_days(chunk: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Local days of the common ISO 8601 forms, and which rows this fast path understood.

    Understood: ``YYYY-MM-DD``, ``YYYY-MM-DD[T ]HH:MM[:SS]`` with nothing, ``Z`` or ``±HH:MM``
    after the time, valid ranges, years 1976–9998 (Vietnam has been on UTC+7 since 1975).
    Everything else goes to :func:`exchange._parse_time`, row by row.
    """
    n = len(chunk)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=n + 1,
                            offset=chunk.offset * 4).astype(np.int64)
    data = chunk.buffers()[2]
    text = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size \
        else np.zeros(1, dtype=np.uint8)
    start, length = offsets[:-1], np.diff(offsets)
    last = len(text) - 1

    def char(k: int | NDArray[np.int64]) -> NDArray[np.int64]:
        return text[np.minimum(start + k, last)].astype(np.int64)

    def digit(k: int | NDArray[np.int64]) -> NDArray[np.int64]:
        return char(k) - 48

    end_char = text[np.clip(start + length - 1, 0, last)]
    zulu = (length >= 17) & (end_char == ord("Z"))
    sign = char(length - 6)
    offset_form = (length >= 22) & ((sign == ord("+")) | (sign == ord("-"))) \
        & (char(length - 3) == ord(":"))
    core = length - np.where(zulu, 1, np.where(offset_form, 6, 0))
    ok = (core == 10) | (core == 16) | (core == 19)
    ok &= (core == 10) | ~(zulu | offset_form) | (core >= 16)
    ok &= (char(4) == ord("-")) & (char(7) == ord("-"))
    for k in _DIGIT_POSITIONS:
        ok &= (digit(k) >= 0) & (digit(k) <= 9)
    timed = core >= 16
    sep = char(10)
    ok &= ~timed | (((sep == ord("T")) | (sep == ord(" "))) & (char(13) == ord(":")))
    for k in (11, 12, 14, 15):
        ok &= ~timed | ((digit(k) >= 0) & (digit(k) <= 9))
    secs = core == 19
    ok &= ~secs | ((char(16) == ord(":")) & (digit(17) >= 0) & (digit(17) <= 9)
                   & (digit(18) >= 0) & (digit(18) <= 9))
    for k in (1, 2, 4, 5):  # ±HH:MM
        ok &= ~offset_form | ((digit(length - 6 + k) >= 0) & (digit(length - 6 + k) <= 9))
    year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)
    month = digit(5) * 10 + digit(6)
    day = digit(8) * 10 + digit(9)
    hour = np.where(timed, digit(11) * 10 + digit(12), 0)
    minute = np.where(timed, digit(14) * 10 + digit(15), 0)
    second = np.where(secs, digit(17) * 10 + digit(18), 0)
    off_h = digit(length - 5) * 10 + digit(length - 4)
    off_m = digit(length - 2) * 10 + digit(length - 1)
    ok &= (year >= 1976) & (year <= 9998) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    ok &= ~offset_form | ((off_h <= 23) & (off_m <= 59))
    month_c = np.clip(month, 1, 12)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month_c]
    ok &= day <= month_days + ((month_c == 2) & leap)
    days = _days_from_civil(year, month_c, np.clip(day, 1, 31))
    shift = np.where(sign == ord("-"), -1, 1) * (off_h * 3600 + off_m * 60)
    offset_s = np.where(zulu, 0, np.where(offset_form, shift, 7 * 3600))
    # Local (UTC+7) time of day: wall time - its offset + 7 h; then whole days.
    local = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s + 7 * 3600
    return np.floor_divide(local, 86_400), ok


def _local_days(column: pa.ChunkedArray, n: int) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
    """Days since 1970-01-01 of the Vietnamese local day; mask of unreadable timestamps."""
    days = np.zeros(n, dtype=np.int32)
    bad = np.zeros(n, dtype=bool)
    row = 0
    for chunk in column.chunks:
        if not len(chunk):
            continue
        fast, ok = _fast_days(chunk)
        part = days[row:row + len(chunk)]
        part[:] = np.where(ok, fast, 0)
        slow = np.flatnonzero(~ok)
        if len(slow):
            texts = chunk.take(pa.array(slow)).to_pylist()
            for k, raw in zip(slow, texts, strict=True):
                moment = _parse_time((raw or "").strip())
                if moment is None:
                    bad[row + k] = True
                else:
                    part[k] = moment.astimezone(VN_TZ).date().toordinal() - _EPOCH_ORDINAL
        row += len(chunk)
    return days, bad


# --- the whole file --------------------------------------------------------------------------------


def read_answer_table(path: Path, *, max_problems: int = 200) -> AnswerTable:
    """Read and check a METHOD §7 response file into columns.

    Same rules and messages as :func:`.exchange.read_response_file`; raises
    :class:`.exchange.ResponseFileError` with the first ``max_problems`` problems (in file
    order), each located by physical line and column.
    """
    with pa.memory_map(str(path), "r") as source:
        data = source.read_buffer()
        raw = np.frombuffer(data, dtype=np.uint8) if data.size else np.zeros(0, np.uint8)
        _check_utf8(data, raw)
        begin = 3 if raw[:3].tobytes() == b"\xef\xbb\xbf" else 0
        layout = _scan(raw, begin)
        header = _header(raw, layout)
        rejected: list[str] = []
        exact = False
        try:
            table = _read_csv(data, header, layout, False, rejected)
        except pa.ArrowInvalid:
            rejected.clear()
            exact = True
            try:
                table = _read_csv(data, header, layout, True, rejected)
            except pa.ArrowInvalid as exc:
                raise ResponseFileError([FileProblem(0, "", UNREADABLE.format(reason=exc))]) \
                    from None
        return _build(table, header, raw, layout, rejected, exact, max_problems)


def _build(table: pa.Table, header: list[str], raw: NDArray[np.uint8], layout: _Layout,
           rejected: list[str], exact: bool, max_problems: int) -> AnswerTable:
    n = table.num_rows
    questionnaires = forms.load_all()
    # Records behind the table's rows: non-empty data records, minus those pyarrow rejected.
    records = np.flatnonzero(layout.ends > layout.starts)
    records = records[records > 0]
    wrong_cells = np.zeros(0, dtype=np.int64)
    if rejected:
        counts = _cell_counts(raw, layout, records)
        off = counts != len(header)
        wrong_cells = records[off]
        records = records[~off]
    if len(records) != n:  # a layout this reader does not follow: number rows in order
        records = np.arange(1, n + 1)
        lines_of = np.arange(1, n + 1, dtype=np.int64) + 1
        layout_ok = False
    else:
        lines_of = layout.lines[records]
        layout_ok = True

    code_cols = {name: _codes(table.column(name)) if name in header
                 else Codes(np.zeros(n, dtype=np.int32), ("",)) for name in CODE_COLUMNS}
    days, bad_time = _local_days(table.column("submitted_at"), n)
    answers = _answers(table, header, n, exact)
    versions = list(questionnaires)
    qcodes = code_cols["questionnaire"]
    q_lut = np.array([versions.index(v) if v in versions else len(versions)
                      for v in qcodes.values], dtype=np.intp)
    q_index = q_lut[qcodes.codes] if len(q_lut) else np.zeros(n, dtype=np.intp)
    bad_items, some = _check_answers(answers, q_index, _item_rules(questionnaires))
    bad = bad_time | bad_items | ~some
    bad |= _lut(code_cols["unit_code"], lambda v: not v)
    bad |= _lut(code_cols["target_group"], lambda v: v not in TARGET_GROUPS)
    bad |= _lut(code_cols["channel"], lambda v: v and v not in forms.CHANNELS)
    bad |= q_index == len(versions)

    # Rows whose every cell is blank are skipped (as exchange does), not reported.
    keep = np.ones(n, dtype=bool)
    candidates = np.flatnonzero(~some & _lut(code_cols["unit_code"], lambda v: not v))
    if layout_ok:
        for row in candidates:
            if _blank(_record_text(raw, layout, int(records[row]))):
                keep[row] = False
        bad &= keep

    problems = _problems(raw, layout, header, questionnaires, records, lines_of, bad,
                         wrong_cells, layout_ok, table, max_problems)
    if problems:
        raise ResponseFileError(problems)

    if not keep.all():
        lines_of, days, answers = lines_of[keep], days[keep], answers[keep]
        code_cols = {k: Codes(c.codes[keep], c.values) for k, c in code_cols.items()}
    rid = table.column("response_id")
    if rid.num_chunks:
        rid = pc.utf8_trim_whitespace(rid)
        if not keep.all():
            rid = rid.filter(pa.array(keep))
    m = int(keep.sum())
    return AnswerTable(
        n=m, lines=lines_of.astype(np.int64), local_day=days.astype(np.int32),
        unit=code_cols["unit_code"], counter=code_cols["counter_code"],
        procedure=code_cols["procedure_code"], target_group=code_cols["target_group"],
        channel=code_cols["channel"], questionnaire=code_cols["questionnaire"],
        source=code_cols["source"], answers=answers,
        response_id=Codes(np.arange(m, dtype=np.int32),
                          TextColumn(rid) if rid.num_chunks else ()),
    )


def _problems(raw: NDArray[np.uint8], layout: _Layout, header: list[str],
              questionnaires: dict[str, forms.Questionnaire], records: NDArray[np.int64],
              lines_of: NDArray[np.int64], bad: NDArray[np.bool_],
              wrong_cells: NDArray[np.int64], layout_ok: bool, table: pa.Table,
              max_problems: int) -> list[FileProblem]:
    """Messages for the first ``max_problems`` bad rows, built by exchange's own row check."""
    bad_rows = np.flatnonzero(bad)[:max_problems]
    if not len(bad_rows) and not len(wrong_cells):
        return []
    # (record, row or -1 for a record with the wrong number of cells), in file order.
    order = sorted([(int(records[r]), int(r)) for r in bad_rows]
                   + [(int(rec), -1) for rec in wrong_cells[:max_problems]])
    item_cols = [c for c in header if c in forms.all_item_codes()]
    problems: list[FileProblem] = []
    for record, row in order:
        if len(problems) >= max_problems:
            break
        if layout_ok:
            line = int(layout.lines[record])
            cells = _cells(_record_text(raw, layout, record))
        else:  # rows in order only: cells from the table (comment not loaded)
            line = int(lines_of[row])
            cells = [_table_cell(table, name, row) for name in header]
        if row < 0 or len(cells) != len(header):
            problems.append(FileProblem(line, "", CELL_COUNT.format(got=len(cells),
                                                                    need=len(header))))
            continue
        cells_of = dict(zip(header, (c.strip() for c in cells), strict=True))
        try:
            _parse_row(line, cells_of, item_cols, questionnaires, problems)
        except ValueError:  # exchange cannot read this cell either (int() of odd digits)
            problems.append(FileProblem(line, "", "ô không đọc được"))
    return problems[:max_problems]


def _table_cell(table: pa.Table, name: str, row: int) -> str:
    if name not in table.column_names:
        return ""
    value = table.column(name)[row].as_py()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
