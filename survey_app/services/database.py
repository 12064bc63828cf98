"""Engine set-up and the dialect-neutral upsert used for the per-day counts."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.expression import Insert


def configure_engine_events(engine: Engine) -> None:
    """SQLite: WAL journal, a busy timeout, foreign keys on, normal sync (safe with WAL)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


class _WriteQueue:
    """An exclusive lock shared by the threads of this process (``threading.Lock``) and by
    every server process (``flock`` on a file beside the SQLite database)."""

    def __init__(self, path: str) -> None:
        self._thread_lock = threading.Lock()
        self._path = path
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


_queues: dict[str, _WriteQueue] = {}
_queues_lock = threading.Lock()


def write_queue(database_path: str) -> _WriteQueue:
    """The write queue of one SQLite database file (one per process and file)."""
    with _queues_lock:
        queue = _queues.get(database_path)
        if queue is None:
            queue = _queues[database_path] = _WriteQueue(database_path + ".writelock")
        return queue


def upsert_add(target: Connection | Session | scoped_session[Session], table: Any,
               rows: list[dict[str, Any]],
               keys: list[str], add: str = "n") -> None:
    """Insert ``rows``; where a row's ``keys`` exist already, add its ``add`` column instead."""
    if not rows:
        return
    dialect = target.dialect.name if isinstance(target, Connection) else \
        target.get_bind().dialect.name
    target.execute(_upsert_statement(dialect, table, tuple(keys), add), rows)


@cache
def _upsert_statement(dialect: str, table: Any, keys: tuple[str, ...], add: str) -> Insert:
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(keys), set_={add: table.c[add] + stmt.excluded[add]}
    )


class SqliteInserts:
    """The response insert and its count upsert as plain SQL on the DB-API connection.

    With SQLite every write waits for the one write lock, so throughput is set by how long a
    writer holds it: parameters are converted to SQLite's storage formats (as SQLAlchemy
    writes them) before the lock is taken, and the locked part is two C calls and a commit.
    """

    def __init__(self, responses: Any, counts: Any, count_keys: list[str]) -> None:
        dialect = sqlite.dialect(paramstyle="qmark")
        columns = [c.name for c in responses.columns if c.name != "id"]
        insert = sqlite.insert(responses).returning(responses.c.id)
        compiled = insert.compile(dialect=dialect, column_keys=columns)
        self.insert_sql, self.columns = compiled.string, list(compiled.positiontup or ())
        upsert = _upsert_statement("sqlite", counts, tuple(count_keys), "n")
        compiled = upsert.compile(dialect=dialect, column_keys=[*count_keys, "n"])
        self.upsert_sql, self.count_keys = compiled.string, list(compiled.positiontup or ())

    def params(self, row: dict[str, Any],
               counts: list[dict[str, Any]]) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        values = []
        for name in self.columns:
            value = row[name]
            if isinstance(value, datetime):
                value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, dict):
                value = json.dumps(value)
            values.append(value)
        count_rows = [tuple(c[k].isoformat() if isinstance(c[k], date) else c[k]
                            for k in self.count_keys) for c in counts]
        return tuple(values), count_rows

    def write(self, dbapi_conn: Any, params: tuple[Any, ...],
              count_rows: list[tuple[Any, ...]]) -> int:
        """Insert and count in one transaction; returns the new response id."""
        cur = dbapi_conn.cursor()
        try:
            cur.execute(self.insert_sql, params)
            new_id = int(cur.fetchone()[0])
            cur.executemany(self.upsert_sql, count_rows)
            dbapi_conn.commit()
        except BaseException:
            dbapi_conn.rollback()
            raise
        finally:
            cur.close()
        return new_id
