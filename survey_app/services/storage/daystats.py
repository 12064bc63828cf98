"""Day blocks: each closed day's responses packed per unit, read instead of the responses.

Why this module is long: one byte format with three users that must agree on it — packing
(the record layout, :func:`pack`, :func:`unpack`), keeping the stored blocks right
(:func:`ensure`, the bulk merge, :func:`forget`) and reading them (closed days by range or
in chunks, the open day per process).  Split by user, the layout's private details would be
shared across modules; here one module owns the bytes.

A *block* (:class:`~survey_app.models.responses.DayBlock`) holds one unit's responses of one
local day as packed columns — counter, procedure, target group, channel, questionnaire and
the answers, one ``int8`` per item code present — about 40 bytes a response, with no JSON
to parse.  The pages and reports read blocks for closed days and compute the statistics of
exactly the groups they ask for (``scoring.StatsBatch.from_answers``, vectorised); the
common coarse questions (unit × target group × questionnaire per half-month) are answered
by the sums stored on top of them (:func:`survey_app.services.analytics.halfmonths.ensure_buckets`).

Why answers and not statistics: a statistics vector has 644 numbers (2.6 KB) whatever the
number of responses behind it, so per-day statistics of fine cells (unit × counter ×
procedure × channel × …) cost about one vector per response at a province's density
(1,000 units, 10 million responses a year) — 24.6 GB for a year, and an import that spends
most of its time writing them.  Packed answers grow with the responses, not with the cells.

A day is *closed* once it is over — ten minutes after local midnight, so that a submission
that began before midnight has committed — and no response can reach it afterwards except
through a bulk load (:mod:`.bulkload`, which merges into the stored blocks in its
transaction) or a path that calls :func:`.buckets.forget` (which drops the day, so it is
packed again from the responses).  A day is stored whole or not at all: a marker row
(``unit_id`` 0, ``n`` the day's responses) records that it was packed.  The open day's
responses are kept per process, and only those that arrived since are read
(:func:`open_block`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import numpy as np
from flask import current_app
from numpy.typing import NDArray
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Response
from survey_app.models.responses import DayBlock
from survey_app.services.clock import VN_TZ

CLOSE_AFTER = timedelta(minutes=10)  # after midnight: a submission begun before it is done
CHUNK = 20_000  # blocks per read in :func:`read_chunks`
_TABLE = DayBlock.__table__
_EMPTY = np.zeros(0, dtype=np.int64)


def first_open_day() -> date:
    """The earliest day that is not closed: today, or yesterday just after midnight."""
    return (datetime.now(VN_TZ) - CLOSE_AFTER).date()


def closed(day: date) -> bool:
    return day < first_open_day()


# --- responses as columns -------------------------------------------------------------------


@dataclass
class Block:
    """Responses as columns (one entry per response), decoded from any number of stored
    blocks or read from the responses.

    ``day`` holds proleptic ordinals (``date.toordinal``); ``counter_id``/``procedure_id``
    0 = none; ``channel`` "" = unknown; the texts are dictionary-encoded (row ``i``'s
    target group is ``groups[group[i]]``); ``answers`` is the ``(n,
    len(forms.all_item_codes()))`` int8 matrix, 0 = missing.
    """

    day: NDArray[np.int64]
    unit_id: NDArray[np.int64]
    counter_id: NDArray[np.int64]
    procedure_id: NDArray[np.int64]
    group: NDArray[np.int64]
    groups: list[str]
    channel: NDArray[np.int64]
    channels: list[str]
    questionnaire: NDArray[np.int64]
    questionnaires: list[str]
    answers: NDArray[np.int8]
    verified: NDArray[np.int8]

    @property
    def n(self) -> int:
        return int(self.day.shape[0])

    @classmethod
    def empty(cls) -> Block:
        return cls(
            _EMPTY,
            _EMPTY,
            _EMPTY,
            _EMPTY,
            _EMPTY,
            [],
            _EMPTY,
            [],
            _EMPTY,
            [],
            np.zeros((0, len(forms.all_item_codes())), dtype=np.int8),
            np.zeros(0, dtype=np.int8),
        )

    @classmethod
    def of_rows(cls, rows: Sequence[Mapping[str, Any]]) -> Block:
        """From response rows (``local_day``, ``unit_id``, ``counter_id``, ``procedure_id``,
        ``target_group``, ``channel``, ``questionnaire_id``, ``answers`` as a dict, and
        optionally ``dossier_id``: set = a verified response); raises
        ``ValueError`` for an item code outside the questionnaires or a value outside 1–9."""
        if not rows:
            return cls.empty()

        def ints(key: str) -> NDArray[np.int64]:
            return np.array([r[key] or 0 for r in rows], dtype=np.int64)

        group, groups = _encode([r["target_group"] for r in rows])
        channel, channels = _encode([r["channel"] or "" for r in rows])
        questionnaire, questionnaires = _encode([r["questionnaire_id"] for r in rows])
        return cls(
            np.array([r["local_day"].toordinal() for r in rows], dtype=np.int64),
            ints("unit_id"),
            ints("counter_id"),
            ints("procedure_id"),
            group,
            groups,
            channel,
            channels,
            questionnaire,
            questionnaires,
            answer_matrix([r["answers"] for r in rows]),
            np.array([r.get("dossier_id") is not None for r in rows], dtype=np.int8),
        )

    @classmethod
    def concat(cls, blocks: Sequence[Block]) -> Block:
        """One block of the rows of ``blocks`` (texts re-encoded over their union)."""
        blocks = [b for b in blocks if b.n]
        if not blocks:
            return cls.empty()
        if len(blocks) == 1:
            return blocks[0]

        def texts(codes: str, values: str) -> tuple[NDArray[np.int64], list[str]]:
            union: dict[str, int] = {}
            parts = []
            for b in blocks:
                mapping = np.array(
                    [union.setdefault(v, len(union)) for v in getattr(b, values)], dtype=np.int64
                )
                parts.append(
                    mapping[getattr(b, codes)]
                    if mapping.size
                    else np.asarray(getattr(b, codes), dtype=np.int64)
                )
            return np.concatenate(parts), list(union)

        def joined(name: str) -> Any:
            return np.concatenate([getattr(b, name) for b in blocks])

        group, groups = texts("group", "groups")
        channel, channels = texts("channel", "channels")
        questionnaire, questionnaires = texts("questionnaire", "questionnaires")
        return cls(
            joined("day"),
            joined("unit_id"),
            joined("counter_id"),
            joined("procedure_id"),
            group,
            groups,
            channel,
            channels,
            questionnaire,
            questionnaires,
            joined("answers"),
            joined("verified"),
        )

    def take(self, rows: NDArray[np.bool_] | NDArray[np.intp]) -> Block:
        """The rows ``rows`` (a mask or indices), texts unchanged."""
        return Block(
            self.day[rows],
            self.unit_id[rows],
            self.counter_id[rows],
            self.procedure_id[rows],
            self.group[rows],
            self.groups,
            self.channel[rows],
            self.channels,
            self.questionnaire[rows],
            self.questionnaires,
            self.answers[rows],
            self.verified[rows],
        )

    def within(self, unit_ids: Iterable[int] | None, counter_ids: Iterable[int] = ()) -> Block:
        """The rows of the units ``unit_ids`` (``None``: all) or the counters
        ``counter_ids`` — a user's scope (:mod:`.scope`)."""
        if unit_ids is None:
            return self
        units = np.fromiter(set(unit_ids), dtype=np.int64)
        counters = np.fromiter(set(counter_ids), dtype=np.int64)
        keep = np.isin(self.unit_id, units)
        if counters.size:
            keep |= np.isin(self.counter_id, counters)
        return self if keep.all() else self.take(keep)


def _encode(values: Sequence[str]) -> tuple[NDArray[np.int64], list[str]]:
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values)
    )
    return codes, list(index)


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


# --- packing --------------------------------------------------------------------------------


def _record(width: int, verified: bool = True) -> np.dtype[Any]:
    """One packed response: 14 bytes of keys (15 with the ``verified`` byte) and ``width``
    answers.  Blocks packed before issue 13 have no ``verified`` byte (their layout has no
    ``"verified"`` key): every response in them is open, as no response had a dossier then."""
    fields: list[Any] = [
        ("counter", "<i4"),
        ("procedure", "<i4"),
        ("group", "<u2"),
        ("channel", "<u2"),
        ("questionnaire", "<u2"),
    ]
    if verified:
        fields.append(("verified", "u1"))
    fields.append(("answers", "i1", (width,)))
    return np.dtype(fields)


def pack(block: Block) -> list[tuple[int, int, int, str, bytes]]:
    """The stored rows of ``block``: ``(day ordinal, unit_id, n, layout, data)`` per unit
    and day, ordered by day and unit.  One layout (the item codes answered anywhere in the
    block, and its texts) serves every row, so the whole block packs as one numpy array."""
    if not block.n:
        return []
    codes = forms.all_item_codes()
    present = np.flatnonzero(block.answers.any(axis=0))
    if max(len(block.groups), len(block.channels), len(block.questionnaires)) > 65_535:
        raise ValueError("too many distinct texts in one block")
    layout = json.dumps(
        {
            "codes": [codes[j] for j in present.tolist()],
            "groups": block.groups,
            "channels": block.channels,
            "questionnaires": block.questionnaires,
            "verified": 1,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    units = np.int64(block.unit_id.max()) + 1
    key = block.day * units + block.unit_id
    order = np.argsort(key, kind="stable")
    key = key[order]
    records = np.empty(block.n, dtype=_record(len(present)))
    records["counter"] = block.counter_id[order]
    records["procedure"] = block.procedure_id[order]
    records["group"] = block.group[order]
    records["channel"] = block.channel[order]
    records["questionnaire"] = block.questionnaire[order]
    records["verified"] = block.verified[order]
    records["answers"] = block.answers[order[:, None], present]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], block.n]
    data = records.tobytes()
    size = records.dtype.itemsize
    first = key[starts]
    return [
        (int(k // units), int(k % units), hi - lo, layout, data[lo * size : hi * size])
        for k, lo, hi in zip(first.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ]


@lru_cache(maxsize=256)
def _layout(text: str) -> tuple[np.dtype[Any], NDArray[np.intp], list[str], list[str], list[str]]:
    """A layout's record type, the global answer column of each packed one (-1: an item
    code no questionnaire has any more), and its texts."""
    parsed = json.loads(text)
    where = _columns()
    columns = np.array([where.get(code, -1) for code in parsed["codes"]], dtype=np.intp)
    return (
        _record(len(columns), bool(parsed.get("verified"))),
        columns,
        parsed["groups"],
        parsed["channels"],
        parsed["questionnaires"],
    )


def unpack(rows: Iterable[tuple[Any, int, int, str, bytes]]) -> Block:
    """Decode stored rows ``(day, unit_id, n, layout, data)`` (``day`` a date or its ISO
    text or ordinal) into one :class:`Block`: rows of the same layout are decoded as one
    array."""
    by_layout: dict[str, tuple[list[int], list[int], list[int], list[bytes]]] = {}
    days: dict[Any, int] = {}
    for day, unit_id, n, layout, data in rows:
        ordinal = days.get(day)
        if ordinal is None:
            ordinal = days[day] = _ordinal(day)
        parts = by_layout.setdefault(layout, ([], [], [], []))
        parts[0].append(ordinal)
        parts[1].append(unit_id)
        parts[2].append(n)
        parts[3].append(bytes(data))
    width = len(forms.all_item_codes())
    blocks = []
    for layout, (day_list, unit_list, n_list, datas) in by_layout.items():
        record, columns, groups, channels, questionnaires = _layout(layout)
        records = np.frombuffer(b"".join(datas), dtype=record)
        counts = np.asarray(n_list, dtype=np.int64)
        if int(counts.sum()) != records.shape[0]:
            raise ValueError("a stored day block does not hold its n responses")
        answers = np.zeros((records.shape[0], width), dtype=np.int8)
        known = columns >= 0
        answers[:, columns[known]] = records["answers"][:, known]
        blocks.append(
            Block(
                np.repeat(np.asarray(day_list, dtype=np.int64), counts),
                np.repeat(np.asarray(unit_list, dtype=np.int64), counts),
                records["counter"].astype(np.int64),
                records["procedure"].astype(np.int64),
                records["group"].astype(np.int64),
                groups,
                records["channel"].astype(np.int64),
                channels,
                records["questionnaire"].astype(np.int64),
                questionnaires,
                answers,
                (
                    records["verified"].astype(np.int8)
                    if "verified" in (record.names or ())
                    else np.zeros(records.shape[0], dtype=np.int8)
                ),
            )
        )
    return Block.concat(blocks)


def _ordinal(day: Any) -> int:
    if isinstance(day, int):
        return day
    if isinstance(day, str):
        return date.fromisoformat(day).toordinal()
    return int(day.toordinal())


# --- what is stored -------------------------------------------------------------------------


def stored_days(days: Iterable[date]) -> set[date]:
    """Which of ``days`` have their blocks stored."""
    wanted = sorted(set(days))
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            select(DayBlock.day).where(DayBlock.unit_id == 0, DayBlock.day.in_(wanted))
        )
    )


def _has_responses(day: date) -> bool:
    return (
        db.session.scalar(select(Response.id).where(Response.local_day == day).limit(1)) is not None
    )


def plan_bulk(days: Iterable[date]) -> dict[date, bool]:
    """Before a bulk load: for each closed day of ``days`` that will be stored afterwards,
    ``True`` when its blocks are stored (the load merges into them) or ``False`` when it has
    no response yet (the load's rows are the whole day).  Other days are packed from the
    responses when first needed."""
    closed_days = [d for d in sorted(set(days)) if closed(d)]
    stored = stored_days(closed_days)
    plan = {}
    for day in closed_days:
        if day in stored:
            plan[day] = True
        elif not _has_responses(day):
            plan[day] = False
    return plan


def add_bulk(new: Block, plan: Mapping[date, bool]) -> None:
    """Store a bulk load's responses ``new`` in the blocks of the days in ``plan`` (in the
    caller's transaction): a stored day's blocks of the units the load touches are decoded,
    merged with the load's rows, and written again; the markers count the day's
    responses."""
    if not plan or not new.n:
        return
    ordinals = np.array(sorted(d.toordinal() for d in plan), dtype=np.int64)
    new = new.take(np.isin(new.day, ordinals))
    if not new.n:
        return
    days, per_day = np.unique(new.day, return_counts=True)
    totals = dict(zip(days.tolist(), per_day.tolist(), strict=True))
    merged = [new]
    stored = sorted(d for d, is_stored in plan.items() if is_stored)
    if stored:
        touched = set(zip(new.day.tolist(), new.unit_id.tolist(), strict=True))
        units = sorted({unit for _day, unit in touched})
        c = _TABLE.c
        old_rows, old_ids = [], []
        for row_id, day, unit_id, n, layout, data in db.session.execute(
            select(c.id, c.day, c.unit_id, c.n, c.layout, c.data).where(
                c.day.in_(stored), or_(c.unit_id.in_(units), c.unit_id == 0)
            )
        ):
            ordinal = day.toordinal()
            if unit_id == 0:
                totals[ordinal] = totals.get(ordinal, 0) + n
                old_ids.append(row_id)
            elif (ordinal, unit_id) in touched:
                old_rows.append((ordinal, unit_id, n, layout, data))
                old_ids.append(row_id)
        for start in range(0, len(old_ids), 10_000):
            db.session.execute(delete(_TABLE).where(c.id.in_(old_ids[start : start + 10_000])))  # type: ignore[arg-type]  # __table__ is typed FromClause
        merged.insert(0, unpack(old_rows))
    rows = pack(Block.concat(merged))
    rows += [(ordinal, 0, n, "", b"") for ordinal, n in sorted(totals.items())]
    _insert_rows(rows)


_ROW = ("day", "unit_id", "n", "layout", "data")
_SQLITE_INSERT = (
    f"INSERT INTO day_blocks ({', '.join(_ROW)}) "  # noqa: S608 - constant names
    f"VALUES ({', '.join('?' for _ in _ROW)})"
)


def _insert_rows(rows: list[tuple[int, int, int, str, bytes]]) -> None:
    """Insert ``day_blocks`` rows (``(day ordinal, unit_id, n, layout, data)``) in the
    session's transaction: one prepared ``executemany`` on SQLite, ``COPY`` on PostgreSQL,
    SQLAlchemy's ``insertmanyvalues`` elsewhere."""
    if not rows:
        return
    conn = db.session.connection()
    days = {ordinal: date.fromordinal(ordinal) for ordinal in {r[0] for r in rows}}
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY day_blocks ({', '.join(_ROW)}) FROM STDIN") as copy:
                for d, *rest in rows:
                    copy.write_row((days[d], *rest))
        finally:
            cursor.close()
        return
    if conn.dialect.name != "sqlite":
        for start in range(0, len(rows), 20_000):
            conn.execute(
                insert(_TABLE),  # type: ignore[arg-type]  # __table__ is typed FromClause
                [
                    {"day": days[d], "unit_id": u, "n": n, "layout": layout, "data": data}
                    for d, u, n, layout, data in rows[start : start + 20_000]
                ],
            )
        return
    iso = {ordinal: day.isoformat() for ordinal, day in days.items()}
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), 50_000):
            cursor.executemany(
                _SQLITE_INSERT, [(iso[d], *rest) for d, *rest in rows[start : start + 50_000]]
            )
    finally:
        cursor.close()


def forget(days: Iterable[date]) -> None:
    """Drop the stored blocks of ``days`` (they are packed again when needed)."""
    wanted = sorted(set(days))
    if wanted:
        db.session.execute(delete(DayBlock).where(DayBlock.day.in_(wanted)))


def ensure(first: date, last: date) -> list[date]:
    """Pack and store the blocks of the closed days ``first``–``last`` that have none yet
    (committing each day); returns the closed days of the range."""
    last = min(last, first_open_day() - timedelta(days=1))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if not days:
        return []
    missing = sorted(set(days) - stored_days(days))
    for day in missing:
        _compute(day)
    return days


def _responses(*where: Any) -> Block:
    """The responses matching ``where``, as a block (the answers' JSON parsed); a response
    an inspector excluded (``exclusion_id`` set, issue 14) is never packed nor read."""
    r = Response.__table__.c
    rows = [
        {
            "id": row_id,
            "local_day": day,
            "unit_id": unit_id,
            "counter_id": counter_id,
            "procedure_id": procedure_id,
            "target_group": group,
            "channel": channel,
            "questionnaire_id": qid,
            "answers": json.loads(answers) if isinstance(answers, str) else answers,
            "dossier_id": dossier_id,
        }
        for (
            row_id,
            day,
            unit_id,
            counter_id,
            procedure_id,
            group,
            channel,
            qid,
            answers,
            dossier_id,
        ) in db.session.execute(
            select(
                r.id,
                r.local_day,
                r.unit_id,
                r.counter_id,
                r.procedure_id,
                r.target_group,
                r.channel,
                r.questionnaire_id,
                r.answers,
                r.dossier_id,
            ).where(r.exclusion_id.is_(None), *where)
        )
    ]
    return Block.of_rows(rows)


def _compute(day: date) -> None:
    block = _responses(Response.__table__.c.local_day == day)
    rows = pack(block) + [(day.toordinal(), 0, block.n, "", b"")]
    try:
        _insert_rows(rows)
        db.session.commit()
    except IntegrityError:  # another request stored the same day first
        db.session.rollback()


def _units_of(unit_ids: Iterable[int] | None, counter_ids: Iterable[int]) -> list[int] | None:
    """The units whose blocks hold the scope's rows: the units and the counters' units."""
    if unit_ids is None:
        return None
    units = set(unit_ids)
    counters = sorted(set(counter_ids))
    if counters:
        units |= set(db.session.scalars(select(Counter.unit_id).where(Counter.id.in_(counters))))
    return sorted(units)


def read(
    first: date, last: date, unit_ids: Iterable[int] | None, counter_ids: Iterable[int] = ()
) -> Block:
    """The stored responses of ``first``–``last`` within the scope: the units ``unit_ids``
    (``None`` = every unit) and the counters ``counter_ids``."""
    counter_ids = list(counter_ids)
    unit_ids = None if unit_ids is None else list(unit_ids)
    units = _units_of(unit_ids, counter_ids)
    if units is not None and not units:
        return Block.empty()
    parts = list(_read(first, last, units, None))
    block = Block.concat(parts)
    return block.within(unit_ids, counter_ids) if counter_ids else block


def read_chunks(
    first: date, last: date, unit_ids: Iterable[int] | None, size: int = CHUNK
) -> Iterator[Block]:
    """The stored responses of :func:`read` (units only), ``size`` blocks at a time: memory
    bounded by the chunk, not by the period."""
    units = None if unit_ids is None else sorted(set(unit_ids))
    if units is not None and not units:
        return
    yield from _read(first, last, units, size)


def _read(first: date, last: date, units: list[int] | None, size: int | None) -> Iterator[Block]:
    c = _TABLE.c
    query = select(c.day, c.unit_id, c.n, c.layout, c.data).where(
        c.day >= first, c.day <= last, c.unit_id != 0
    )
    if units is not None:
        query = query.where(c.unit_id.in_(units))
    # The DB-API cursor itself: SQLAlchemy's row processing would cost as much as the read.
    conn = db.session.connection()
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        if size is None:
            yield unpack(cursor.fetchall())
            return
        while part := cursor.fetchmany(size):
            yield unpack(part)
    finally:
        cursor.close()


# --- the open day ---------------------------------------------------------------------------

_open_lock = threading.Lock()


@dataclass
class _OpenDay:
    """What a process has read of an open day: ``n`` responses up to id ``last_id``."""

    n: int
    last_id: int
    block: Block


def open_block(day: date, unit_ids: Iterable[int] | None, counter_ids: Iterable[int] = ()) -> Block:
    """The open ``day``'s responses within the scope (as :func:`read` gives stored ones).

    Each process keeps the day's responses as columns and checks them against the day's
    number of responses and largest id (one index lookup): when more arrived, only the
    responses after the last one read are read — or the whole day again when the numbers do
    not add up (a late commit, an import with explicit ids)."""
    cache: dict[date, _OpenDay] = current_app.extensions.setdefault("sipas.open_days", {})
    r = Response.__table__.c
    n, last_id = db.session.execute(
        select(func.count(r.id), func.max(r.id)).where(r.local_day == day, r.exclusion_id.is_(None))
    ).one()
    n, last_id = int(n), int(last_id or 0)
    with _open_lock:
        for old in [d for d in cache if d < first_open_day()]:
            del cache[old]
        known = cache.get(day)
        if known is not None and (known.n, known.last_id) != (n, last_id):
            if last_id > known.last_id:
                _read_open(day, known, last_id)
            if (known.n, known.last_id) != (n, last_id):
                known = None
        if known is None:
            known = cache[day] = _OpenDay(0, 0, Block.empty())
            _read_open(day, known, last_id)
        block = known.block
    return block.within(unit_ids, counter_ids)


def _read_open(day: date, known: _OpenDay, last: int) -> None:
    """Add the responses of ``day`` with ids after ``known.last_id`` up to ``last`` (the
    day's largest id, just counted) to ``known``."""
    if last <= known.last_id:
        return
    r = Response.__table__.c
    more = _responses(r.local_day == day, r.id > known.last_id, r.id <= last)
    known.block = Block.concat([known.block, more])
    known.n += more.n
    known.last_id = last
