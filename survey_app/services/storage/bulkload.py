"""Bulk loading of responses (imports, demo data): as fast as the database takes rows.

:func:`insert_columns` writes many responses, given as columns (numpy arrays, an ``int8``
answer matrix over ``forms.all_item_codes()``, dictionary-encoded texts), in the caller's
transaction (it never commits) and keeps everything derived from them correct in the same
transaction:

- the stored day blocks (:mod:`.daystats`: the responses packed per unit and day) of the
  closed days touched, packed from the columns at once;
- the stored half-month buckets of the days touched are forgotten (computed again on demand,
  from the day blocks).

:func:`insert_responses` takes row dicts and is a thin wrapper over it.

SQLite gets one prepared ``executemany`` on the DB-API connection, fed from columns turned
into Python values once (texts built by numpy and pyarrow: the moments, the days, the answers'
JSON); PostgreSQL gets ``COPY`` of the same values.  Either way nothing is committed here:
an error anywhere leaves the caller's transaction to roll back, all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from sqlalchemy import Connection, text

import forms
from survey_app.extensions import db
from survey_app.services.storage import buckets, daystats

COLUMNS = (
    "questionnaire_id",
    "unit_id",
    "counter_id",
    "procedure_id",
    "target_group",
    "channel",
    "submitted_at",
    "local_day",
    "answers",
    "comment",
    "source",
    "idempotency_key",
    "receipt_hash",
    "dossier_id",
)
BATCH = 50_000  # rows per executemany / COPY chunk

# The statements name constant columns only (no input reaches the SQL text).
_SQLITE_INSERT = (
    f"INSERT INTO responses ({', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)
_SQLITE_INSERT_WITH_IDS = (
    f"INSERT INTO responses (id, {', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES (?, {', '.join('?' for _ in COLUMNS)})"
)


@dataclass
class Text:
    """A dictionary-encoded text column: row ``i`` holds ``values[codes[i]]``."""

    codes: NDArray[np.integer[Any]]
    values: Sequence[str]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Text:
        index: dict[str, int] = {}
        codes = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int32)
        return cls(codes, list(index))

    def texts(self, none_for_empty: bool = False) -> list[str | None]:
        values = np.array([(v or None) if none_for_empty else v for v in self.values], dtype=object)
        out: list[str | None] = (
            values[self.codes].tolist() if len(values) else [None] * len(self.codes)
        )
        return out


@dataclass
class Columns:
    """Responses as columns, one entry per response.

    ``counter_id``/``procedure_id`` 0 = none; ``channel`` "" = none; ``local_day`` a
    ``datetime64[D]`` array or proleptic ordinals (``date.toordinal``); ``submitted_at`` a
    ``datetime64`` array in UTC; ``answers`` the ``(n, len(forms.all_item_codes()))`` int8
    matrix (0 = missing; values 1–9, checked against the questionnaires already).  The
    per-row Python columns are optional (``None`` = all empty); ``id`` 0 = the database
    picks; ``answers_json`` is built from the matrix when not given.
    """

    questionnaire: Text
    unit_id: NDArray[np.integer[Any]]
    counter_id: NDArray[np.integer[Any]]
    procedure_id: NDArray[np.integer[Any]]
    target_group: Text
    channel: Text
    submitted_at: NDArray[np.datetime64]
    local_day: NDArray[Any]
    answers: NDArray[np.int8]
    source: Text
    comment: Sequence[str | None] | None = None
    idempotency_key: Sequence[str | None] | None = None
    receipt_hash: Sequence[str | None] | None = None
    id: NDArray[np.integer[Any]] | None = None
    answers_json: Sequence[str] | None = None
    # The dossier of a verified response (issue 13), 0 = none; ``None`` = no verified ones.
    dossier_id: NDArray[np.integer[Any]] | None = None

    @property
    def n(self) -> int:
        return len(self.unit_id)

    def day_ordinals(self) -> NDArray[np.int64]:
        days = np.asarray(self.local_day)
        if np.issubdtype(days.dtype, np.datetime64):
            return days.astype("datetime64[D]").astype(np.int64) + _EPOCH
        return days.astype(np.int64)


_EPOCH = date(1970, 1, 1).toordinal()


def insert_columns(cols: Columns) -> int:
    """Insert the responses ``cols`` with their day blocks, in the caller's
    transaction (never committed here).  Returns how many rows were inserted.  Raises
    ``ValueError`` for an answer matrix of the wrong shape or values outside 0–9."""
    n = cols.n
    if n == 0:
        return 0
    codes = forms.all_item_codes()
    answers = np.asarray(cols.answers)
    if answers.dtype != np.int8 or answers.shape != (n, len(codes)):
        raise ValueError(f"answers: expected an int8 matrix of shape ({n}, {len(codes)})")
    if answers.min() < 0 or answers.max() > 9:
        raise ValueError("answers: a value is outside 1–9")
    if not np.issubdtype(np.asarray(cols.submitted_at).dtype, np.datetime64):
        raise ValueError("submitted_at must be a datetime64 array in UTC")
    db.session.flush()  # anything the caller added through the ORM goes first
    conn = db.session.connection()
    days = cols.day_ordinals()
    block = daystats.Block(
        days,
        np.asarray(cols.unit_id, dtype=np.int64),
        np.asarray(cols.counter_id, dtype=np.int64),
        np.asarray(cols.procedure_id, dtype=np.int64),
        np.asarray(cols.target_group.codes, dtype=np.int64),
        list(cols.target_group.values),
        np.asarray(cols.channel.codes, dtype=np.int64),
        list(cols.channel.values),
        np.asarray(cols.questionnaire.codes, dtype=np.int64),
        list(cols.questionnaire.values),
        answers,
        (
            np.zeros(n, dtype=np.int8)
            if cols.dossier_id is None
            else (np.asarray(cols.dossier_id) > 0).astype(np.int8)
        ),
    )
    touched = [date.fromordinal(d) for d in np.unique(days).tolist()]
    plan = daystats.plan_bulk(touched)  # before the insert: which closed days were empty

    values = _values(cols, days, answers)
    ids = None if cols.id is None else np.asarray(cols.id, dtype=np.int64)
    explicit = np.flatnonzero(ids > 0) if ids is not None else np.zeros(0, np.intp)
    postgresql = conn.dialect.name == "postgresql"
    if explicit.size:
        assert ids is not None
        rest = np.flatnonzero(ids <= 0)
        picked = [ids[explicit].tolist(), *_take(values, explicit)]
        _write(conn, postgresql, picked, explicit_ids=True)
        if postgresql:
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('responses', 'id'), "
                    "(SELECT max(id) FROM responses))"
                )
            )
        if rest.size:
            _write(conn, postgresql, _take(values, rest), explicit_ids=False)
    else:
        _write(conn, postgresql, values, explicit_ids=False)
    daystats.add_bulk(block, plan)
    buckets.forget(touched, keep_days=True)
    return n


def insert_responses(rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (``Response`` column values; ``id`` optional and kept when given) with
    their day blocks, in the caller's transaction. Returns how many rows were
    inserted.

    Each row needs every column of :data:`COLUMNS` (``counter_id``, ``procedure_id``,
    ``channel``, ``comment``, ``idempotency_key``, ``receipt_hash`` may be ``None``;
    ``dossier_id`` may be missing too);
    ``submitted_at`` is an aware datetime, ``local_day`` a date, ``answers`` a dict of item
    code → answer value (validated already: codes of ``forms``, values 1–9).  A thin wrapper
    over :func:`insert_columns`.
    """
    if not rows:
        return 0
    moments = []
    for r in rows:
        submitted = r["submitted_at"]
        if submitted.tzinfo is None:
            raise ValueError("submitted_at must be an aware datetime")
        moments.append(submitted.astimezone(UTC).replace(tzinfo=None))
    ids = [r.get("id") for r in rows]
    cols = Columns(
        questionnaire=Text.of(r["questionnaire_id"] for r in rows),
        unit_id=np.array([r["unit_id"] for r in rows], dtype=np.int64),
        counter_id=np.array([r["counter_id"] or 0 for r in rows], dtype=np.int64),
        procedure_id=np.array([r["procedure_id"] or 0 for r in rows], dtype=np.int64),
        target_group=Text.of(r["target_group"] for r in rows),
        channel=Text.of(r["channel"] or "" for r in rows),
        submitted_at=np.array(moments, dtype="datetime64[us]"),
        local_day=np.array([r["local_day"].toordinal() for r in rows], dtype=np.int64),
        answers=daystats.answer_matrix([r["answers"] for r in rows]),
        source=Text.of(r["source"] for r in rows),
        comment=[r["comment"] for r in rows],
        idempotency_key=[r["idempotency_key"] for r in rows],
        receipt_hash=[r["receipt_hash"] for r in rows],
        id=np.array([i or 0 for i in ids], dtype=np.int64) if any(ids) else None,
        answers_json=[_json(r["answers"]) for r in rows],
        dossier_id=(
            np.array([r.get("dossier_id") or 0 for r in rows], dtype=np.int64)
            if any(r.get("dossier_id") for r in rows)
            else None
        ),
    )
    return insert_columns(cols)


def analyze() -> None:
    """Refresh the query planner's statistics after a large load (``ANALYZE``), so that,
    for instance, SQLite does not walk a whole unit's responses to find twenty of them by
    id.  Runs in the caller's transaction."""
    db.session.execute(text("ANALYZE"))


def _json(answers: Mapping[str, int]) -> str:
    """Compact JSON of validated answers (item codes are letters and digits)."""
    return "{" + ",".join([f'"{code}":{value:d}' for code, value in answers.items()]) + "}"


# --- columns → the values written ----------------------------------------------------------


def answers_json(answers: NDArray[np.int8]) -> list[str]:
    """Compact JSON object of each row of the answer matrix (non-empty cells, in
    ``forms.all_item_codes()`` order), built by pyarrow: ``{"A1":5,"C1":2}``."""
    codes = forms.all_item_codes()
    pieces = pa.array([f'"{code}":{v}' for code in codes for v in range(10)], pa.string())
    out: list[str] = []
    for lo in range(0, answers.shape[0], 200_000):  # bounded memory
        sub = answers[lo : lo + 200_000]
        rows, cols = np.nonzero(sub)
        index = cols.astype(np.int32) * 10 + sub[rows, cols]
        offsets = np.zeros(sub.shape[0] + 1, dtype=np.int32)
        np.cumsum(np.count_nonzero(sub, axis=1), out=offsets[1:])
        lists = pa.ListArray.from_arrays(pa.array(offsets), pieces.take(pa.array(index)))
        joined = pc.binary_join(lists, ",")
        out.extend(pc.binary_join_element_wise("{", joined, "}", "").to_pylist())
    return out


def _moments(submitted_at: NDArray[np.datetime64]) -> list[str]:
    """UTC moments as SQLAlchemy stores them on SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    text_ = np.datetime_as_string(np.asarray(submitted_at).astype("datetime64[us]"), unit="us")
    chars = text_.view(np.uint32).reshape(len(text_), -1).copy()
    chars[:, 10] = ord(" ")
    return chars.view(f"<U{chars.shape[1]}").ravel().tolist()  # type: ignore[no-any-return]


def _values(cols: Columns, days: NDArray[np.int64], answers: NDArray[np.int8]) -> list[list[Any]]:
    """The :data:`COLUMNS` values of every row, as Python lists (one per column)."""
    n = cols.n
    unique_days, day_of = np.unique(days, return_inverse=True)
    day_text = np.array(
        [date.fromordinal(d).isoformat() for d in unique_days.tolist()], dtype=object
    )

    def ids(column: NDArray[np.integer[Any]]) -> list[int | None]:
        values = np.asarray(column, dtype=np.int64).astype(object)
        values[values == 0] = None
        return values.tolist()  # type: ignore[no-any-return]

    def optional(column: Sequence[str | None] | None) -> Sequence[str | None]:
        return list(repeat(None, n)) if column is None else column

    return [
        cols.questionnaire.texts(),
        np.asarray(cols.unit_id, dtype=np.int64).tolist(),
        ids(cols.counter_id),
        ids(cols.procedure_id),
        cols.target_group.texts(),
        cols.channel.texts(none_for_empty=True),
        _moments(cols.submitted_at),
        day_text[day_of].tolist(),
        list(cols.answers_json) if cols.answers_json is not None else answers_json(answers),
        list(optional(cols.comment)),
        cols.source.texts(),
        list(optional(cols.idempotency_key)),
        list(optional(cols.receipt_hash)),
        ids(cols.dossier_id) if cols.dossier_id is not None else list(repeat(None, n)),
    ]


def _take(values: list[list[Any]], index: NDArray[np.intp]) -> list[list[Any]]:
    where = index.tolist()
    return [[column[i] for i in where] for column in values]


def _write(conn: Connection, postgresql: bool, values: list[list[Any]], explicit_ids: bool) -> None:
    if postgresql:
        _copy_responses(conn, values, explicit_ids)
    else:
        _sqlite_insert(conn, values, explicit_ids)


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_insert(conn: Connection, values: list[list[Any]], explicit_ids: bool) -> None:
    sql = _SQLITE_INSERT_WITH_IDS if explicit_ids else _SQLITE_INSERT
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        n = len(values[0])
        for start in range(0, n, BATCH):
            batch = list(zip(*(c[start : start + BATCH] for c in values), strict=True))
            cursor.executemany(sql, batch)
    finally:
        cursor.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def _copy_responses(conn: Connection, values: list[list[Any]], explicit_ids: bool) -> None:
    columns = ("id", *COLUMNS) if explicit_ids else COLUMNS
    moment = columns.index("submitted_at")
    values = list(values)
    values[moment] = [f"{m}+00" for m in values[moment]]  # UTC, stated
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY responses ({', '.join(columns)}) FROM STDIN") as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    finally:
        cursor.close()
