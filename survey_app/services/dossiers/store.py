"""Writing a checked chunk of dossiers (see :mod:`.ingest`): each compared with the stored
dossier of its code by fingerprint, then the new ones inserted and the changed ones updated —
one ``executemany`` per kind, a raw one on SQLite (moments as SQLAlchemy's SQLite text),
SQLAlchemy Core on PostgreSQL; no ORM object per row, all in the caller's transaction."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, select, update

from survey_app.extensions import db
from survey_app.models import Dossier

_IN = 900  # codes per IN (…) list
Row = tuple[Any, ...]
# The columns of a checked row (:meth:`.ingest.Checker.row`), in its order.
_STORED = (
    "code",
    "procedure_code",
    "procedure_id",
    "receiving_unit_id",
    "receiving_counter_id",
    "resolving_unit_id",
    "channel",
    "received_at",
    "due_date",
    "returned_at",
    "returned_day",
    "outcome",
    "supplements",
    "apology_sent",
)


class Tally(Protocol):
    created: int
    updated: int
    unchanged: int


def fingerprint(row: Row) -> str:
    """A digest of the values a dossier is stored with (unchanged ⇔ the same digest)."""
    parts = []
    for value in row:
        if value is None:
            parts.append("")
        elif isinstance(value, datetime):
            parts.append(value.isoformat())
        else:
            parts.append(str(value))
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


# --- storing --------------------------------------------------------------------------------


class Store:
    """Compares chunks with the stored dossiers and writes them (unless ``dry_run``).

    ``preload``: the stored codes and fingerprints are read once (a large file); otherwise
    each chunk's codes are looked up (an API batch)."""

    def __init__(self, preload: bool, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.sqlite = db.engine.dialect.name == "sqlite"
        self.stored: dict[str, str] | None = None
        if preload:
            self.stored = dict(db.session.execute(select(Dossier.code, Dossier.fingerprint)).all())
        self.now = datetime.now(UTC)

    def _lookup(self, codes: list[str]) -> dict[str, str]:
        if self.stored is not None:
            stored = self.stored
            return {c: stored[c] for c in codes if c in stored}
        found: dict[str, str] = {}
        for start in range(0, len(codes), _IN):
            chunk = codes[start : start + _IN]
            query = select(Dossier.code, Dossier.fingerprint).where(Dossier.code.in_(chunk))
            found.update(db.session.execute(query).all())
        return found

    def write(self, rows: list[Row], result: Tally) -> None:
        stored = self._lookup([r[0] for r in rows])
        new: list[tuple[Row, str]] = []
        changed: list[tuple[Row, str]] = []
        for row in rows:
            print_ = fingerprint(row)
            old = stored.get(row[0])
            if old is None:
                new.append((row, print_))
            elif old != print_:
                changed.append((row, print_))
        result.created += len(new)
        result.updated += len(changed)
        result.unchanged += len(rows) - len(new) - len(changed)
        if self.dry_run or not (new or changed):
            return
        if self.sqlite:
            self._sqlite(new, changed)
        else:
            self._core(new, changed)

    def _sqlite(self, new: list[tuple[Row, str]], changed: list[tuple[Row, str]]) -> None:
        """One raw ``executemany`` per kind on the session's connection (its transaction):
        moments as SQLAlchemy's SQLite text (naive UTC), days ISO, booleans 0/1."""
        now = _sqlite_moment(self.now)

        def values(row: Row, print_: str) -> list[Any]:
            out = list(row)
            out[7] = _sqlite_moment(row[7])
            out[8] = row[8].isoformat()
            out[9] = _sqlite_moment(row[9]) if row[9] is not None else None
            out[10] = row[10].isoformat() if row[10] is not None else None
            out[13] = int(row[13])
            out.append(print_)
            return out

        cursor = db.session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if new:
                names = ", ".join((*_STORED, "fingerprint", "created_at", "changed_at"))
                marks = ", ".join("?" * (len(_STORED) + 3))
                cursor.executemany(
                    f"INSERT INTO dossiers ({names}) VALUES ({marks})",  # noqa: S608 - fixed names
                    [(*values(r, p), now, now) for r, p in new],
                )
            if changed:
                sets = ", ".join(f"{n} = ?" for n in (*_STORED[1:], "fingerprint", "changed_at"))
                cursor.executemany(
                    f"UPDATE dossiers SET {sets} WHERE code = ?",  # noqa: S608 - fixed names
                    [(*values(r, p)[1:], now, r[0]) for r, p in changed],
                )
        finally:
            cursor.close()

    def _core(self, new: list[tuple[Row, str]], changed: list[tuple[Row, str]]) -> None:
        """PostgreSQL: SQLAlchemy Core executemany (no ORM objects)."""
        table = Dossier.__table__
        assert isinstance(table, Table)  # noqa: S101 - a mapped class's table, for mypy
        if new:
            db.session.execute(
                table.insert(),
                [
                    {
                        **dict(zip(_STORED, r, strict=True)),
                        "fingerprint": p,
                        "created_at": self.now,
                        "changed_at": self.now,
                    }
                    for r, p in new
                ],
            )
        if changed:
            statement = (
                update(table)
                .where(table.c.code == bindparam("b_code"))
                .values(
                    {n: bindparam(f"b_{n}") for n in (*_STORED[1:], "fingerprint", "changed_at")}
                )
            )
            db.session.connection().execute(
                statement,
                [
                    {
                        **{f"b_{n}": v for n, v in zip(_STORED, r, strict=True)},
                        "b_fingerprint": p,
                        "b_changed_at": self.now,
                    }
                    for r, p in changed
                ],
            )


def _sqlite_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
