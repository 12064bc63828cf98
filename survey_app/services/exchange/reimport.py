"""The import's third step (see :mod:`.importer`): recognise what is stored already.

A row with a ``response_id`` that exists is the same response when every field matches,
otherwise an error.  The stored rows are read as columns on the DB-API cursor and compared
with the file's columns at once: moments as whole UTC seconds, ids as integers, texts through
the file's dictionary codes, answers as the JSON text :mod:`.bulkload` writes (parsed only
where it differs).  The names here are the importer's internals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Text, cast, extract, func, select

import forms
from survey_app.extensions import db
from survey_app.models import Response
from survey_app.services.exchange.importread import _Enc, _Rows
from survey_app.services.storage.bulkload import answers_json
from survey_app.services.storage.daystats import answer_matrix

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


def _stored_chunks(ids: Any, read: int, chunk: int) -> Iterator[Any]:
    """The stored rows (:func:`_stored_sql`'s columns, an object matrix) among the sorted
    ``ids``, ``read`` ids at a time.  A dense run of ids is read as one id range (the rows of
    the range that are not in the file are dropped by the caller); scattered ids, in lists of
    ``chunk``.
    Read on the DB-API cursor: SQLAlchemy's row processing would cost more than the read."""
    head = _stored_sql()
    conn = db.session.connection()
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(ids), read):
            some = ids[start : start + read]
            lo, hi = int(some[0]), int(some[-1])
            if hi - lo < 2 * len(some):
                wheres = [f" WHERE responses.id BETWEEN {lo} AND {hi}"]
            else:
                wheres = [
                    " WHERE responses.id IN ({})".format(
                        ",".join(str(int(i)) for i in some[k : k + chunk])
                    )
                    for k in range(0, len(some), chunk)
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


def _recognise(
    rows: _Rows, rid: list[int | None], resolved: Any, read: int, chunk: int
) -> tuple[Any, list[tuple[int, list[str]]]]:
    """The rows whose ``response_id`` is stored (a mask), and those of them whose content
    differs: (row, the names of the fields that differ, in :data:`_FIELDS` order).  ``rid``:
    the rows' ids (``None``: none); ``resolved``: their unit, counter, procedure ids and
    sources as the checks resolved them; ``read``, ``chunk``: see :func:`_stored_chunks`.

    Compared column by column over numpy arrays aligned with the file's rows: moments as
    whole UTC seconds, ids as integers (0 = none), texts through the file's dictionary
    codes, the answers as the JSON text :mod:`.bulkload` writes for the row — a stored text
    that is not exactly that (a response submitted online keeps its own key order and
    spacing) is parsed and compared as ``{code: value}``."""
    n = rows.n
    found = np.zeros(n, dtype=bool)
    fid = np.fromiter((r or 0 for r in rid), dtype=np.int64, count=n)
    with_id = np.flatnonzero(fid)
    if not with_id.size:
        return found, []
    order = with_id[np.argsort(fid[with_id], kind="stable")]
    sorted_ids = fid[order]
    uid, cid, pid, source = resolved
    texts = (rows.target_group, rows.channel, rows.questionnaire, source)
    lookups = [_TextLookup(enc) for enc in texts]
    changed: list[tuple[int, list[str]]] = []
    for stored in _stored_chunks(sorted_ids, read, chunk):
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
