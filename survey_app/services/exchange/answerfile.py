"""The METHOD §7 response file read as columns, for large files (``sipas score --input``).

Why this module is long: one reader whose parts share a private byte layout (:class:`_Layout`:
record starts and ends, quoted line breaks) — the byte scan that numbers physical lines, the
pyarrow read that is retried when the scan contradicts it, the vectorised checks of codes,
answers and moments, and the per-problem fallback that names each bad cell.  It could be cut
by job (line numbering; moments to local days; cell checks), which is left for later.

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
import mmap
import os
import threading
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
from survey_app.services.clock import VN_TZ
from survey_app.services.exchange.csvfile import (
    META_COLUMNS,
    TARGET_GROUPS,
    FileProblem,
    ResponseFileError,
    _parse_row,
    _parse_time,
    columns,
)
from survey_app.services.formatting import spreadsheet_value

__all__ = ["AnswerTable", "Codes", "TextColumn", "read_answer_table"]

CODE_COLUMNS = (
    "unit_code",
    "counter_code",
    "procedure_code",
    "target_group",
    "channel",
    "questionnaire",
    "source",
)

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
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self._array)
        if not 0 <= index < len(self._array):
            raise IndexError(index)
        value = self._array[index].as_py()
        return "" if value is None else value

    def __iter__(self) -> Iterator[str]:
        for batch in range(0, len(self._array), 65536):
            yield from ("" if v is None else v for v in self._array.slice(batch, 65536).to_pylist())

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
    answers: NDArray[np.int8]  # (n, len(item_codes)), 0 = empty cell; column-major
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


@dataclass
class _Scan:
    """What one pass over the bytes found (run in a thread while pyarrow parses)."""

    newlines: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quotes: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cr_before: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    utf8_error: str | None = None


def _utf8_cut(chunk: NDArray[np.uint8]) -> int:
    """Length of the prefix of ``chunk`` that does not end inside a UTF-8 sequence."""
    end = len(chunk)
    k = end - 1
    while k >= max(end - 4, 0) and chunk[k] & 0xC0 == 0x80:
        k -= 1
    if k < 0 or chunk[k] < 0xC0:
        return end
    need = 2 if chunk[k] < 0xE0 else 3 if chunk[k] < 0xF0 else 4
    return k if end - k < need else end


def _utf8_valid(chunk: NDArray[np.uint8]) -> bool:
    text = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(chunk)], dtype=np.int64)), pa.py_buffer(chunk)
    )
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _scan_file(path: Path, result: _Scan) -> None:
    """Positions of ``\\n`` and ``"`` (and whether a ``\\r`` precedes each), UTF-8 check;
    chunk by chunk into one reused buffer (no page faults on a 10 GB mapping)."""
    buffer = np.empty(_CHUNK + 4, dtype=np.uint8)
    newlines: list[NDArray[np.int64]] = []
    quotes: list[NDArray[np.int64]] = []
    crs: list[NDArray[np.bool_]] = []
    carry, position, previous, valid = 0, 0, 0, True
    with path.open("rb", buffering=0) as fh:
        while True:
            got = fh.readinto(memoryview(buffer)[carry : carry + _CHUNK])  # type: ignore[arg-type]  # numpy arrays are buffers
            if not got:
                valid = valid and carry == 0
                break
            total = carry + got
            chunk = buffer[:total]
            found = np.flatnonzero(chunk == 10)
            before = chunk[np.maximum(found - 1, 0)] == 13
            if len(found) and found[0] == 0:
                before[0] = previous == 13
            newlines.append(found + position)
            quotes.append(np.flatnonzero(chunk == 34) + position)
            crs.append(before)
            cut = _utf8_cut(chunk)
            if valid and not _utf8_valid(chunk[:cut]):
                valid = False
            previous = int(chunk[cut - 1]) if cut else previous
            carry = total - cut
            buffer[:carry] = chunk[cut:total].copy()
            position += cut
    if newlines:
        result.newlines = np.concatenate(newlines)
        result.quotes = np.concatenate(quotes)
        result.cr_before = np.concatenate(crs)
    if not valid:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            with path.open("rb") as fh:
                while block := fh.read(_CHUNK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            result.utf8_error = exc.reason


def _layout(scan: _Scan, begin: int, size: int, raw: NDArray[np.uint8]) -> _Layout:
    """Records: newlines not inside a quoted cell end them."""
    newlines, quotes = scan.newlines, scan.quotes
    # Quotes pair up: cells are quoted from quotes[2k] to quotes[2k+1] ("" inside a quoted
    # cell is an empty pair).  Newlines between a pair are inside a cell; they are rare.
    first = np.searchsorted(newlines, quotes)
    pairs = len(quotes) // 2 * 2
    spans = np.stack((first[0:pairs:2], first[1:pairs:2]), axis=1)
    if len(quotes) % 2:  # an unclosed quote runs to the end of the file
        spans = np.vstack((spans, [[first[-1], len(newlines)]]))
    spans = spans[spans[:, 1] > spans[:, 0]]
    if len(spans):
        lengths = spans[:, 1] - spans[:, 0]
        inside = np.repeat(spans[:, 0] - np.cumsum(lengths) + lengths, lengths) + np.arange(
            int(lengths.sum())
        )
        ends_at = np.delete(np.arange(len(newlines)), inside)
        terminators = newlines[ends_at]
        cr = scan.cr_before[ends_at]
    else:
        inside = np.zeros(0, dtype=np.int64)
        ends_at = np.arange(len(newlines))
        terminators, cr = newlines, scan.cr_before
    starts = np.concatenate(([begin], terminators + 1))
    ends = np.concatenate((terminators - cr, [size]))
    if size and raw[size - 1] == 13:
        ends[-1] -= 1
    lines = np.concatenate(([1], ends_at + 2))
    if starts[-1] >= size and len(starts) > 1:  # file ends with a line end
        starts, ends, lines = starts[:-1], ends[:-1], lines[:-1]
    ends = np.maximum(ends, starts)
    return _Layout(starts, ends, lines, quotes, len(inside))


def _record_text(raw: NDArray[np.uint8], layout: _Layout, record: int) -> str:
    return raw[layout.starts[record] : layout.ends[record]].tobytes().decode("utf-8")


def _cells(text: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:  # e.g. a cell longer than csv.field_size_limit()
        raise ResponseFileError([FileProblem(0, "", UNREADABLE.format(reason=exc))]) from None


def _blank(text: str) -> bool:
    return not any(cell.strip() for cell in _cells(text))


def _cell_counts(
    raw: NDArray[np.uint8], layout: _Layout, records: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Cells of each record (commas outside quotes + 1); only run on a bad file."""
    counts = np.ones(len(layout.starts), dtype=np.int64)
    for lo in range(int(layout.starts[0]), len(raw), _CHUNK):
        commas = np.flatnonzero(raw[lo : lo + _CHUNK] == 44) + lo
        outside = (np.searchsorted(layout.quotes, commas) & 1) == 0
        owner = np.searchsorted(layout.starts, commas[outside], side="right") - 1
        counts += np.bincount(owner, minlength=len(counts))
    return counts[records]


# --- the CSV itself -------------------------------------------------------------------------------


def _header_cells(raw: NDArray[np.uint8], begin: int) -> list[str] | None:
    """The header's names (stripped), read from the start of the file; None when empty."""
    if begin >= len(raw):
        return None
    prefix = raw[begin : begin + (1 << 20)].tobytes().decode("utf-8", "replace")
    return [h.strip() for h in _cells(prefix)]


def _header_problems(header: list[str]) -> list[FileProblem]:
    known = columns()
    problems = [FileProblem(1, c, MISSING_COLUMN) for c in META_COLUMNS if c not in header]
    problems += [FileProblem(1, c, UNKNOWN_COLUMN) for c in header if c not in known]
    seen: set[str] = set()
    for name in header:
        if name in seen and name in known:
            problems.append(FileProblem(1, name, DUPLICATE_COLUMN))
        seen.add(name)
    return problems


def _header(raw: NDArray[np.uint8], layout: _Layout) -> list[str]:
    if layout.starts[0] >= len(raw):
        raise ResponseFileError([FileProblem(1, "", EMPTY_FILE)])
    header = [h.strip() for h in _cells(_record_text(raw, layout, 0))]
    problems = _header_problems(header)
    if problems:
        raise ResponseFileError(problems)
    return header


def _read_csv(
    path: Path, header: list[str], newlines_in_values: bool, exact_items: bool, rejected: list[str]
) -> pa.Table:
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
        rejected.append(row.text)
        return "skip"

    include = [c for c in header if c not in ("comment", "verified")]  # neither is scored
    try:
        return pacsv.read_csv(
            str(path),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=_BLOCK),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=newlines_in_values, invalid_row_handler=handler
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=include,
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):  # the header only
            return pa.schema([(c, types[c]) for c in include]).empty_table()
        raise


def _codes(column: pa.ChunkedArray) -> Codes:
    """Codes of a dictionary column; values stripped and a formula guard undone (as exchange
    reads every cell: :func:`.formatting.spreadsheet_value`)."""
    chunks = [c for c in column.unify_dictionaries().chunks if len(c)] if column.num_chunks else []
    if not chunks:
        return Codes(np.zeros(0, dtype=np.int32), ())
    values = [spreadsheet_value(v.strip()) for v in chunks[0].dictionary.to_pylist()]
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
    distinct = tuple(dict.fromkeys(values))
    if len(distinct) != len(values):
        where = {v: k for k, v in enumerate(distinct)}
        codes = np.array([where[v] for v in values], dtype=np.int32)[codes]
    return Codes(codes.astype(np.int32, copy=False), distinct)


def _lut(codes: Codes, bad_values: object) -> NDArray[np.bool_]:
    """Per-row mask of rows whose text is bad according to ``bad_values(text)``."""
    table = np.array([bool(bad_values(v)) for v in codes.values], dtype=np.bool_)  # type: ignore[operator]
    found: NDArray[np.bool_] = (
        table[codes.codes] if len(table) else np.zeros(len(codes.codes), np.bool_)
    )
    return found


# --- answers ---

# A cell's answer as int8: 0 empty, 1..126 the digits' value, 127 digits of a value no scale has
# (0, or above 126), -1 not digits.  exchange: a non-digit cell is always bad, digits are bad
# only against a known questionnaire's scale.
_BYTE_VALUE = np.full(256, -1, dtype=np.int8)
_BYTE_VALUE[ord("1") : ord("9") + 1] = np.arange(1, 10, dtype=np.int8)
_BYTE_VALUE[ord("0")] = 127


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
    """``(n, J)`` int8 answers, column-major (each item's column is contiguous)."""
    codes = forms.all_item_codes()
    answers = np.zeros((n, len(codes)), dtype=np.int8, order="F")
    for name in header:
        if name not in codes:
            continue
        target = answers[:, codes.index(name)]
        row = 0
        column = table.column(name)
        if exact:
            column = column.unify_dictionaries()
        for chunk in column.chunks:
            size = len(chunk)
            if not size:
                continue
            if exact:
                lut = np.array(
                    [_text_value(v) for v in chunk.dictionary.to_pylist()], dtype=np.int8
                )
                index = chunk.indices.to_numpy(zero_copy_only=False)
                target[row : row + size] = lut[index] if len(lut) else 0
            else:
                validity, data = chunk.buffers()
                raw = np.frombuffer(data, dtype=np.uint8, count=size, offset=chunk.offset)
                out = target[row : row + size]
                np.take(_BYTE_VALUE, raw, out=out)
                if chunk.null_count:  # null slots hold arbitrary bytes: zero them
                    bits = np.unpackbits(
                        np.frombuffer(validity, dtype=np.uint8),
                        count=chunk.offset + size,
                        bitorder="little",
                    )
                    np.multiply(out, bits[chunk.offset :], out=out, casting="unsafe")
            row += size
    return answers


def _item_limits(questionnaires: dict[str, forms.Questionnaire]) -> NDArray[np.uint8]:
    """``limit[q, j]``: a cell value ``v`` of item j is fine for questionnaire index q (last:
    unknown) when ``uint8(v) <= limit`` (every scale is 1..k; 0 is empty; non-digits are
    negative, i.e. ≥ 128 as uint8, and digits of no scale are 127)."""
    codes = forms.all_item_codes()
    versions = list(questionnaires.values())
    limit = np.zeros((len(versions) + 1, len(codes)), dtype=np.uint8)
    limit[len(versions)] = 127  # unknown questionnaire: any digits
    for q, version in enumerate(versions):
        for item in version.items:
            values = item.scale.values
            if values != frozenset(range(1, max(values) + 1)):
                raise ValueError(f"{version.id} {item.code}: scale is not 1..k")
            limit[q, codes.index(item.code)] = max(values)
    return limit


def _check_answers(
    answers: NDArray[np.int8],
    present: list[int],
    q_index: NDArray[np.intp],
    limits: NDArray[np.uint8],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Rows with a bad answer, and rows with at least one answer.

    One comparison per cell against the limit of the most common questionnaire, then the
    rows of the other questionnaires (usually few) again with their own limits.
    """
    n = answers.shape[0]
    bad = np.zeros(n, dtype=bool)
    some = np.zeros(n, dtype=bool)
    if not n:
        return bad, some
    counts = np.bincount(q_index, minlength=len(limits))
    main = int(np.argmax(counts))
    others = [
        (q, np.flatnonzero(q_index == q)) for q in range(len(limits)) if q != main and counts[q]
    ]
    for j in present:
        column = answers[:, j].view(np.uint8)
        over = column > limits[main, j]
        for q, rows in others:
            over[rows] = column[rows] > limits[q, j]
        bad |= over
        some |= column != 0
    return bad, some


# --- submitted_at ---


def _days_from_civil(
    y: NDArray[np.int64], m: NDArray[np.int64], d: NDArray[np.int64]
) -> NDArray[np.int64]:
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


# Lengths the fast path reads: (has time, has seconds, zone: "" / "Z" / "±HH:MM").
_STAMP_FORMS = {
    10: (False, False, ""),
    16: (True, False, ""),
    17: (True, False, "Z"),
    19: (True, True, ""),
    20: (True, True, "Z"),
    22: (True, False, "±"),
    25: (True, True, "±"),
}
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _stamp_days(text: NDArray[np.uint8]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Local days of ``m`` timestamps of one length (a ``(m, L)`` byte matrix), and which of
    them the fast path understood.

    Understood: ``YYYY-MM-DD``, ``YYYY-MM-DD[T ]HH:MM[:SS]`` with nothing, ``Z`` or ``±HH:MM``
    after the time, valid ranges, years 1976–9998 (Vietnam has been on UTC+7 since 1975).
    Everything else goes to :func:`exchange._parse_time`, row by row.
    """
    timed, with_seconds, zone = _STAMP_FORMS[text.shape[1]]
    ok = np.ones(len(text), dtype=bool)

    def number(*positions: int) -> NDArray[np.int32]:
        nonlocal ok
        value = np.zeros(len(text), dtype=np.int32)
        for k in positions:
            digit = text[:, k].astype(np.int32) - 48
            ok &= (digit >= 0) & (digit <= 9)
            value = value * 10 + digit
        return value

    def sign(k: int, *chars: str) -> NDArray[np.bool_]:
        return np.isin(text[:, k], [ord(c) for c in chars])

    ok &= sign(4, "-") & sign(7, "-")
    year, month, day = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    seconds = np.zeros(len(text), dtype=np.int32)
    if timed:
        ok &= sign(10, "T", " ") & sign(13, ":")
        hour, minute = number(11, 12), number(14, 15)
        ok &= (hour <= 23) & (minute <= 59)
        seconds = hour * 3600 + minute * 60
    if with_seconds:
        ok &= sign(16, ":")
        second = number(17, 18)
        ok &= second <= 59
        seconds += second
    offset = np.full(len(text), 7 * 3600, dtype=np.int32)  # no zone: Vietnam local time
    if zone == "Z":
        ok &= sign(-1, "Z")
        offset[:] = 0
    elif zone == "±":
        width = text.shape[1]
        ok &= sign(width - 6, "+", "-") & sign(width - 3, ":")
        off_h, off_m = number(width - 5, width - 4), number(width - 2, width - 1)
        ok &= (off_h <= 23) & (off_m <= 59)
        offset = np.where(text[:, width - 6] == ord("-"), -1, 1) * (off_h * 3600 + off_m * 60)
    month = np.clip(month, 1, 12) * ok + ~ok  # keep the arithmetic in range for bad rows
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    ok &= (year >= 1976) & (year <= 9998) & (day >= 1)
    ok &= day <= _MONTH_DAYS[month] + ((month == 2) & leap)
    days = _days_from_civil(
        year.astype(np.int64), month.astype(np.int64), np.clip(day, 1, 31).astype(np.int64)
    )
    # Vietnam (UTC+7) time of day: wall time - its offset + 7 h; then whole days.
    return days + np.floor_divide(seconds - offset + 7 * 3600, 86_400), ok


def _chunk_days(chunk: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Fast-path local days of one string chunk, grouped by text length."""
    n = len(chunk)
    offsets = np.frombuffer(
        chunk.buffers()[1], dtype=np.int32, count=n + 1, offset=chunk.offset * 4
    ).astype(np.int64)
    data = chunk.buffers()[2]
    text = (
        np.frombuffer(data, dtype=np.uint8)
        if data is not None and data.size
        else np.zeros(0, dtype=np.uint8)
    )
    length = np.diff(offsets)
    days = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    if n and length.min() == length.max() and int(length[0]) in _STAMP_FORMS:
        width = int(length[0])  # one length (an export): the bytes are an (n, width) matrix
        days, ok = _stamp_days(text[offsets[0] : offsets[-1]].reshape(n, width))
        return days, ok
    counts = np.bincount(length, minlength=max(_STAMP_FORMS) + 1)
    for width in _STAMP_FORMS:
        if counts[width]:
            rows = np.flatnonzero(length == width)
            matrix = text[offsets[rows][:, None] + np.arange(width)]
            days[rows], ok[rows] = _stamp_days(matrix)
    return days, ok


def _local_days(column: pa.ChunkedArray, n: int) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
    """Days since 1970-01-01 of the Vietnamese local day; mask of unreadable timestamps."""
    days = np.zeros(n, dtype=np.int32)
    bad = np.zeros(n, dtype=bool)
    row = 0
    for chunk in column.chunks:
        if not len(chunk):
            continue
        fast, ok = _chunk_days(chunk)
        part = days[row : row + len(chunk)]
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


# --- the whole file ---


def read_answer_table(path: Path, *, max_problems: int = 200) -> AnswerTable:
    """Read and check a METHOD §7 response file into columns.

    Same rules and messages as :func:`.exchange.read_response_file`; raises
    :class:`.exchange.ResponseFileError` with the first ``max_problems`` problems (in file
    order), each located by physical line and column.
    """
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise ResponseFileError([FileProblem(1, "", EMPTY_FILE)])
        # Read-only shared mapping, touched only for the header and for bad rows.
        raw = np.frombuffer(mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_READ), dtype=np.uint8)
    begin = 3 if raw[:3].tobytes() == b"\xef\xbb\xbf" else 0
    scan = _Scan()
    scanner = threading.Thread(target=_scan_file, args=(path, scan), daemon=True)
    scanner.start()

    def finish_scan() -> _Layout:
        scanner.join()
        if scan.utf8_error is not None:
            raise ResponseFileError([FileProblem(0, "", NOT_UTF8.format(reason=scan.utf8_error))])
        return _layout(scan, begin, size, raw)

    header = _header_cells(raw, begin)
    if header is None or _header_problems(header):
        header = _header(raw, finish_scan())  # raises: not UTF-8, or the header's problems
    # pyarrow parses while the byte scan runs.  The first read does not allow line breaks in
    # quoted cells (allowing them makes pyarrow split the file serially, ~20 % slower); the
    # scan then tells whether that was right: with line breaks in quoted cells, a block
    # boundary inside one shows up as an error, a rejected row or a wrong row count.
    rejected: list[str] = []
    table: pa.Table | None
    try:
        table = _read_csv(path, header, False, False, rejected)
    except pa.ArrowInvalid:
        table = None
    layout = finish_scan()
    newlines = layout.quoted_newlines > 0
    if newlines and (table is None or rejected or table.num_rows != _data_records(layout)):
        rejected.clear()
        try:
            table = _read_csv(path, header, True, False, rejected)
        except pa.ArrowInvalid:
            table = None
    exact = table is None  # an answer cell that is not one character: read them as text
    if table is None:
        rejected.clear()
        try:
            table = _read_csv(path, header, newlines, True, rejected)
        except pa.ArrowInvalid as exc:
            raise ResponseFileError([FileProblem(0, "", UNREADABLE.format(reason=exc))]) from None
    return _build(table, header, raw, layout, rejected, exact, max_problems)


def _data_records(layout: _Layout) -> int:
    """Records after the header that are not empty lines (what pyarrow makes rows of)."""
    return int(np.count_nonzero(layout.ends[1:] > layout.starts[1:]))


def _build(
    table: pa.Table,
    header: list[str],
    raw: NDArray[np.uint8],
    layout: _Layout,
    rejected: list[str],
    exact: bool,
    max_problems: int,
) -> AnswerTable:
    n = table.num_rows
    questionnaires = forms.load_all()
    # Records behind the table's rows: non-empty data records, minus those pyarrow rejected.
    records = np.flatnonzero(layout.ends > layout.starts)
    records = records[records > 0]
    wrong_cells = np.zeros(0, dtype=np.int64)
    if rejected:  # pyarrow skipped rows with the wrong number of cells: which records?
        off = _cell_counts(raw, layout, records) != len(header)
        wrong: list[int] = []
        for record in records[off]:  # blank ones are skipped, as exchange does
            if len(wrong) >= max_problems:
                break
            if not _blank(_record_text(raw, layout, int(record))):
                wrong.append(int(record))
        wrong_cells = np.array(wrong, dtype=np.int64)
        records = records[~off]
    if len(records) != n:  # a layout this reader does not follow: number rows in order
        records = np.arange(1, n + 1)
        lines_of = np.arange(1, n + 1, dtype=np.int64) + 1
        layout_ok = False
    else:
        lines_of = layout.lines[records]
        layout_ok = True

    code_cols = {name: _codes(table.column(name)) for name in CODE_COLUMNS}
    days, bad_time = _local_days(table.column("submitted_at"), n)
    answers = _answers(table, header, n, exact)
    versions = list(questionnaires)
    qcodes = code_cols["questionnaire"]
    q_lut = np.array(
        [versions.index(v) if v in versions else len(versions) for v in qcodes.values],
        dtype=np.intp,
    )
    q_index = q_lut[qcodes.codes] if len(q_lut) else np.zeros(n, dtype=np.intp)
    present = [j for j, code in enumerate(forms.all_item_codes()) if code in header]
    bad_items, some = _check_answers(answers, present, q_index, _item_limits(questionnaires))
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

    problems = _problems(
        raw,
        layout,
        header,
        questionnaires,
        records,
        lines_of,
        bad,
        wrong_cells,
        layout_ok,
        table,
        max_problems,
    )
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
        n=m,
        lines=lines_of.astype(np.int64),
        local_day=days.astype(np.int32),
        unit=code_cols["unit_code"],
        counter=code_cols["counter_code"],
        procedure=code_cols["procedure_code"],
        target_group=code_cols["target_group"],
        channel=code_cols["channel"],
        questionnaire=code_cols["questionnaire"],
        source=code_cols["source"],
        answers=answers,
        response_id=Codes(np.arange(m, dtype=np.int32), TextColumn(rid) if rid.num_chunks else ()),
    )


def _problems(
    raw: NDArray[np.uint8],
    layout: _Layout,
    header: list[str],
    questionnaires: dict[str, forms.Questionnaire],
    records: NDArray[np.int64],
    lines_of: NDArray[np.int64],
    bad: NDArray[np.bool_],
    wrong_cells: NDArray[np.int64],
    layout_ok: bool,
    table: pa.Table,
    max_problems: int,
) -> list[FileProblem]:
    """Messages for the first ``max_problems`` bad rows, built by exchange's own row check."""
    bad_rows = np.flatnonzero(bad)[:max_problems]
    if not len(bad_rows) and not len(wrong_cells):
        return []
    # (record, row or -1 for a record with the wrong number of cells), in file order.
    order = sorted(
        [(int(records[r]), int(r)) for r in bad_rows]
        + [(int(rec), -1) for rec in wrong_cells[:max_problems]]
    )
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
            problems.append(
                FileProblem(line, "", CELL_COUNT.format(got=len(cells), need=len(header)))
            )
            continue
        cells_of = dict(zip(header, (spreadsheet_value(c.strip()) for c in cells), strict=True))
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
