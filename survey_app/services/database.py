"""Engine set-up and the dialect-neutral upsert used for the per-day counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
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


def upsert_add(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str],
               add: str = "n") -> None:
    """Insert ``rows``; where a row's ``keys`` exist already, add its ``add`` column instead."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt: Insert = module.insert(table)
    stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=keys, set_={add: table.c[add] + stmt.excluded[add]}  # type: ignore[attr-defined]
    )
    session.execute(stmt, rows)
