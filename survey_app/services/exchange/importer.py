"""Import of response files (``sipas import``, the web page ``/nhap-du-lieu``): all or nothing.

The file is the METHOD §7 response file that ``sipas export`` writes (CSV), or a workbook in
the same columns (XLSX, e.g. filled from :mod:`.template`).  Steps:

1. **Read and check the format** (:mod:`.importread`).  A CSV goes through
   :func:`.answerfile.read_answer_table` (columns, vectorised checks) plus one more columnar
   read for ``submitted_at`` and ``comment``; when that finds a problem, or for a workbook,
   every row is read again one by one with :func:`.csvfile._parse_row`, so that the report
   names *every* bad row — format problems, database problems and changed stored responses
   (step 3, run on the sound rows) together, in one round, by line.
2. **Check against the database**, vectorised over the distinct codes: the unit exists (and,
   for an ``office`` user, lies in their scope), the counter belongs to that unit, the
   procedure exists and its target group is the row's, the questionnaire is known, the source
   is a name, the comment is not too long, the moment is not in the future, the
   ``response_id`` is a whole number used once in the file.
3. **Recognise what is stored already** (:mod:`.reimport`). A row with a ``response_id`` that
   exists is the same response when every field matches (skipped) — otherwise it is an error; a
   ``response_id`` that does not exist is kept as the new response's id. The stored rows are
   read as columns and compared with the file's columns at once. A row without an id (paper
   keyed in) gets an idempotency key: a keyed hash (``HASH_KEY``) of its cells as written (an
   empty ``source`` cell stays empty: importing a file again with another ``--source`` still
   finds it) *and of how many identical rows came before it in the file*, so two identical
   paper forms in one file are two citizens (occurrences 0 and 1: two keys), while importing
   the same file again — or a longer file that repeats it — finds both keys stored and adds
   nothing. The price: an identical form in a *later, separate* file (same moment, unit,
   answers and comment) is taken for the one already imported; keep a batch in one file.
4. **Store** with :func:`.bulkload.insert_columns`: the file's columns as they were read
   (numpy ids, days and the int8 answer matrix; no per-row dict), the day blocks in
   the same transaction, commit once.  Any problem → nothing stored, :class:`ImportRefused`
   lists every bad row by line, column and reason (in Vietnamese).

Imported responses count in every index exactly as online ones: the same rows, the same
statistics.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter as Tally
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from flask import current_app
from sqlalchemy import select, text

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, QuestionnaireVersion, Response, Unit
from survey_app.services.exchange.csvfile import FileProblem
from survey_app.services.exchange.importread import (
    ImportRefused,
    Limits,
    Problems,
    _Enc,
    _read,
    _Rows,
)
from survey_app.services.exchange.reimport import _recognise
from survey_app.services.storage import bulkload

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
_CHUNK = 900  # values per IN (…) list
_READ = 100_000  # file ids per read of the stored rows
XLSX_MAX_UNPACKED = 512 << 20  # bytes a workbook may unpack to (a zip bomb is refused)

# Messages of the database checks (the format checks' are importread's and csvfile's).
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
NO_ROWS = "tệp không có phản hồi nào"


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
    limits = Limits.from_config(current_app.config, XLSX_MAX_UNPACKED)
    rows, read_problems = _read(path, limits)
    problems = Problems(limits.max_problems)
    problems += read_problems
    problems.more += getattr(read_problems, "more", 0)
    if rows.n == 0 and not problems:
        raise ImportRefused([FileProblem(0, "", NO_ROWS)])
    res = _check(rows, scope, default_source, problems)
    # Every bad row in one round: the sound rows are compared with the stored responses too
    # (a response_id whose content changed) even when other rows already have problems.
    bad_lines = {p.line for p in problems}
    sound_rid = [None if rows.lines[i] in bad_lines else r for i, r in enumerate(res.rid)]
    found, changed = _recognise(rows, sound_rid, res.columns, _READ, _CHUNK)
    for i, what in changed:
        problems.append(
            FileProblem(
                rows.lines[i], "response_id", CHANGED.format(rid=res.rid[i], what=", ".join(what))
            )
        )
    if problems:
        raise ImportRefused(problems)  # sorted by line there, the count beyond the cap kept

    keys = _keys(rows, res)
    stored_keys = _stored_keys(keys, res.counter_id)
    if stored_keys:
        found |= np.fromiter(
            (k is not None and k in stored_keys for k in keys), dtype=bool, count=rows.n
        )
    new: list[int] = np.flatnonzero(~found).tolist()
    skipped = rows.n - len(new)

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


def problems_text(problems: Sequence[FileProblem], more: int = 0) -> str:
    """The problems, one per line, and how many more there are (for the CLI's standard
    error)."""
    text = "\n".join(str(p) for p in problems)
    return text + (f"\n… và {more} lỗi khác" if more else "")
