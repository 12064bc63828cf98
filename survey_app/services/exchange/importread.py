"""The import's first step (see :mod:`.importer`): the file read into columns (:class:`_Rows`,
file order, texts dictionary-encoded), with every format problem.

A CSV goes through :func:`.answerfile.read_answer_table` (columns, vectorised checks) plus one
more columnar read for ``submitted_at`` and ``comment``; when that finds a problem, or for a
workbook, every row is read again one by one with :func:`.csvfile._parse_row`, so that the
report names *every* bad row.  Before that, :mod:`.filecheck` looks at the file as it is (a
CSV's encoding, NUL bytes, line ends and delimiter — a ``;`` or tab separated file is read
through a comma copy —; a workbook's size and its sheet's rows). The names here are the
importer's internals.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

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
from survey_app.services.exchange.filecheck import (
    UNREADABLE_CSV,
    ImportRefused,
    Limits,
    Problems,
    check_csv_bytes,
    with_commas,
    xlsx_records,
)
from survey_app.services.formatting import spreadsheet_value
from survey_app.services.storage.daystats import answer_matrix
from survey_app.services.text import clean as clean_text

_EPOCH = date(1970, 1, 1).toordinal()

# Messages of the format checks read here (the cells' own are csvfile's).
EMPTY_SHEET = "bảng tính trống, thiếu dòng tiêu đề"
DUPLICATE_COLUMN = "cột lặp lại trong dòng tiêu đề"
MISSING_COLUMN = "thiếu cột bắt buộc"
UNKNOWN_COLUMN = "cột không có trong định dạng tệp"
CELL_COUNT = "có {got} ô, cần {need}"
BAD_TYPE = "chỉ nhận tệp .csv hoặc .xlsx"


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


def _read(path: Path, limits: Limits) -> tuple[_Rows, list[FileProblem]]:
    """The file's responses and its format problems (every bad row, up to
    ``limits.max_problems``); a workbook is held to ``limits``."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_records(xlsx_records(path, limits), csv_cells=False, limits=limits)
    if suffix != ".csv":
        raise ImportRefused([FileProblem(0, "", BAD_TYPE)])
    delimiter = check_csv_bytes(path)
    if delimiter != ",":  # Excel's "CSV" with ; or tab: read as it is, through a comma copy
        with tempfile.TemporaryDirectory() as folder:
            return _read_csv(with_commas(path, delimiter, Path(folder)), limits)
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
            [FileProblem(reader.line_num, "", UNREADABLE_CSV.format(reason=exc))]
        ) from None


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
