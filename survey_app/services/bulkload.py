"""Bulk loading of responses (imports, demo data): as fast as the database takes rows.

:func:`insert_responses` writes many responses in the caller's transaction (it never
commits) and keeps everything derived from them correct in the same transaction:

- the stored per-day statistics (:mod:`.daystats`) of the days touched;
- the stored half-month buckets of the days touched are forgotten (computed again on demand,
  from the per-day statistics).

SQLite gets one prepared ``executemany`` on the DB-API connection; PostgreSQL gets ``COPY``.
Answers are serialised to JSON once, compactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, text

from ..extensions import db
from . import buckets

COLUMNS = ("questionnaire_id", "unit_id", "counter_id", "procedure_id", "target_group",
           "channel", "submitted_at", "local_day", "answers", "comment", "source",
           "idempotency_key", "receipt_hash")
BATCH = 20_000  # rows per executemany / COPY chunk

# The statements name constant columns only (no input reaches the SQL text).
_SQLITE_INSERT = (f"INSERT INTO responses ({', '.join(COLUMNS)}) "  # noqa: S608
                  f"VALUES ({', '.join('?' for _ in COLUMNS)})")
_SQLITE_INSERT_WITH_IDS = (f"INSERT INTO responses (id, {', '.join(COLUMNS)}) "  # noqa: S608
                           f"VALUES (?, {', '.join('?' for _ in COLUMNS)})")


def insert_responses(rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (``Response`` column values; ``id`` optional and kept when given) with
    their per-day statistics, in the caller's transaction. Returns how many rows
    were inserted.

    Each row needs every column of :data:`COLUMNS` (``counter_id``, ``procedure_id``,
    ``channel``, ``comment``, ``idempotency_key``, ``receipt_hash`` may be ``None``);
    ``submitted_at`` is an aware datetime, ``local_day`` a date, ``answers`` a dict of item
    code → answer value (validated already: codes of ``forms``, values 1–9).
    """
    if not rows:
        return 0
    db.session.flush()  # anything the caller added through the ORM goes first
    conn = db.session.connection()
    from . import daystats  # numpy: loaded only when responses are loaded

    batch = daystats.Batch.of(rows)  # checks the answers before anything is written
    plan = daystats.plan_bulk(batch.days)  # before the insert: which closed days were empty
    with_ids = [r for r in rows if r.get("id") is not None]
    without_ids = [r for r in rows if r.get("id") is None] if with_ids else rows
    if conn.dialect.name == "postgresql":
        if with_ids:
            _copy_responses(conn, with_ids, explicit_ids=True)
            conn.execute(text(
                "SELECT setval(pg_get_serial_sequence('responses', 'id'), "
                "(SELECT max(id) FROM responses))"))
        if without_ids:
            _copy_responses(conn, without_ids, explicit_ids=False)
    else:
        if with_ids:
            _sqlite_insert(conn, with_ids, explicit_ids=True)
        if without_ids:
            _sqlite_insert(conn, without_ids, explicit_ids=False)
    daystats.add_bulk(batch, plan)
    buckets.forget(batch.days, keep_days=True)
    return len(rows)


def analyze() -> None:
    """Refresh the query planner's statistics after a large load (``ANALYZE``), so that,
    for instance, SQLite does not walk a whole unit's responses to find twenty of them by
    id.  Runs in the caller's transaction."""
    db.session.execute(text("ANALYZE"))


def _json(answers: Mapping[str, int]) -> str:
    """Compact JSON of validated answers (item codes are letters and digits)."""
    return "{" + ",".join([f'"{code}":{value:d}' for code, value in answers.items()]) + "}"


# --- SQLite ---------------------------------------------------------------------------------

def _sqlite_insert(conn: Connection, rows: Sequence[Mapping[str, Any]],
                   explicit_ids: bool) -> None:
    sql = _SQLITE_INSERT_WITH_IDS if explicit_ids else _SQLITE_INSERT
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, [_sqlite_params(r, explicit_ids)
                                     for r in rows[start:start + BATCH]])
    finally:
        cursor.close()


def _sqlite_params(r: Mapping[str, Any], explicit_ids: bool) -> tuple[Any, ...]:
    submitted = r["submitted_at"]
    if submitted.tzinfo is not UTC:
        if submitted.tzinfo is None:
            raise ValueError("submitted_at must be an aware datetime")
        submitted = submitted.astimezone(UTC)
    values = (r["questionnaire_id"], r["unit_id"], r["counter_id"], r["procedure_id"],
              r["target_group"], r["channel"],
              submitted.replace(tzinfo=None).isoformat(" ", "microseconds"),
              r["local_day"].isoformat(), _json(r["answers"]), r["comment"], r["source"],
              r["idempotency_key"], r["receipt_hash"])
    return (r["id"], *values) if explicit_ids else values


# --- PostgreSQL -----------------------------------------------------------------------------

def _copy_responses(conn: Connection, rows: Sequence[Mapping[str, Any]],
                    explicit_ids: bool) -> None:
    columns = ("id", *COLUMNS) if explicit_ids else COLUMNS
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY responses ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                submitted = r["submitted_at"]
                if submitted.tzinfo is None:
                    raise ValueError("submitted_at must be an aware datetime")
                values = (r["questionnaire_id"], r["unit_id"], r["counter_id"],
                          r["procedure_id"], r["target_group"], r["channel"], submitted,
                          r["local_day"], _json(r["answers"]), r["comment"], r["source"],
                          r["idempotency_key"], r["receipt_hash"])
                copy.write_row((r["id"], *values) if explicit_ids else values)
    finally:
        cursor.close()
