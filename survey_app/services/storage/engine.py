"""Engine set-up and the SQLite write path of a single response (write queue, plain SQL)."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import sqlite


def configure_engine_events(engine: Engine, busy_timeout_ms: int = 10_000) -> None:
    """SQLite: WAL journal, a busy timeout (how long a writer waits for another — a long
    import holds the database), foreign keys on, normal sync (safe with WAL)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` means the database was busy — locked by another writer for longer
    than the busy timeout (SQLite), or a lock not obtained in time (PostgreSQL) — rather
    than broken: the request may simply be sent again."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(
        sign in text
        for sign in (
            "database is locked",
            "database is busy",
            "lock timeout",
            "could not obtain lock",
        )
    )


_UNREACHABLE_SIGNS = (
    # PostgreSQL (psycopg) and the network between us
    "connection refused",
    "connection failed",
    "could not connect",
    "could not translate host name",
    "server closed the connection",
    "terminating connection",
    "connection timed out",
    "timeout expired",
    "no route to host",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "too many connections",
    "remaining connection slots are reserved",
    "ssl syscall error",
    "the connection is closed",
    "consuming input failed",
    # SQLite: the file's folder or disk went away
    "unable to open database file",
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be used for now — busy (:func:`is_busy`),
    unreachable, restarting, out of connections — so that the request may be sent again
    later, as opposed to a fault (a bad statement, a broken disk) that sending again cannot
    mend.  Connection-pool timeouts count too."""
    if isinstance(exc, sa_exc.TimeoutError) or is_busy(exc):
        return True
    if not isinstance(exc, sa_exc.DBAPIError | sqlite3.OperationalError):
        return False
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(sign in text for sign in _UNREACHABLE_SIGNS)


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


class SqliteInserts:
    """The response insert as plain SQL on the DB-API connection.

    With SQLite every write waits for the one write lock, so throughput is set by how long a
    writer holds it: parameters are converted to SQLite's storage formats (as SQLAlchemy
    writes them) before the lock is taken, and the locked part is one C call and a commit.
    """

    def __init__(self, responses: Any) -> None:
        dialect = sqlite.dialect(paramstyle="qmark")
        columns = [c.name for c in responses.columns if c.name != "id"]
        insert = sqlite.insert(responses).returning(responses.c.id)
        compiled = insert.compile(dialect=dialect, column_keys=columns)
        self.insert_sql, self.columns = compiled.string, list(compiled.positiontup or ())

    def params(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = []
        for name in self.columns:
            value = row.get(name)  # a column the row does not name (dossier_id) is NULL
            if isinstance(value, datetime):
                value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, dict):
                value = json.dumps(value)
            values.append(value)
        return tuple(values)

    def write(self, dbapi_conn: Any, params: tuple[Any, ...]) -> int:
        """Insert in one transaction; returns the new response id."""
        cur = dbapi_conn.cursor()
        try:
            cur.execute(self.insert_sql, params)
            new_id = int(cur.fetchone()[0])
            dbapi_conn.commit()
        except BaseException:
            dbapi_conn.rollback()
            raise
        finally:
            cur.close()
        return new_id
