"""A dossier CSV read and checked column-wise (pyarrow), for files of a million rows.

The checks are :class:`.ingest.Checker`'s, vectorised for the plain form of each field
(printable ASCII, ``YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|±HH:MM]`` moments, ``YYYY-MM-DD``
days, known codes); a row that is not plain in every field — or fails a check — is handed
to the checker itself, which stores it or names its problems exactly as for any other row.
The stored values and the fingerprint are the checker's and the store's, computed on
columns; an unchanged dossier (same code, same fingerprint) costs no Python object.

A file that the columnar reader would not number line for line as :mod:`csv` does (a value
over several lines, a blank line, a row of another width, a header with empty trailing
cells, the formula guard ``'`` of sipas's own CSV) is read row by row instead
(:func:`read_table` returns ``None``).
"""

from __future__ import annotations

import csv
from datetime import datetime
from hashlib import blake2b
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from survey_app.models.dossiers import CHANNELS, OUTCOMES
from survey_app.services.dossiers.ingest import CHUNK, CLOSED, FIELDS, YEARS, Checker
from survey_app.services.dossiers.results import IngestResult
from survey_app.services.dossiers.store import Store, fingerprint

_EPOCH = 719_163  # date(1970, 1, 1).toordinal()
_US = 1_000_000
_DAY_US = 86_400 * _US
_VN_US = 7 * 3600 * _US
_MOMENT = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$"
_DAY = r"^\d{4}-\d{2}-\d{2}$"
_TRUE = pa.array(["1", "true", "co", "x", "yes"])
_YESNO = pa.array(["1", "true", "co", "x", "yes", "", "0", "false", "khong", "no"])


def read_table(path: Path, delimiter: str) -> tuple[list[str], pa.Table] | None:
    """(header, text columns) of a CSV already passed by the file checks, or ``None`` when
    it must be read row by row (see the module's docstring)."""
    data = path.read_bytes()
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8-sig").rstrip("\r")
    header = next(csv.reader([first], delimiter=delimiter), [])
    if not header or not header[-1].strip() or '"' in first:
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    names = [f"c{k}" for k in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    if table.num_rows != lines - 1 or table.num_rows == 0:
        return None
    columns = [table.column(k).combine_chunks() for k in range(len(header))]
    if any(pc.any(pc.starts_with(c, "'")).as_py() for c in columns):
        return None
    joined = pc.binary_join_element_wise(*columns, "")
    if pc.any(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(joined)), 0)).as_py():
        return None
    return header, pa.table(columns, names=names)


class Columns:
    """Checks and stores the chunks of a table (the :data:`.ingest.Feed` of a CSV)."""

    def __init__(self, header: list[str], table: pa.Table) -> None:
        self.fields = [h.strip().lstrip("\ufeff") for h in header]
        self.table = table
        self.seen: dict[str, int] = {}

    def __call__(self, checker: Checker, store: Store, result: IngestResult) -> None:
        units = checker.units
        self.unit_codes = pa.array(list(units), pa.string())
        self.unit_ids = pa.array(list(units.values()), pa.int64())
        code_of = {i: c for c, i in units.items()}
        keys = [(f"{code_of.get(u, '')}\x1f{c}", i) for (u, c), i in checker.counters.items()]
        self.counter_keys = pa.array([k for k, _ in keys], pa.string())
        self.counter_ids = pa.array([i for _, i in keys], pa.int64())
        self.proc_codes = pa.array(list(checker.procedures), pa.string())
        self.proc_ids = pa.array(list(checker.procedures.values()), pa.int64())
        self.latest = _utc_us(checker.latest)
        codes = pc.utf8_upper(pc.utf8_trim_whitespace(self._raw(self.table, "code")))
        # every code distinct (as the plain rows normalise them): no row-by-row duplicate
        # check while all rows are plain; the stored dossier of each code (None: new)
        self.distinct = pc.count_distinct(codes).as_py() == len(codes)
        self.exact = not self.distinct
        self.pending: list[tuple[int, list[str]]] = []
        self.prints = self.position = None
        if store.pairs is not None:
            self.prints = pa.array([p for _, p in store.pairs], pa.string())
            stored = pa.array([c for c, _ in store.pairs], pa.string())
            self.position = pc.index_in(codes, value_set=stored)
        for start in range(0, self.table.num_rows, CHUNK):
            part = self.table.slice(start, CHUNK)
            self._chunk(checker, store, result, part, start)

    def _raw(self, part: pa.Table, name: str) -> pa.Array:
        if name in self.fields:
            return part.column(self.fields.index(name)).combine_chunks()
        return pa.array([""] * part.num_rows, pa.string())

    def _chunk(
        self, checker: Checker, store: Store, result: IngestResult, part: pa.Table, start: int
    ) -> None:
        n = part.num_rows
        line0 = start + 2  # the header is line 1
        result.rows += n
        raw = {name: self._raw(part, name) for name in FIELDS}
        ok = pc.ascii_is_printable(pc.binary_join_element_wise(*raw.values(), ","))
        t = {name: pc.utf8_trim_whitespace(raw[name]) for name in FIELDS}

        def both(*masks: Any) -> Any:
            out = ok
            for mask in masks:
                out = pc.and_(out, pc.fill_null(mask, False))
            return out

        code = pc.utf8_upper(t["code"])
        length = pc.utf8_length(code)
        ok = both(pc.greater(length, 0), pc.less_equal(length, 60), _matches(code, checker))
        proc = t["procedure_code"]
        length = pc.utf8_length(proc)
        ok = both(pc.greater(length, 0), pc.less_equal(length, 40))
        proc_id = pc.take(self.proc_ids, pc.index_in(proc, value_set=self.proc_codes))
        recv_id = self._unit(t["receiving_unit"], checker)
        resolv_id = self._unit(t["resolving_unit"], checker)
        ok = both(pc.is_valid(recv_id), pc.is_valid(resolv_id))
        counter = t["receiving_counter"]
        key = pc.binary_join_element_wise(t["receiving_unit"], counter, "\x1f")
        counter_id = pc.take(self.counter_ids, pc.index_in(key, value_set=self.counter_keys))
        no_counter = pc.equal(counter, "")
        ok = both(pc.or_(no_counter, pc.is_valid(counter_id)))
        counter_id = pc.if_else(no_counter, pa.scalar(None, pa.int64()), counter_id)
        channel = t["channel"]
        no_channel = pc.equal(channel, "")
        ok = both(pc.or_(no_channel, pc.is_in(channel, value_set=pa.array(CHANNELS))))
        channel = pc.if_else(no_channel, pa.scalar(None, pa.string()), channel)
        outcome = t["outcome"]
        ok = both(pc.is_in(outcome, value_set=pa.array(OUTCOMES)))
        received, recv_ok = _moments(t["received_at"])
        recv_day = pc.add(pc.divide(pc.add(received, _VN_US), _DAY_US), _EPOCH)
        ok = both(recv_ok, pc.less_equal(received, self.latest))
        due, due_ok = _days(t["due_date"])
        ok = both(due_ok, pc.greater_equal(due, recv_day))
        back = t["returned_at"]
        open_ = pc.equal(back, "")
        returned, back_ok = _moments(back)
        ok = both(
            pc.if_else(
                open_,
                pc.invert(pc.is_in(outcome, value_set=pa.array(sorted(CLOSED)))),
                pc.and_(
                    pc.and_(back_ok, pc.not_equal(outcome, "dang_xu_ly")),
                    pc.and_(
                        pc.greater_equal(returned, received), pc.less_equal(returned, self.latest)
                    ),
                ),
            )
        )
        returned = pc.if_else(open_, pa.scalar(None, pa.int64()), returned)
        back_day = pc.add(pc.divide(pc.add(returned, _VN_US), _DAY_US), _EPOCH)
        extra = t["supplements"]
        no_extra = pc.equal(extra, "")
        ok = both(pc.or_(no_extra, pc.match_substring_regex(extra, r"^\d{1,3}$")))
        digits = pc.if_else(pc.fill_null(ok, False), extra, "0")
        supplements = pc.cast(pc.if_else(no_extra, "0", digits), pa.int64())
        answer = pc.utf8_lower(t["apology_sent"])
        ok = both(pc.is_in(answer, value_set=_YESNO))
        apology = pc.cast(pc.is_in(answer, value_set=_TRUE), pa.int64())
        ok = pc.fill_null(ok, False)

        # the rows in order: the plain ones are checked; the others go to the checker
        codes = code.to_pylist()
        slow: dict[int, tuple[Any, ...]] = {}
        if pc.all(ok).as_py() and not self.exact:
            self.pending.append((line0, codes))
        else:
            self._exact(checker, part, ok.to_pylist(), codes, slow, line0)
        if checker.failed:
            return  # nothing will be stored: keep checking, write nothing
        self._store(
            store,
            result,
            code,
            [
                proc,
                proc_id,
                recv_id,
                counter_id,
                resolv_id,
                channel,
                _utc_texts(received),
                _day_texts(due),
                _utc_texts(returned),
                _day_texts(back_day),
                outcome,
                supplements,
                apology,
            ],
            codes,
            slow,
            start,
        )

    def _exact(
        self,
        checker: Checker,
        part: pa.Table,
        fast: list[bool],
        codes: list[str],
        slow: dict[int, tuple[Any, ...]],
        line0: int,
    ) -> None:
        """The rows in order: the plain ones are checked, the others go to the checker;
        every stored code is compared with those before it (a repeated code named)."""
        seen = self.seen
        if not self.exact:
            self.exact = True
            for first, earlier in self.pending:
                seen.update(zip(earlier, range(first, first + len(earlier)), strict=True))
            self.pending = []
        for i, line in enumerate(range(line0, line0 + len(codes))):
            if fast[i]:
                value = codes[i]
            else:
                cells = {name: part.column(k)[i].as_py() for k, name in enumerate(self.fields)}
                row = checker.row(line, cells)
                if row is None:
                    continue
                slow[i] = row
                value = codes[i] = row[0]
            first = seen.setdefault(value, line)
            if first != line:
                checker.duplicate(line, value, first)

    def _store(
        self,
        store: Store,
        result: IngestResult,
        code: pa.Array,
        values: list[pa.Array],
        codes: list[str],
        slow: dict[int, tuple[Any, ...]],
        start: int,
    ) -> None:
        """Fingerprint a checked chunk, compare it with the stored dossiers and write the
        new and changed ones (the rows handed to the checker as it made them)."""
        stored = [code, *values]
        text = pc.binary_join_element_wise(
            *(pc.fill_null(pc.cast(c, pa.string()), "None") for c in stored), "\x1f"
        )
        digest = blake2b
        prints = [
            digest(b, digest_size=16).hexdigest() for b in pc.cast(text, pa.binary()).to_pylist()
        ]
        for i, row in slow.items():
            prints[i] = fingerprint(row)
        stored.append(pa.array(prints, pa.string()))
        if self.position is None or self.prints is None or slow:
            new, changed = store.classify(codes, prints)
        else:
            position = self.position.slice(start, len(codes))
            old = pc.take(self.prints, position)
            new = pc.indices_nonzero(pc.is_null(position)).to_pylist()
            differ = pc.fill_null(pc.not_equal(old, stored[-1]), False)
            changed = pc.indices_nonzero(differ).to_pylist()
        store.put(
            self._rows(stored, new, slow, code),
            self._rows(stored, changed, slow, code),
            len(codes) - len(new) - len(changed),
            result,
        )

    def _unit(self, codes: pa.Array, checker: Checker) -> pa.Array:
        ids = pc.take(self.unit_ids, pc.index_in(codes, value_set=self.unit_codes))
        if checker.allowed is None:
            return ids
        inside = pc.is_in(ids, value_set=pa.array(sorted(checker.allowed), pa.int64()))
        return pc.if_else(inside, ids, pa.scalar(None, pa.int64()))

    @staticmethod
    def _rows(
        stored: list[Any], at: list[int], slow: dict[int, tuple[Any, ...]], code: pa.Array
    ) -> list[tuple[Any, ...]]:
        """The rows at positions ``at`` as the store writes them, by code."""
        if not at:
            return []
        index = pa.array(at, pa.int64())
        if not slow:  # in code order: the unique index's pages are met in order
            index = pc.take(index, pc.sort_indices(pc.take(code, index)))
            return list(zip(*(pc.take(c, index).to_pylist() for c in stored), strict=True))
        rows = list(zip(*(pc.take(c, index).to_pylist() for c in stored), strict=True))
        for k, i in enumerate(at):
            if i in slow:
                rows[k] = (*slow[i], rows[k][-1])
        return rows


def _matches(codes: pa.Array, checker: Checker) -> pa.Array:
    """Whether each code has the shape of ``DOSSIER_CODE_PATTERN`` (RE2 when it takes the
    pattern, Python's ``re`` otherwise)."""
    try:
        return pc.match_substring_regex(codes, f"^(?:{checker.pattern})$")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        from survey_app.services.dossiers.rules import code_matches

        return pa.array([code_matches(c, checker.pattern) for c in codes.to_pylist()])


def _digits(texts: pa.Array, start: int, stop: int) -> pa.Array:
    return pc.cast(pc.utf8_slice_codeunits(texts, start, stop), pa.int64())


def _moments(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(UTC microseconds since 1970, plain and valid) of ISO 8601 moments (no offset:
    Vietnam time) — what :meth:`.ingest.Checker._moment` accepts, in their plain form."""
    plain = pc.fill_null(pc.match_substring_regex(texts, _MOMENT), False)
    safe = pc.if_else(plain, texts, "2000-01-01T00:00:00")
    local = pc.utf8_replace_slice(pc.utf8_slice_codeunits(safe, 0, 19), 10, 11, " ")
    seconds = pc.strptime(local, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    same = pc.equal(pc.cast(seconds, pa.string()), local)  # not 2026-02-30 (→ 03-02)
    year = _digits(safe, 0, 4)
    rest = pc.utf8_slice_codeunits(safe, 19, 40)
    fraction = pc.starts_with(rest, ".")
    micro = pc.if_else(fraction, _digits(pc.if_else(fraction, rest, ".000000"), 1, 7), 0)
    zone = pc.if_else(fraction, pc.utf8_slice_codeunits(rest, 7, 20), rest)
    offset_text = pc.if_else(pc.greater(pc.utf8_length(zone), 1), zone, "+07:00")
    offset = pc.add(
        pc.multiply(_digits(offset_text, 1, 3), 3600 * _US),
        pc.multiply(_digits(offset_text, 4, 6), 60 * _US),
    )
    offset = pc.if_else(pc.starts_with(offset_text, "-"), pc.negate(offset), offset)
    offset = pc.if_else(pc.equal(zone, "Z"), 0, offset)
    moment = pc.subtract(pc.add(pc.multiply(pc.cast(seconds, pa.int64()), _US), micro), offset)
    valid = pc.and_(
        pc.and_(plain, pc.fill_null(same, False)),
        pc.and_(pc.greater_equal(year, YEARS[0]), pc.less_equal(year, YEARS[1])),
    )
    return moment, valid


def _days(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(day ordinal, plain and valid) of ``YYYY-MM-DD`` days in 2000–2100."""
    plain = pc.fill_null(pc.match_substring_regex(texts, _DAY), False)
    safe = pc.if_else(plain, texts, "2000-01-01")
    seconds = pc.strptime(safe, format="%Y-%m-%d", unit="s", error_is_null=True)
    day = pc.cast(pc.cast(pc.divide(pc.cast(seconds, pa.int64()), 86_400), pa.int32()), pa.date32())
    same = pc.fill_null(pc.equal(pc.cast(day, pa.string()), safe), False)
    year = _digits(safe, 0, 4)
    ordinal = pc.add(pc.divide(pc.cast(seconds, pa.int64()), 86_400), _EPOCH)
    valid = pc.and_(
        pc.and_(plain, same),
        pc.and_(pc.greater_equal(year, YEARS[0]), pc.less_equal(year, YEARS[1])),
    )
    return ordinal, valid


def _utc_us(text: str) -> int:
    moment = datetime.fromisoformat(text)
    return (
        (moment.toordinal() - _EPOCH) * 86_400 * _US
        + ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _US
        + moment.microsecond
    )


def _utc_texts(moments: pa.Array) -> pa.Array:
    """Stored moment texts (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC) of microsecond counts."""
    return pc.cast(pc.cast(moments, pa.timestamp("us")), pa.string())


def _day_texts(ordinals: pa.Array) -> pa.Array:
    days = pc.cast(pc.cast(pc.subtract(ordinals, _EPOCH), pa.int32()), pa.date32())
    return pc.cast(days, pa.string())
