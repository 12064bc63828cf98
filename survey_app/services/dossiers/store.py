"""Writing a checked chunk of dossiers (see :mod:`.ingest`): each compared with the stored
dossier of its code by fingerprint, then the new ones inserted and the changed ones updated —
one ``executemany`` per kind, a raw one on SQLite (moments as SQLAlchemy's SQLite text),
SQLAlchemy Core on PostgreSQL; no ORM object per row, all in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from hashlib import blake2b
from typing import Any, Protocol

from sqlalchemy import Index, Table, bindparam, select, update

from survey_app.extensions import db
from survey_app.models import Dossier

_IN = 900  # codes per IN (…) list
Row = tuple[Any, ...]
# The columns of a checked row (:meth:`.ingest.Checker.row`), in its order (the demo writes
# its dossiers with the same columns).
STORED = (
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
    """A digest of the values a dossier is stored with, in their canonical text form
    (unchanged ⇔ the same digest; the same on SQLite and PostgreSQL)."""
    return blake2b("\x1f".join(map(str, row)).encode(), digest_size=16).hexdigest()


# --- storing --------------------------------------------------------------------------------


class Store:
    """Compares chunks with the stored dossiers and writes them (unless ``dry_run``).

    ``preload``: the stored codes and fingerprints are read once (a large file); otherwise
    each chunk's codes are looked up (an API batch)."""

    def __init__(self, preload: bool, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.sqlite = db.engine.dialect.name == "sqlite"
        # (code, fingerprint) of every stored dossier when preloaded (raw rows: a million)
        self.pairs: list[tuple[str, str]] | None = None
        self._stored: dict[str, str] | None = None
        if preload:
            cursor = db.session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute("SELECT code, fingerprint FROM dossiers")
                self.pairs = list(cursor.fetchall())
            finally:
                cursor.close()
        # an empty table filled by a file on SQLite: secondary indexes built after the load
        self.empty = preload and not self.pairs and not dry_run
        self.dropped = False
        self.now = datetime.now(UTC)

    @property
    def stored(self) -> dict[str, str] | None:
        if self._stored is None and self.pairs is not None:
            self._stored = dict(self.pairs)
        return self._stored

    def _lookup(self, codes: list[str]) -> dict[str, str]:
        stored = self.stored
        if stored is not None:
            return {c: stored[c] for c in codes if c in stored}
        found: dict[str, str] = {}
        for start in range(0, len(codes), _IN):
            chunk = codes[start : start + _IN]
            query = select(Dossier.code, Dossier.fingerprint).where(Dossier.code.in_(chunk))
            found.update(db.session.execute(query).all())
        return found

    def write(self, rows: list[Row], result: Tally) -> None:
        """Compare checked rows with the stored dossiers and write the new and changed."""
        prints = [fingerprint(row) for row in rows]
        new, changed = self.classify([r[0] for r in rows], prints)
        self.put(
            [(*rows[i], prints[i]) for i in new],
            [(*rows[i], prints[i]) for i in changed],
            len(rows) - len(new) - len(changed),
            result,
        )

    def classify(self, codes: list[str], prints: list[str]) -> tuple[list[int], list[int]]:
        """The positions of the new and of the changed dossiers among ``codes``."""
        stored = self._lookup(codes)
        new: list[int] = []
        changed: list[int] = []
        get = stored.get
        for i, (code, print_) in enumerate(zip(codes, prints, strict=True)):
            old = get(code)
            if old is None:
                new.append(i)
            elif old != print_:
                changed.append(i)
        return new, changed

    def put(
        self,
        new: list[tuple[Any, ...]],
        changed: list[tuple[Any, ...]],
        unchanged: int,
        result: Tally,
    ) -> None:
        """Count and write rows (their values and fingerprint) known to be new or changed."""
        result.created += len(new)
        result.updated += len(changed)
        result.unchanged += unchanged
        if self.dry_run or not (new or changed):
            return
        if self.sqlite:
            new.sort()  # by code: the unique index's pages are met in order (≈ 25 % faster)
            if new and self.empty and not self.dropped:
                self._drop_indexes()
            self._sqlite(new, changed)
        else:
            self._core(new, changed)

    def _indexes(self) -> list[Index]:
        table = Dossier.__table__
        assert isinstance(table, Table)  # noqa: S101 - a mapped class's table, for mypy
        return sorted(table.indexes, key=lambda i: str(i.name))

    def _drop_indexes(self) -> None:
        """An empty table being filled: its secondary indexes are built once at the end
        (:meth:`finish`), in the same transaction, rather than updated row by row."""
        connection = db.session.connection()
        for index in self._indexes():
            index.drop(bind=connection)
        self.dropped = True

    def finish(self) -> None:
        """Rebuild what :meth:`put` set aside (before the commit, in its transaction)."""
        if self.dropped:
            connection = db.session.connection()
            for index in self._indexes():
                index.create(bind=connection)
            self.dropped = False

    def _sqlite(self, new: list[tuple[Any, ...]], changed: list[tuple[Any, ...]]) -> None:
        """One raw ``executemany`` per kind on the session's connection (its transaction):
        the rows' canonical texts are SQLite's storage formats as SQLAlchemy writes them."""
        now = self.now.replace(tzinfo=None).isoformat(" ", "microseconds")
        connection = db.session.connection().connection.dbapi_connection
        assert connection is not None  # noqa: S101 - a live session's connection, for mypy
        cursor = connection.cursor()
        try:
            if new:
                names = ", ".join((*STORED, "fingerprint", "created_at", "changed_at"))
                marks = ", ".join("?" * (len(STORED) + 1))
                cursor.executemany(
                    f"INSERT INTO dossiers ({names}) VALUES ({marks}, '{now}', '{now}')",  # noqa: S608 - fixed names, a moment's text
                    new,
                )
            if changed:
                sets = ", ".join(f"{n} = ?" for n in (*STORED[1:], "fingerprint", "changed_at"))
                cursor.executemany(
                    f"UPDATE dossiers SET {sets} WHERE code = ?",  # noqa: S608 - fixed names
                    [(*r[1:], now, r[0]) for r in changed],
                )
        finally:
            cursor.close()

    def _core(self, new: list[tuple[Any, ...]], changed: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: SQLAlchemy Core executemany (no ORM objects), the texts as values."""
        table = Dossier.__table__
        assert isinstance(table, Table)  # noqa: S101 - a mapped class's table, for mypy
        names = (*STORED, "fingerprint")
        if new:
            db.session.execute(
                table.insert(),
                [
                    {
                        **_values(dict(zip(names, r, strict=True))),
                        "created_at": self.now,
                        "changed_at": self.now,
                    }
                    for r in new
                ],
            )
        if changed:
            statement = (
                update(table)
                .where(table.c.code == bindparam("b_code"))
                .values({n: bindparam(f"b_{n}") for n in (*names[1:], "changed_at")})
            )
            db.session.connection().execute(
                statement,
                [
                    {
                        **{
                            f"b_{n}": v
                            for n, v in _values(dict(zip(names, r, strict=True))).items()
                        },
                        "b_changed_at": self.now,
                    }
                    for r in changed
                ],
            )


def _values(row: dict[str, Any]) -> dict[str, Any]:
    """A row's canonical texts as the columns' Python values (moments aware UTC, days)."""
    for name in ("received_at", "returned_at"):
        if row[name] is not None:
            row[name] = datetime.fromisoformat(row[name]).replace(tzinfo=UTC)
    for name in ("due_date", "returned_day"):
        if row[name] is not None:
            row[name] = date.fromisoformat(row[name])
    row["apology_sent"] = bool(row["apology_sent"])
    return row
