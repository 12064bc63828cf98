"""Per-day statistics: each closed day's sufficient statistics per cell, stored once.

A cell is unit × counter × procedure × target group × channel × questionnaire.  A day is
*closed* once it is over — ten minutes after local midnight, so that a submission that began
before midnight has committed — and no response can reach it afterwards except through a
bulk load (:mod:`.bulkload`, which adds to the stored cells in its transaction) or a path
that calls :func:`.buckets.forget` (which drops the day, so it is computed again from the
responses).  The staff trend and the office overview sum stored vectors for every closed
day; the open day's vectors are kept per
process, and only the responses that arrived since are read (:func:`open_cells`).

A day is stored whole or not at all: a marker row (``unit_id`` 0, empty strings, ``n`` the
day's responses) records that it was computed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
from flask import current_app
from numpy.typing import NDArray
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

import forms
from scoring import StatsBatch, stats_length

from ..extensions import db
from ..models import Response
from ..models.responses import DayStat
from .responses import VN_TZ

BLOCK = 20_000  # cells whose statistics are computed at once (a few hundred MB at most)
CLOSE_AFTER = timedelta(minutes=10)  # after midnight: a submission begun before it is done
MARKER = {"unit_id": 0, "counter_id": 0, "procedure_id": 0, "target_group": "", "channel": "",
          "questionnaire_id": ""}
Cell = tuple[int, int, int, str, str, str]  # unit_id, counter_id (0: none), procedure_id
# (0: none), target group,
# channel ("": unknown), questionnaire
_TABLE = DayStat.__table__


def first_open_day() -> date:
    """The earliest day that is not closed: today, or yesterday just after midnight."""
    return (datetime.now(VN_TZ) - CLOSE_AFTER).date()


def closed(day: date) -> bool:
    return day < first_open_day()


# --- computing vectors ----------------------------------------------------------------------

def _structure(qid: str) -> Any:
    from .scores import structure_of  # scores imports this module

    return structure_of(qid)


@dataclass
class Batch:
    """Responses as arrays: each row's (day, cell) number and an answer matrix over
    ``forms.all_item_codes()`` (0 = missing)."""

    cells: list[tuple[date, Cell]]
    cell_of: NDArray[np.intp]  # (n,) index into ``cells``
    answers: NDArray[np.int8]  # (n, len(forms.all_item_codes()))

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, Any]]) -> Batch:
        """From response rows (``local_day``, ``unit_id``, ``counter_id``, ``target_group``,
        ``channel``, ``questionnaire_id``, ``answers``); raises ``ValueError`` for an item
        code outside the questionnaires or a value outside 1–9."""
        index: dict[tuple[date, Cell], int] = {}
        cell_of = np.array([index.setdefault(
            (r["local_day"], (r["unit_id"], r["counter_id"] or 0, r["procedure_id"] or 0,
                              r["target_group"],
                              r["channel"] or "", r["questionnaire_id"])), len(index))
            for r in rows], dtype=np.intp)
        return cls(list(index), cell_of, answer_matrix([r["answers"] for r in rows]))

    @classmethod
    def from_columns(cls, days: NDArray[np.int64], cols: Any, answers: NDArray[np.int8]
                     ) -> Batch:
        """From the columns of :class:`.bulkload.Columns` (``days`` as ordinals): each
        row's (day, cell) found by numpy, one ``unique`` per column and one for the cells."""
        parts = [days, np.asarray(cols.unit_id), np.asarray(cols.counter_id),
                 np.asarray(cols.procedure_id), np.asarray(cols.target_group.codes),
                 np.asarray(cols.channel.codes), np.asarray(cols.questionnaire.codes)]
        key = np.zeros(len(days), dtype=np.int64)
        size = 1
        for part in parts:
            distinct, where = np.unique(part, return_inverse=True)
            if size * len(distinct) >= 1 << 62:  # renumber the keys so far
                distinct_keys, key = np.unique(key, return_inverse=True)
                size = len(distinct_keys)
            key = key * len(distinct) + where.reshape(-1)
            size *= len(distinct)
        _keys, first, cell_of = np.unique(key, return_index=True, return_inverse=True)
        group, channel, qid = (cols.target_group.values, cols.channel.values,
                               cols.questionnaire.values)
        cells = [(date.fromordinal(d), (u, c, p, group[g], channel[h], qid[q]))
                 for d, u, c, p, g, h, q in zip(*(part[first].tolist() for part in parts),
                                                strict=True)]
        return cls(cells, cell_of.reshape(-1).astype(np.intp), answers)

    @property
    def days(self) -> list[date]:
        return sorted({day for day, _cell in self.cells})

    def vectors(self, keep: NDArray[np.bool_] | None = None
                ) -> dict[tuple[date, Cell], NDArray[np.int64]]:
        """The statistics vector of every (day, cell) (of the rows ``keep``)."""
        out: dict[tuple[date, Cell], NDArray[np.int64]] = {}
        for present, vectors in self.blocks(keep):
            for g, c in enumerate(present.tolist()):
                out[self.cells[c]] = vectors[g]
        return out

    def blocks(self, keep: NDArray[np.bool_] | None = None
               ) -> Iterator[tuple[NDArray[np.intp], NDArray[np.int64]]]:
        """Per questionnaire and :data:`BLOCK` cells at most: the cells present (indices
        into ``cells``) and their statistics vectors as one ``(G, L)`` matrix (of the rows
        ``keep``)."""
        codes = forms.all_item_codes()
        qids = sorted({cell[5] for _day, cell in self.cells})
        qid_of = np.array([qids.index(cell[5]) for _day, cell in self.cells], dtype=np.intp)
        row_qid = qid_of[self.cell_of]
        for q, qid in enumerate(qids):
            wanted = row_qid == q
            if keep is not None:
                wanted &= keep
            if not wanted.any():
                continue
            structure = _structure(qid)
            columns = np.array([codes.index(c) for c in structure.columns], dtype=np.intp)
            rows = np.flatnonzero(wanted)
            present, groups = np.unique(self.cell_of[rows], return_inverse=True)
            groups = groups.reshape(-1)
            order = np.argsort(groups, kind="stable")
            rows, groups = rows[order], groups[order]
            bounds = np.searchsorted(groups, np.arange(0, len(present) + BLOCK, BLOCK))
            for k in range(0, len(present), BLOCK):  # bounded memory: BLOCK cells at a time
                lo, hi = bounds[k // BLOCK], bounds[k // BLOCK + 1]
                vectors = StatsBatch.from_answers(
                    structure, self.answers[rows[lo:hi, None], columns],
                    groups[lo:hi] - k, n_groups=min(BLOCK, len(present) - k)).to_vectors()
                yield present[k:k + BLOCK].astype(np.intp), vectors


def answer_matrix(answers: Sequence[Mapping[str, int]]) -> NDArray[np.int8]:
    """``(n, C)`` answer array over ``forms.all_item_codes()`` (0 = missing); raises
    ``ValueError`` for an unknown item code or a value outside 1–9."""
    where = _columns()
    lengths = np.array([len(a) for a in answers], dtype=np.intp)
    try:
        columns = np.array([where[code] for a in answers for code in a], dtype=np.intp)
    except KeyError as exc:
        raise ValueError(f"answers: unknown item code {exc.args[0]!r}") from None
    values = np.array([v for a in answers for v in a.values()], dtype=np.int64)
    if values.size and (values.min() < 1 or values.max() > 9):
        raise ValueError("answers: a value is outside 1–9")
    matrix = np.zeros((len(answers), len(where)), dtype=np.int8)
    matrix[np.repeat(np.arange(len(answers)), lengths), columns] = values
    return matrix


@cache
def _columns() -> dict[str, int]:
    return {code: j for j, code in enumerate(forms.all_item_codes())}


def _blob(vector: NDArray[np.int64]) -> bytes:
    return vector.astype("<i4").tobytes()  # counts stay far below 2³¹


def _vector(blob: bytes) -> NDArray[np.int64]:
    return np.frombuffer(blob, dtype="<i4").astype(np.int64)


# --- what is stored -------------------------------------------------------------------------

def stored_days(days: Iterable[date]) -> set[date]:
    """Which of ``days`` have their statistics stored."""
    wanted = sorted(set(days))
    if not wanted:
        return set()
    return set(db.session.scalars(select(DayStat.day).where(
        DayStat.unit_id == 0, DayStat.day.in_(wanted))))


def _has_responses(day: date) -> bool:
    return db.session.scalar(select(Response.id).where(Response.local_day == day)
                             .limit(1)) is not None


def plan_bulk(days: Iterable[date]) -> dict[date, bool]:
    """Before a bulk load: for each closed day of ``days`` that will be stored afterwards,
    ``True`` when its statistics are stored (the load adds to them) or ``False`` when it has
    no response yet (the load's statistics are the whole day).  Other days are computed
    from the responses when first needed."""
    closed_days = [d for d in sorted(set(days)) if closed(d)]
    stored = stored_days(closed_days)
    plan = {}
    for day in closed_days:
        if day in stored:
            plan[day] = True
        elif not _has_responses(day):
            plan[day] = False
    return plan


def add_bulk(batch: Batch, plan: Mapping[date, bool]) -> None:
    """Add a bulk load's responses to the statistics of the days in ``plan`` (in the
    caller's transaction).  Vectorised over the cells: the statistics of every (day, cell)
    come from one ``StatsBatch`` per questionnaire and are written with one prepared
    statement (thousands of cells per call on SQLite)."""
    if not plan:
        return
    in_plan = np.fromiter((day in plan for day, _cell in batch.cells), dtype=bool,
                          count=len(batch.cells))
    keep = in_plan[batch.cell_of]
    if not keep.any():
        return
    respondents: dict[date, int] = {}
    for (day, _cell), count in zip(batch.cells, np.bincount(
            batch.cell_of[keep], minlength=len(batch.cells)).tolist(), strict=True):
        if count:
            respondents[day] = respondents.get(day, 0) + count
    existing = {}
    stored = sorted(d for d, is_stored in plan.items() if is_stored)
    if stored:
        for row in db.session.execute(select(
                DayStat.id, DayStat.day, DayStat.unit_id, DayStat.counter_id,
                DayStat.procedure_id,
                DayStat.target_group, DayStat.channel, DayStat.questionnaire_id,
                DayStat.n, DayStat.stats).where(DayStat.day.in_(stored))):
            existing[(row.day, (row.unit_id, row.counter_id, row.procedure_id,
                                row.target_group, row.channel,
                                row.questionnaire_id))] = row
    inserts: list[tuple[Any, ...]] = []
    updates = []
    for present, vectors in batch.blocks(keep):
        cells = [batch.cells[c] for c in present.tolist()]
        if existing:
            old = [existing.get(key) for key in cells]
            for vector, was in zip(vectors, old, strict=True):
                if was is not None:
                    total = _vector(was.stats) + vector
                    updates.append({"row_id": was.id, "n": int(total[0]),
                                    "stats": _blob(total)})
            fresh = np.array([was is None for was in old], dtype=bool)
            cells = [key for key, was in zip(cells, old, strict=True) if was is None]
            vectors = vectors[fresh]
        matrix = np.ascontiguousarray(vectors.astype("<i4"))  # counts stay far below 2³¹
        blobs = matrix.view(f"V{matrix.shape[1] * 4}").ravel().tolist()
        inserts.extend((day, *cell, n, blob) for (day, cell), n, blob
                       in zip(cells, matrix[:, 0].tolist(), blobs, strict=True))
        if len(inserts) >= BLOCK:  # written as they come: memory bounded by a block
            _insert_rows(inserts)
            inserts = []
    for day, count in respondents.items():
        marker = existing.get((day, (0, 0, 0, "", "", "")))
        if marker is None:
            inserts.append((day, 0, 0, 0, "", "", "", count, b""))
        else:
            updates.append({"row_id": marker.id, "n": marker.n + count, "stats": b""})
    if inserts:
        _insert_rows(inserts)
    if updates:
        db.session.execute(update(_TABLE).where(_TABLE.c.id == bindparam("row_id"))
                           .values(n=bindparam("n"), stats=bindparam("stats")),
                           updates, execution_options={"synchronize_session": False})


_ROW = ("day", "unit_id", "counter_id", "procedure_id", "target_group", "channel",
        "questionnaire_id", "n", "stats")
_SQLITE_INSERT = (f"INSERT INTO day_stats ({', '.join(_ROW)}) "  # noqa: S608 - constant names
                  f"VALUES ({', '.join('?' for _ in _ROW)})")


def _insert_rows(rows: list[tuple[Any, ...]]) -> None:
    """Insert ``day_stats`` rows (tuples in :data:`_ROW` order) in the session's transaction:
    one prepared ``executemany`` on SQLite, SQLAlchemy's ``insertmanyvalues`` elsewhere."""
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(insert(_TABLE), [dict(zip(_ROW, row, strict=True)) for row in rows])
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), 50_000):
            cursor.executemany(_SQLITE_INSERT, [(day.isoformat(), *rest) for day, *rest
                                                in rows[start:start + 50_000]])
    finally:
        cursor.close()


def _row(day: date, cell: Cell, vector: NDArray[np.int64]) -> dict[str, Any]:
    unit_id, counter_id, procedure_id, target_group, channel, qid = cell
    return {"day": day, "unit_id": unit_id, "counter_id": counter_id,
            "procedure_id": procedure_id,
            "target_group": target_group, "channel": channel, "questionnaire_id": qid,
            "n": int(vector[0]), "stats": _blob(vector)}


def forget(days: Iterable[date]) -> None:
    """Drop the stored statistics of ``days`` (they are computed again when needed)."""
    wanted = sorted(set(days))
    if wanted:
        db.session.execute(delete(DayStat).where(DayStat.day.in_(wanted)))


def ensure(first: date, last: date) -> list[date]:
    """Compute and store the statistics of the closed days ``first``–``last`` that have
    none yet (committing each day); returns the closed days of the range."""
    last = min(last, first_open_day() - timedelta(days=1))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if not days:
        return []
    missing = sorted(set(days) - stored_days(days))
    for day in missing:
        _compute(day)
    return days


def _compute(day: date) -> None:
    r = Response.__table__.c
    rows = [{"local_day": day, "unit_id": unit_id, "counter_id": counter_id,
             "procedure_id": procedure_id,
             "target_group": group, "channel": channel, "questionnaire_id": qid,
             "answers": json.loads(answers) if isinstance(answers, str) else answers}
            for unit_id, counter_id, procedure_id, group, channel, qid, answers
            in db.session.execute(
                select(r.unit_id, r.counter_id, r.procedure_id, r.target_group, r.channel,
                       r.questionnaire_id, r.answers).where(r.local_day == day))]
    stored = [{"day": day, **MARKER, "n": len(rows), "stats": b""}]
    if rows:
        stored += [_row(d, cell, vector)
                   for (d, cell), vector in Batch.of(rows).vectors().items()]
    try:
        db.session.execute(insert(_TABLE), stored)
        db.session.commit()
    except IntegrityError:  # another request stored the same day first
        db.session.rollback()


def read(first: date, last: date, unit_ids: Iterable[int] | None,
         counter_ids: Iterable[int] = ()) -> list[tuple[date, Cell, bytes]]:
    """Stored cells of ``first``–``last`` within the scope: the units ``unit_ids`` (``None``
    = every unit) and the counters ``counter_ids``."""
    query = select(DayStat.day, DayStat.unit_id, DayStat.counter_id, DayStat.procedure_id,
                   DayStat.target_group,
                   DayStat.channel, DayStat.questionnaire_id, DayStat.stats).where(
        DayStat.day >= first, DayStat.day <= last, DayStat.unit_id != 0)
    if unit_ids is not None:
        units, counters = sorted(set(unit_ids)), sorted(set(counter_ids))
        clauses = []
        if units:
            clauses.append(DayStat.unit_id.in_(units))
        if counters:
            clauses.append(DayStat.counter_id.in_(counters))
        if not clauses:
            return []
        query = query.where(or_(*clauses))
    return [(day, (unit_id, counter_id, procedure_id, group, channel, qid), blob)
            for day, unit_id, counter_id, procedure_id, group, channel, qid, blob
            in db.session.execute(query)]


def read_chunks(first: date, last: date, unit_ids: Iterable[int] | None,
                size: int = 20_000) -> Iterable[list[tuple[date, Cell, bytes]]]:
    """The stored cells of :func:`read` (units only), streamed in lists of at most ``size``:
    memory bounded by the chunk, not by the period (a quarter of millions of cells)."""
    c = _TABLE.c
    query = select(c.day, c.unit_id, c.counter_id, c.procedure_id, c.target_group, c.channel,
                   c.questionnaire_id, c.stats).where(
        c.day >= first, c.day <= last, c.unit_id != 0)
    if unit_ids is not None:
        units = sorted(set(unit_ids))
        if not units:
            return
        query = query.where(c.unit_id.in_(units))
    # The DB-API cursor itself: SQLAlchemy's row processing would cost as much as the read.
    conn = db.session.connection()
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    days: dict[Any, date] = {}  # SQLite gives ISO text, PostgreSQL dates
    try:
        cursor.execute(sql)
        while part := cursor.fetchmany(size):
            out = []
            for day, unit_id, counter_id, procedure_id, group, channel, qid, blob in part:
                when = days.get(day)
                if when is None:
                    when = days[day] = (day if isinstance(day, date)
                                        else date.fromisoformat(day))
                out.append((when, (unit_id, counter_id, procedure_id, group, channel, qid),
                            bytes(blob)))
            yield out
    finally:
        cursor.close()


def length_of(qid: str) -> int:
    return stats_length(_structure(qid))


# --- the open day ---------------------------------------------------------------------------

_open_lock = threading.Lock()


@dataclass
class _OpenDay:
    """What a process has summed of an open day: ``n`` responses up to id ``last_id``."""

    n: int
    last_id: int
    vectors: dict[Cell, NDArray[np.int64]]


def open_cells(day: date, unit_ids: Iterable[int] | None, counter_ids: Iterable[int] = ()
               ) -> list[tuple[date, Cell, bytes]]:
    """The open ``day``'s cells within the scope (as :func:`read` gives stored ones).

    Each process keeps the day's vectors and checks them against the day's number of
    responses and largest id (one index lookup): when more arrived, only the responses after
    the last one summed are read — or the whole day again when the numbers do not add up (a
    late commit, an import with explicit ids)."""
    cache: dict[date, _OpenDay] = current_app.extensions.setdefault("sipas.open_days", {})
    r = Response.__table__.c
    n, last_id = db.session.execute(select(func.count(r.id), func.max(r.id))
                                    .where(r.local_day == day)).one()
    n, last_id = int(n), int(last_id or 0)
    with _open_lock:
        for old in [d for d in cache if d < first_open_day()]:
            del cache[old]
        known = cache.get(day)
        if known is not None and (known.n, known.last_id) != (n, last_id):
            if last_id > known.last_id:
                _read_open(day, known)
            if (known.n, known.last_id) != (n, last_id):
                known = None
        if known is None:
            known = cache[day] = _OpenDay(0, 0, {})
            _read_open(day, known)
        cells = list(known.vectors.items())
    units = None if unit_ids is None else set(unit_ids)
    counters = set(counter_ids)
    return [(day, cell, _blob(vector)) for cell, vector in cells
            if units is None or cell[0] in units or cell[1] in counters]


def _read_open(day: date, known: _OpenDay) -> None:
    """Add the responses of ``day`` after id ``known.last_id`` to ``known``."""
    r = Response.__table__.c
    rows = [{"id": row_id, "local_day": day, "unit_id": unit_id, "counter_id": counter_id,
             "procedure_id": procedure_id, "target_group": group, "channel": channel,
             "questionnaire_id": qid,
             "answers": json.loads(answers) if isinstance(answers, str) else answers}
            for row_id, unit_id, counter_id, procedure_id, group, channel, qid, answers
            in db.session.execute(
                select(r.id, r.unit_id, r.counter_id, r.procedure_id, r.target_group,
                       r.channel, r.questionnaire_id, r.answers)
                .where(r.local_day == day, r.id > known.last_id))]
    if not rows:
        return
    for (_day, cell), vector in Batch.of(rows).vectors().items():
        old = known.vectors.get(cell)
        known.vectors[cell] = vector if old is None else old + vector
    known.n += len(rows)
    known.last_id = max(known.last_id, max(row["id"] for row in rows))
