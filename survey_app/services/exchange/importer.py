"""Import of response files (``sipas import``, the web page ``/nhap-du-lieu``): all or nothing.

The file is the METHOD §7 response file that ``sipas export`` writes (CSV), or a workbook in
the same columns (XLSX, e.g. filled from :mod:`.template_xlsx`).  Steps:

1. **Read and check the format.**  A CSV goes through :func:`.answerfile.read_answer_table`
   (columns, vectorised checks) plus one more columnar read for ``submitted_at`` and
   ``comment``; when that finds a problem, or for a workbook, every row is read again one by
   one with :func:`.exchange._parse_row`, so that the report names *every* bad row — format
   problems and database problems together.
2. **Check against the database**, vectorised over the distinct codes: the unit exists (and,
   for an ``office`` user, lies in their scope), the counter belongs to that unit, the
   procedure exists and its target group is the row's, the questionnaire is known, the source
   is a name, the comment is not too long, the moment is not in the future, the
   ``response_id`` is a whole number used once in the file.
3. **Recognise what is stored already.**  A row with a ``response_id`` that exists is the same
   response when every field matches (skipped) — otherwise it is an error; a ``response_id``
   that does not exist is kept as the new response's id.  The stored rows are read as columns
   and compared with the file's columns at once (:func:`_recognise`).  A row without an id
   (paper keyed in) gets an idempotency key: a keyed hash (``HASH_KEY``) of its cells as
   written (an empty ``source`` cell stays empty: importing a file again with another
   ``--source`` still finds it) *and of how many identical rows came before it in the
   file*, so two identical paper forms in one file are two citizens (occurrences 0 and 1:
   two keys), while importing the same file again — or a longer file that repeats it —
   finds both keys stored and adds nothing.  The price: an identical form in a *later,
   separate* file (same moment, unit, answers and comment) is taken for the one already
   imported; keep a batch in one file.
4. **Store** with :func:`.bulkload.insert_columns`: the file's columns as they were read
   (numpy ids, days and the int8 answer matrix; no per-row dict), the day blocks in
   the same transaction, commit once.  Any problem → nothing stored, :class:`ImportRefused`
   lists every bad row by line, column and reason (in Vietnamese).

Imported responses count in every index exactly as online ones: the same rows, the same
statistics.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import BigInteger, Text, cast, extract, func, select, text

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, QuestionnaireVersion, Response, Unit
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
from survey_app.services.storage import bulkload
from survey_app.services.storage.bulkload import answers_json
from survey_app.services.storage.daystats import answer_matrix

__all__ = ["FileProblem", "ImportRefused", "ImportResult", "SUFFIXES", "import_file"]

SUFFIXES = (".csv", ".xlsx")
DEFAULT_SOURCE = "paper"
SOURCE_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
MAX_ID = 2_147_483_647  # responses.id is a 32-bit integer on PostgreSQL
KEY_PREFIX = "imp-"
BATCH = 250_000  # rows handed to bulkload at a time (as columns)
SQLITE_CACHE_KIB = 256 * 1024  # SQLite page cache during an import, in KiB
ANALYZE_AFTER = 50_000  # new rows after which the planner's statistics are refreshed
FUTURE_SLACK = timedelta(days=1)  # clocks and demo data differ; later is a typo (2062)
_EPOCH = date(1970, 1, 1).toordinal()
_CHUNK = 900  # values per IN (…) list
XLSX_MAX_UNPACKED = 512 << 20  # bytes a workbook may unpack to (a zip bomb is refused)

# Messages of the database checks (the format checks' messages are exchange.py's).
NO_UNIT = "không có đơn vị mã {code!r}"
OUT_OF_SCOPE = "đơn vị {code!r} nằm ngoài phạm vi bạn được nhập dữ liệu"
NO_COUNTER = "đơn vị {unit!r} không có quầy mã {code!r}"
NO_PROCEDURE = "không có thủ tục mã {code!r}"
WRONG_GROUP = "thủ tục {code!r} thuộc nhóm {group!r}; cột target_group phải là {group!r}"
NO_QUESTIONNAIRE = "phiên bản phiếu {code!r} chưa có trong cơ sở dữ liệu (chạy sipas init)"
BAD_SOURCE = (
    "nguồn {code!r} không hợp lệ: chữ thường không dấu, số, dấu chấm, gạch ngang "
    "hoặc gạch dưới, tối đa 40 ký tự"
)
LONG_COMMENT = "ý kiến dài {n} ký tự, tối đa {limit}"
FUTURE = "thời điểm ở tương lai"
BAD_ID = "mã phản hồi phải là số nguyên dương (tối đa {max}) hoặc để trống"
REPEATED_ID = "mã phản hồi {rid} đã xuất hiện ở dòng {first}"
CHANGED = "phản hồi {rid} đã có trong cơ sở dữ liệu với nội dung khác ({what}); không ghi đè"
NOT_XLSX = "không đọc được tệp Excel ({reason})"
XLSX_TOO_BIG = "tệp Excel khi giải nén lớn hơn {mb} MB; hãy chia nhỏ hoặc lưu dạng CSV"
EMPTY_SHEET = "bảng tính trống, thiếu dòng tiêu đề"
DUPLICATE_COLUMN = "cột lặp lại trong dòng tiêu đề"
MISSING_COLUMN = "thiếu cột bắt buộc"
UNKNOWN_COLUMN = "cột không có trong định dạng tệp"
CELL_COUNT = "có {got} ô, cần {need}"
NO_ROWS = "tệp không có phản hồi nào"
BAD_TYPE = "chỉ nhận tệp .csv hoặc .xlsx"


class ImportRefused(ValueError):
    """The file cannot be imported; nothing was stored. ``problems`` lists every bad row."""

    def __init__(self, problems: list[FileProblem]) -> None:
        problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("\n".join(str(p) for p in problems[:50]))
        self.problems = problems


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int  # responses in the file
    added: int  # new responses (stored unless dry_run)
    skipped: int  # already stored, identical
    dry_run: bool
    by_unit: dict[str, int] = field(default_factory=dict)  # new responses per unit code
    by_source: dict[str, int] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None
    kept_ids: int = 0  # new responses that keep the file's response_id


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


def _read(path: Path) -> tuple[_Rows, list[FileProblem]]:
    """The file's responses and its format problems (every bad row)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_records(_xlsx_records(path))
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


def _answer_texts(matrix: Any, wanted: Sequence[int]) -> list[str]:
    """``A1=5,C1=2`` (item codes sorted) of the rows ``wanted``, built by pyarrow: what the
    idempotency keys hash."""
    codes = forms.all_item_codes()
    order = sorted(range(len(codes)), key=lambda j: codes[j])
    pieces = pa.array([f"{codes[j]}={v}" for j in order for v in range(10)], pa.string())
    out: list[str] = []
    for lo in range(0, len(wanted), 200_000):  # bounded memory
        sub = matrix[np.asarray(wanted[lo : lo + 200_000], dtype=np.intp)][:, order]
        rows, cols = np.nonzero(sub)
        index = cols.astype(np.int32) * 10 + sub[rows, cols]
        offsets = np.zeros(sub.shape[0] + 1, dtype=np.int32)
        np.cumsum(np.count_nonzero(sub, axis=1), out=offsets[1:])
        lists = pa.ListArray.from_arrays(pa.array(offsets), pieces.take(pa.array(index)))
        out.extend(pc.binary_join(lists, ",").to_pylist())
    return out


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
            [FileProblem(reader.line_num, "", f"không đọc được tệp CSV ({exc})")]
        ) from None


def _xlsx_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as texts) of the workbook's data sheet (``Phiếu`` or the first)."""
    try:  # a workbook is a zip: refuse one that would unpack to far more than a sheet needs
        with zipfile.ZipFile(path) as packed:
            unpacked = sum(info.file_size for info in packed.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(
            [FileProblem(0, "", NOT_XLSX.format(reason=type(exc).__name__))]
        ) from None
    if unpacked > XLSX_MAX_UNPACKED:
        raise ImportRefused([FileProblem(0, "", XLSX_TOO_BIG.format(mb=XLSX_MAX_UNPACKED >> 20))])
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


# --- checks against the database ------------------------------------------------------------


@dataclass
class _Resolved:
    unit_id: list[int]
    counter_id: list[int | None]
    procedure_id: list[int | None]
    source: list[str]  # the source each row is stored with
    rid: list[int | None]
    columns: Any = None  # unit, counter, procedure ids (0 = none) as numpy arrays; sources


def _check(
    rows: _Rows, scope: set[int] | None, default_source: str, problems: list[FileProblem]
) -> _Resolved:
    """Resolve codes to ids; append a problem for every bad cell.  Each distinct code is
    looked up once; Python runs per row only to spread the results and for bad rows."""
    lines = rows.lines

    def bad(mask: Any, column: str, message: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask).tolist():
            problems.append(FileProblem(lines[i], column, message(i)))

    # Units: id per distinct code; 0 = unknown, -1 = outside the scope.
    units = {code: uid for code, uid in db.session.execute(select(Unit.code, Unit.id))}
    unit_of = [units.get(v, 0) for v in rows.unit.values]
    if scope is not None:
        unit_of = [u if u == 0 or u in scope else -1 for u in unit_of]
    uid = (
        np.array(unit_of, dtype=np.int64)[rows.unit.codes]
        if rows.n
        else np.zeros(0, dtype=np.int64)
    )
    unit_text = rows.unit.values
    ucodes = rows.unit.codes
    bad(uid == 0, "unit_code", lambda i: NO_UNIT.format(code=unit_text[ucodes[i]]))
    bad(uid == -1, "unit_code", lambda i: OUT_OF_SCOPE.format(code=unit_text[ucodes[i]]))

    # Counters: one lookup per distinct (unit, counter code) pair.
    counters = {
        (u, code): cid
        for cid, u, code in db.session.execute(select(Counter.id, Counter.unit_id, Counter.code))
    }
    ctext, ccodes = rows.counter.values, rows.counter.codes
    pair = uid * (len(ctext) + 1) + ccodes
    pairs, where = np.unique(pair, return_inverse=True)
    pair_cid = []
    for p in pairs.tolist():
        u, c = divmod(p, len(ctext) + 1)
        pair_cid.append(0 if u <= 0 or not ctext[c] else counters.get((u, ctext[c]), -1))
    cid = np.array(pair_cid, dtype=np.int64)[where] if rows.n else np.zeros(0, np.int64)
    bad(
        cid == -1,
        "counter_code",
        lambda i: NO_COUNTER.format(unit=unit_text[ucodes[i]], code=ctext[ccodes[i]]),
    )

    # Procedures: id and target group per distinct code.
    procedures = {
        code: (pid, group)
        for pid, code, group in db.session.execute(
            select(Procedure.id, Procedure.code, Procedure.target_group)
        )
    }
    ptext, pcodes = rows.procedure.values, rows.procedure.codes
    found = [procedures.get(v, (-1, "")) if v else (0, "") for v in ptext]
    pid = (
        np.array([f[0] for f in found], dtype=np.int64)[pcodes] if rows.n else np.zeros(0, np.int64)
    )
    bad(pid == -1, "procedure_code", lambda i: NO_PROCEDURE.format(code=ptext[pcodes[i]]))
    groups = sorted({*rows.target_group.values, *(f[1] for f in found)})
    proc_group = np.array([groups.index(f[1]) for f in found], dtype=np.int64)[pcodes]
    row_group = np.array([groups.index(g) for g in rows.target_group.values], dtype=np.int64)[
        rows.target_group.codes
    ]
    bad(
        (pid > 0) & (proc_group != row_group),
        "target_group",
        lambda i: WRONG_GROUP.format(code=ptext[pcodes[i]], group=found[pcodes[i]][1]),
    )

    stored_versions = set(db.session.scalars(select(QuestionnaireVersion.id)))
    qtext, qcodes = rows.questionnaire.values, rows.questionnaire.codes
    unknown = np.array([v not in stored_versions for v in qtext], dtype=bool)
    bad(unknown[qcodes], "questionnaire", lambda i: NO_QUESTIONNAIRE.format(code=qtext[qcodes[i]]))

    stext, scodes = rows.source.values, rows.source.codes
    effective = [s or default_source for s in stext]
    wrong = np.array([not SOURCE_RE.fullmatch(s) for s in effective], dtype=bool)
    bad(wrong[scodes], "source", lambda i: BAD_SOURCE.format(code=stext[scodes[i]]))

    limit = int(current_app.config["MAX_COMMENT_LENGTH"])
    comments = rows.comment
    long = [i for i, c in enumerate(comments) if len(c) > limit]
    bad(
        np.isin(np.arange(rows.n), long),
        "comment",
        lambda i: LONG_COMMENT.format(n=len(comments[i]), limit=limit),
    )

    latest = datetime.now(UTC) + FUTURE_SLACK
    late = [i for i, m in enumerate(rows.moment) if m > latest]
    bad(np.isin(np.arange(rows.n), late), "submitted_at", lambda i: FUTURE)

    rid: list[int | None] = [None] * rows.n
    first_line: dict[int, int] = {}
    for i, raw in enumerate(rows.rid):
        if not raw:
            continue
        value = int(raw) if raw.isascii() and raw.isdigit() else 0
        if not 1 <= value <= MAX_ID:
            problems.append(FileProblem(lines[i], "response_id", BAD_ID.format(max=MAX_ID)))
            continue
        if value in first_line:
            problems.append(
                FileProblem(
                    lines[i], "response_id", REPEATED_ID.format(rid=value, first=first_line[value])
                )
            )
            continue
        first_line[value] = lines[i]
        rid[i] = value
    return _Resolved(
        unit_id=uid.tolist(),
        counter_id=[c or None for c in cid.tolist()],
        procedure_id=[p or None for p in pid.tolist()],
        source=[effective[c] for c in scodes.tolist()],
        rid=rid,
        columns=(uid, cid, pid, _Enc(scodes, effective)),
    )


# --- what is stored already -----------------------------------------------------------------


def _hash_key() -> bytes:
    return hashlib.sha256(str(current_app.config["HASH_KEY"]).encode()).digest()


def _keys(rows: _Rows, res: _Resolved) -> list[str | None]:
    """Idempotency keys of the rows without a response_id (see the module docstring)."""
    secret = _hash_key()
    seen: Tally[bytes] = Tally()
    keys: list[str | None] = [None] * rows.n
    cols = [
        c.texts()
        for c in (
            rows.source,
            rows.unit,
            rows.counter,
            rows.procedure,
            rows.target_group,
            rows.channel,
            rows.questionnaire,
        )
    ]
    wanted = [i for i in range(rows.n) if res.rid[i] is None]
    for i, answers in zip(wanted, _answer_texts(rows.answers, wanted), strict=True):
        content = "\x1f".join(
            (
                *(col[i] for col in cols),
                rows.moment[i].strftime("%Y-%m-%dT%H:%M:%S.%f"),
                answers,
                rows.comment[i],
            )
        ).encode()
        digest = hashlib.blake2b(content, digest_size=16).digest()
        occurrence = seen[digest]
        seen[digest] += 1
        keyed = hashlib.blake2b(digest + occurrence.to_bytes(4, "big"), key=secret, digest_size=24)
        keys[i] = KEY_PREFIX + keyed.hexdigest()
    return keys


def _stored_keys(keys: list[str | None], counter_id: list[int | None]) -> set[str]:
    """The keys that a stored response holds already (through the unique index on
    (counter_id, idempotency_key): one lookup per counter, and per chunk of keys)."""
    by_counter: dict[int | None, list[str]] = {}
    for key, cid in zip(keys, counter_id, strict=True):
        if key is not None:
            by_counter.setdefault(cid, []).append(key)
    found: set[str] = set()
    column = Response.idempotency_key
    for cid, wanted in by_counter.items():
        where = Response.counter_id.is_(None) if cid is None else Response.counter_id == cid
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found.update(db.session.scalars(select(column).where(where, column.in_(chunk))))
    return found


_FIELDS = (
    "submitted_at",
    "unit_code",
    "counter_code",
    "procedure_code",
    "target_group",
    "channel",
    "questionnaire",
    "source",
    "answers",
    "comment",
)
_READ = 100_000  # file ids per read of the stored rows
_NO_MOMENT = -(1 << 62)  # the seconds of a stored row without a moment: differs from any
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def _stored_sql() -> str:
    """``SELECT`` of what is compared, one row per stored response, without its ``WHERE``:
    id, the moment in whole UTC seconds (cut, not rounded: as exported), unit, counter and
    procedure ids (0 = none), target group, channel ("" = none), questionnaire, source, the
    answers' JSON text as stored, the comment ("" = none)."""
    r = Response.__table__.c
    dialect = db.session.connection().dialect
    if dialect.name == "sqlite":  # stored as text "YYYY-MM-DD HH:MM:SS.ffffff", naive UTC
        seconds = cast(func.strftime("%s", func.substr(r.submitted_at, 1, 19)), BigInteger)
    else:
        seconds = cast(
            extract("epoch", func.date_trunc("second", func.timezone("UTC", r.submitted_at))),
            BigInteger,
        )
    query = select(
        r.id,
        seconds,
        r.unit_id,
        func.coalesce(r.counter_id, 0),
        func.coalesce(r.procedure_id, 0),
        r.target_group,
        func.coalesce(r.channel, ""),
        r.questionnaire_id,
        r.source,
        cast(r.answers, Text),
        func.coalesce(r.comment, ""),
    )
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _stored_chunks(ids: Any) -> Iterator[Any]:
    """The stored rows (:func:`_stored_sql`'s columns, an object matrix) among the sorted
    ``ids``, a chunk at a time.  A dense run of ids is read as one id range (the rows of
    the range that are not in the file are dropped by the caller); scattered ids, in lists.
    Read on the DB-API cursor: SQLAlchemy's row processing would cost more than the read."""
    head = _stored_sql()
    conn = db.session.connection()
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(ids), _READ):
            chunk = ids[start : start + _READ]
            lo, hi = int(chunk[0]), int(chunk[-1])
            if hi - lo < 2 * len(chunk):
                wheres = [f" WHERE responses.id BETWEEN {lo} AND {hi}"]
            else:
                wheres = [
                    " WHERE responses.id IN ({})".format(
                        ",".join(str(int(i)) for i in chunk[k : k + _CHUNK])
                    )
                    for k in range(0, len(chunk), _CHUNK)
                ]
            for where in wheres:  # whole numbers only: nothing from the file reaches the SQL
                cursor.execute(head + where)
                found = cursor.fetchall()
                if found:
                    out = np.empty((len(found), 11), dtype=object)
                    out[:] = found
                    yield out
    finally:
        cursor.close()


def _recognise(rows: _Rows, res: _Resolved) -> tuple[Any, list[tuple[int, list[str]]]]:
    """The rows whose ``response_id`` is stored (a mask), and those of them whose content
    differs: (row, the names of the fields that differ, in :data:`_FIELDS` order).

    Compared column by column over numpy arrays aligned with the file's rows: moments as
    whole UTC seconds, ids as integers (0 = none), texts through the file's dictionary
    codes, the answers as the JSON text :mod:`.bulkload` writes for the row — a stored text
    that is not exactly that (a response submitted online keeps its own key order and
    spacing) is parsed and compared as ``{code: value}``."""
    n = rows.n
    found = np.zeros(n, dtype=bool)
    fid = np.fromiter((r or 0 for r in res.rid), dtype=np.int64, count=n)
    with_id = np.flatnonzero(fid)
    if not with_id.size:
        return found, []
    order = with_id[np.argsort(fid[with_id], kind="stable")]
    sorted_ids = fid[order]
    uid, cid, pid, source = res.columns
    texts = (rows.target_group, rows.channel, rows.questionnaire, source)
    lookups = [_TextLookup(enc) for enc in texts]
    changed: list[tuple[int, list[str]]] = []
    for stored in _stored_chunks(sorted_ids):
        ids = stored[:, 0].astype(np.int64)
        k = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        keep = sorted_ids[k] == ids
        if not keep.all():
            stored, k = stored[keep], k[keep]
        if not len(k):
            continue
        at = order[k]  # the file row of each stored row
        found[at] = True
        differs = np.empty((len(at), len(_FIELDS)), dtype=bool)
        differs[:, 0] = _seconds_of_column(stored[:, 1]) != _seconds(rows.moment, at)
        differs[:, 1] = stored[:, 2].astype(np.int64) != uid[at]
        differs[:, 2] = stored[:, 3].astype(np.int64) != cid[at]
        differs[:, 3] = stored[:, 4].astype(np.int64) != pid[at]
        for j, lookup in zip((4, 5, 6, 7), lookups, strict=True):
            differs[:, j] = ~lookup.same(stored[:, j + 1], at)
        differs[:, 8] = _answers_differ(stored[:, 9], rows.answers[at])
        comments = rows.comment
        differs[:, 9] = stored[:, 10] != np.array([comments[i] for i in at.tolist()], dtype=object)
        for row in np.flatnonzero(differs.any(axis=1)).tolist():
            changed.append(
                (
                    int(at[row]),
                    [name for name, d in zip(_FIELDS, differs[row].tolist(), strict=True) if d],
                )
            )
    return found, changed


class _TextLookup:
    """Stored texts → the file column's dictionary codes (-1: a text the file lacks)."""

    def __init__(self, enc: _Enc) -> None:
        self.first: dict[str, int] = {}  # equal texts share the code of the first
        canon = [self.first.setdefault(v, k) for k, v in enumerate(enc.values)]
        self.codes = (
            np.array(canon, dtype=np.int64)[enc.codes]
            if canon
            else np.zeros(len(enc.codes), dtype=np.int64)
        )

    def same(self, stored: Any, at: Any) -> Any:
        theirs = np.fromiter(
            map(self.first.get, stored.tolist(), repeat(-1)), dtype=np.int64, count=len(stored)
        )
        return theirs == self.codes[at]


def _seconds(moments: list[datetime], at: Any) -> Any:
    """Whole UTC seconds of the file's (aware UTC) moments ``at``."""
    return np.fromiter(
        ((moments[i] - _UNIX) // _SECOND for i in at.tolist()), dtype=np.int64, count=len(at)
    )


def _seconds_of_column(column: Any) -> Any:
    try:
        return column.astype(np.int64)
    except TypeError:  # a stored row without a moment
        return np.array(
            [_NO_MOMENT if v is None else int(v) for v in column.tolist()], dtype=np.int64
        )


def _answers_differ(stored: Any, matrix: Any) -> Any:
    """Whether each stored answers JSON text means other answers than the matrix row."""
    mine = np.empty(len(stored), dtype=object)
    mine[:] = answers_json(matrix)
    differ = stored != mine
    other = np.flatnonzero(differ)  # written another way (or other answers): parse
    if other.size:
        differ[other] = _parsed_differ(stored[other].tolist(), matrix[other])
    return differ


def _parsed_differ(texts: list[Any], matrix: Any) -> Any:
    """Whether each stored answers text, parsed, differs from the matrix row as
    ``{code: value}`` (values compared as whole numbers; an unreadable text differs)."""
    parsed: list[Any] = []
    for raw in texts:
        try:
            parsed.append(json.loads(raw) if isinstance(raw, str | bytes) else raw)
        except ValueError:
            parsed.append(_UNREADABLE)
    if all(type(a) is dict and all(type(v) is int for v in a.values()) for a in parsed):
        try:  # the common case at once: known item codes, values 1–9
            return (answer_matrix(parsed) != matrix).any(axis=1)
        except ValueError:
            pass
    codes = forms.all_item_codes()
    out = np.zeros(len(parsed), dtype=bool)
    for k, (answers, row) in enumerate(zip(parsed, matrix.tolist(), strict=True)):
        mine = {codes[j]: v for j, v in enumerate(row) if v}
        try:
            theirs = {str(c): int(v) for c, v in (answers or {}).items()}
        except (AttributeError, TypeError, ValueError):
            theirs = None
        out[k] = theirs != mine
    return out


_UNREADABLE = object()


# --- the import -----------------------------------------------------------------------------


def import_file(
    path: Path,
    *,
    source: str | None = None,
    scope: set[int] | None = None,
    dry_run: bool = False,
    before_commit: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Import a response file (CSV or XLSX), all or nothing.

    ``source`` fills an empty ``source`` column (default ``paper``); ``scope`` limits the units
    rows may name (``None``: every unit); ``before_commit`` may add to the transaction (an
    audit entry). Raises :class:`ImportRefused` listing every bad row; then nothing is
    stored.  With ``dry_run`` nothing is stored either way.
    """
    default_source = (source or "").strip() or DEFAULT_SOURCE
    if not SOURCE_RE.fullmatch(default_source):
        raise ImportRefused([FileProblem(0, "source", BAD_SOURCE.format(code=default_source))])
    if not dry_run and db.engine.dialect.name == "postgresql":
        # One import at a time: two imports of one file must not both find its keys unused.
        db.session.execute(text("SELECT pg_advisory_xact_lock(7301)"))
    rows, problems = _read(path)
    if rows.n == 0 and not problems:
        raise ImportRefused([FileProblem(0, "", NO_ROWS)])
    res = _check(rows, scope, default_source, problems)
    if problems:
        raise ImportRefused(problems)

    keys = _keys(rows, res)
    stored_keys = _stored_keys(keys, res.counter_id)
    found, changed = _recognise(rows, res)
    for i, what in changed:
        problems.append(
            FileProblem(
                rows.lines[i], "response_id", CHANGED.format(rid=res.rid[i], what=", ".join(what))
            )
        )
    if stored_keys:
        found |= np.fromiter(
            (k is not None and k in stored_keys for k in keys), dtype=bool, count=rows.n
        )
    new: list[int] = np.flatnonzero(~found).tolist()
    skipped = rows.n - len(new)
    if problems:
        raise ImportRefused(problems)

    unit_text = rows.unit.texts()
    result = ImportResult(rows=rows.n, added=len(new), skipped=skipped, dry_run=dry_run)
    result.by_unit = dict(sorted(Tally(unit_text[i] for i in new).items()))
    result.by_source = dict(sorted(Tally(res.source[i] for i in new).items()))
    result.kept_ids = sum(1 for i in new if res.rid[i] is not None)
    if new:
        result.first_day = min(rows.day[i] for i in new)
        result.last_day = max(rows.day[i] for i in new)
    if dry_run or not new:
        db.session.rollback()
        return result

    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:  # the indexes a large load updates fit in a bigger page cache (≈ 10 % faster)
        cache = db.session.execute(text("PRAGMA cache_size")).scalar()
        db.session.execute(text(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}"))
    try:
        for start in range(0, len(new), BATCH):
            bulkload.insert_columns(_columns(rows, res, keys, new[start : start + BATCH]))
        if len(new) >= ANALYZE_AFTER:
            bulkload.analyze()  # the planner's statistics, after a large load
        if before_commit is not None:
            before_commit(result)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        if sqlite:
            db.session.execute(text(f"PRAGMA cache_size = {int(cache or -2000)}"))
            db.session.commit()
    return result


def _columns(rows: _Rows, res: _Resolved, keys: list[str | None], chosen: list[int]) -> Any:
    """The rows ``chosen`` as :class:`.bulkload.Columns` (no per-row dict is built)."""
    at = np.asarray(chosen, dtype=np.intp)
    uid, cid, pid, source = res.columns

    def text(enc: _Enc) -> bulkload.Text:
        return bulkload.Text(enc.codes[at], enc.values)

    moments = [rows.moment[i].replace(tzinfo=None) for i in chosen]  # aware UTC → naive UTC
    ids = [res.rid[i] or 0 for i in chosen]
    return bulkload.Columns(
        questionnaire=text(rows.questionnaire),
        unit_id=uid[at],
        counter_id=cid[at],
        procedure_id=pid[at],
        target_group=text(rows.target_group),
        channel=text(rows.channel),
        submitted_at=np.array(moments, dtype="datetime64[us]"),
        local_day=np.array([rows.day[i].toordinal() for i in chosen], dtype=np.int64),
        answers=rows.answers[at],
        source=text(source),
        comment=[rows.comment[i] or None for i in chosen],
        idempotency_key=[keys[i] for i in chosen],
        id=np.array(ids, dtype=np.int64) if any(ids) else None,
    )


def problems_text(problems: Sequence[FileProblem]) -> str:
    """Every problem, one per line (for the CLI's standard error)."""
    return "\n".join(str(p) for p in problems)
