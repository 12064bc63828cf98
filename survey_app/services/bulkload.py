"""Bulk loading of responses (imports, demo data): as fast as the database takes rows.

:func:`insert_responses` writes many responses in the caller's transaction (it never
commits) and keeps everything derived from them correct in the same transaction:

- ``daily_counts``: the rows' counts are aggregated first (numpy), so each distinct cell
  (day × unit × counter × target group × channel × questionnaire × item × value) is upserted
  once per call, not once per response;
- the stored per-day statistics (:mod:`.daystats`) of the days touched;
- the stored half-month buckets of the days touched are forgotten (computed again on demand,
  from the per-day statistics).

SQLite gets one prepared ``executemany`` on the DB-API connection; PostgreSQL gets ``COPY``
(the counts through a temporary table and one ``INSERT … ON CONFLICT``).  Answers are
serialised to JSON once, compactly.
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
COUNT_COLUMNS = ("day", "unit_id", "counter_id", "target_group", "channel",
                 "questionnaire_id", "item", "value", "n")
BATCH = 20_000  # rows per executemany / COPY chunk

# The statements name constant columns only (no input reaches the SQL text).
_KEYS = ", ".join(COUNT_COLUMNS[:-1])
_SQLITE_INSERT = (f"INSERT INTO responses ({', '.join(COLUMNS)}) "  # noqa: S608
                  f"VALUES ({', '.join('?' for _ in COLUMNS)})")
_SQLITE_INSERT_WITH_IDS = (f"INSERT INTO responses (id, {', '.join(COLUMNS)}) "  # noqa: S608
                           f"VALUES (?, {', '.join('?' for _ in COLUMNS)})")
_SQLITE_UPSERT = (f"INSERT INTO daily_counts ({', '.join(COUNT_COLUMNS)}) "  # noqa: S608
                  f"VALUES ({', '.join('?' for _ in COUNT_COLUMNS)}) "
                  f"ON CONFLICT ({_KEYS}) DO UPDATE SET n = daily_counts.n + excluded.n")
_POSTGRESQL_MERGE = (f"INSERT INTO daily_counts ({', '.join(COUNT_COLUMNS)}) "  # noqa: S608
                     f"SELECT {', '.join(COUNT_COLUMNS)} FROM bulk_daily_counts "
                     f"ON CONFLICT ({_KEYS}) DO UPDATE SET n = daily_counts.n + excluded.n")



def insert_responses(rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (``Response`` column values; ``id`` optional and kept when given) with
    their per-day counts and statistics, in the caller's transaction. Returns how many rows
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
        _upsert_counts_postgresql(conn, batch.count_rows())
    else:
        if with_ids:
            _sqlite_insert(conn, with_ids, explicit_ids=True)
        if without_ids:
            _sqlite_insert(conn, without_ids, explicit_ids=False)
        _upsert_counts_sqlite(conn, batch.count_rows())
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


def _upsert_counts_sqlite(conn: Connection, counts: list[tuple[Any, ...]]) -> None:
    sql = _SQLITE_UPSERT
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(counts), BATCH):
            cursor.executemany(sql, [(c[0].isoformat(), *c[1:])
                                     for c in counts[start:start + BATCH]])
    finally:
        cursor.close()


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


def _upsert_counts_postgresql(conn: Connection, counts: list[tuple[Any, ...]]) -> None:
    if not counts:
        return
    conn.execute(text(
        "CREATE TEMPORARY TABLE IF NOT EXISTS bulk_daily_counts (day date, unit_id integer, "
        "counter_id integer, target_group varchar(40), channel varchar(40), "
        "questionnaire_id varchar(60), item varchar(8), value integer, n integer) "
        "ON COMMIT DROP"))
    conn.execute(text("DELETE FROM bulk_daily_counts"))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY bulk_daily_counts ({', '.join(COUNT_COLUMNS)}) "
                         "FROM STDIN") as copy:
            for row in counts:
                copy.write_row(row)
    finally:
        cursor.close()
    conn.execute(text(_POSTGRESQL_MERGE))
    conn.execute(text("DELETE FROM bulk_daily_counts"))

