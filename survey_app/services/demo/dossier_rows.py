"""Writing the demo's dossiers and invitations (:mod:`.dossiers` draws them): the rows as
columns of Python values, their codes and fingerprints, the invitation tokens, and the bulk
write on the DB-API connection (``executemany`` on SQLite, ``COPY`` on PostgreSQL)."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, text

from survey_app.extensions import db
from survey_app.models import Counter
from survey_app.models.dossiers import CHANNELS
from survey_app.services.dossiers.invitations import BASE58 as BASE58_TEXT
from survey_app.services.dossiers.invitations import TOKEN_LENGTH
from survey_app.services.dossiers.store import STORED
from survey_app.services.dossiers.store import fingerprint as fingerprint_of

BASE58 = np.array(list(BASE58_TEXT))  # the invitations' alphabet, drawn in bulk

DOSSIER_COLUMNS = ("id", *STORED, "fingerprint", "created_at", "changed_at")
INVITATION_COLUMNS = ("dossier_id", "token", "created_at", "expires_at", "revoked_at", "used_at")


class Organisation(Protocol):
    """The demo organisation by position (:class:`.dossiers.World`)."""

    counters: list[Counter]
    unit_codes: list[str]
    unit_ids: NDArray[np.int64]
    agency_codes: list[str]
    proc_codes: list[list[str]]
    proc_ids: list[list[int]]


def dossier_rows(world: Organisation, **c: NDArray[Any]) -> list[list[Any]]:
    """The :data:`DOSSIER_COLUMNS` values, one list per column, of the dossiers drawn as
    the arrays ``c`` (positions into ``world``'s counters, procedures and units)."""
    conn = db.session.connection()
    if not len(c["ids"]):
        return [[] for _ in DOSSIER_COLUMNS]
    yymmdd = _daytexts(c["received_day"], "%y%m%d")
    due = _daytexts(c["due"], "%Y-%m-%d")
    returned_day = _daytexts(c["returned_day"], "%Y-%m-%d")
    received_at = texts(c["received_at"], conn)
    returned_at = texts(c["returned_at"], conn)
    # the moments as the ingest's fingerprint writes them (SQLite's naive UTC text)
    plain_received = _canonical(received_at)
    plain_returned = _canonical(returned_at)
    counter_ids = [c.id for c in world.counters]  # read once: no ORM attribute per row
    unit_ids = [c.unit.id for c in world.counters]
    code: list[str] = []
    proc_code: list[str] = []
    proc_id: list[int] = []
    counter_id: list[int] = []
    recv_unit: list[int] = []
    resolve_unit: list[int] = []
    fingerprint: list[str] = []
    channels = [CHANNELS[k] for k in c["channel"].tolist()]
    outcome = c["outcome"].tolist()
    supplements = c["supplements"].tolist()
    apology = c["apology"].tolist()
    for k, (counter, proc, resolving, agency, seq) in enumerate(
        zip(
            c["counter"].tolist(),
            c["proc"].tolist(),
            c["resolving"].tolist(),
            c["agency"].tolist(),
            c["sequence"].tolist(),
            strict=True,
        )
    ):
        code.append(f"{world.agency_codes[agency]}-{yymmdd[k]}-{seq:04d}")
        proc_code.append(world.proc_codes[counter][proc])
        proc_id.append(world.proc_ids[counter][proc])
        counter_id.append(counter_ids[counter])
        recv_unit.append(unit_ids[counter])
        resolve_unit.append(int(world.unit_ids[resolving]))
        fingerprint.append(  # the ingest's: a re-import of these values finds them unchanged
            fingerprint_of(
                (
                    code[-1],
                    proc_code[-1],
                    proc_id[-1],
                    recv_unit[-1],
                    counter_id[-1],
                    resolve_unit[-1],
                    channels[k],
                    plain_received[k],
                    due[k],
                    plain_returned[k],
                    returned_day[k],
                    outcome[k],
                    int(supplements[k]),
                    1 if apology[k] else 0,
                )
            )
        )
    changed = [r if r is not None else s for r, s in zip(returned_at, received_at, strict=True)]
    return [
        c["ids"].tolist(),
        code,
        proc_code,
        proc_id,
        recv_unit,
        counter_id,
        resolve_unit,
        channels,
        received_at,
        due,
        returned_at,
        returned_day,
        outcome,
        supplements,
        apology,
        fingerprint,
        received_at,
        changed,
    ]


def texts(moments: NDArray[np.datetime64], conn: Connection) -> list[str | None]:
    """UTC moments as the database takes them in bulk (NaT → None): SQLAlchemy's naive
    SQLite text, or an explicit ``+00`` for PostgreSQL's COPY."""
    out = np.datetime_as_string(np.asarray(moments).astype("datetime64[us]"), unit="us")
    suffix = "+00" if conn.dialect.name == "postgresql" else ""
    nat = np.isnat(moments)
    return [
        None if missing else f"{t[:10]} {t[11:]}{suffix}"
        for t, missing in zip(out.tolist(), nat.tolist(), strict=True)
    ]


def _canonical(moments: list[str | None]) -> list[str | None]:
    """Bulk moment texts (:func:`texts`) without PostgreSQL's ``+00``."""
    return [t[:26] if t is not None else None for t in moments]


def _daytexts(days: NDArray[np.int64], fmt: str) -> list[str | None]:
    cache: dict[int, str] = {}
    out: list[str | None] = []
    for d in np.asarray(days, np.int64).tolist():
        if d not in cache:
            cache[d] = date.fromordinal(d).strftime(fmt) if d > 0 else ""
        out.append(cache[d] or None)
    return out


def tokens(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct invitation tokens: 10 base58 characters (about 58 bits), from ``rng``."""
    existing = {t for (t,) in db.session.execute(text("SELECT token FROM invitations"))}
    out: list[str] = []
    seen = set(existing)
    while len(out) < n:
        need = n - len(out)
        chars = BASE58[rng.integers(len(BASE58), size=(need, TOKEN_LENGTH))]
        for token in chars.view(f"<U{TOKEN_LENGTH}").ravel().tolist():
            if token not in seen:
                seen.add(token)
                out.append(token)
    return out


def insert(conn: Connection, table: str, names: tuple[str, ...], values: list[list[Any]]) -> None:
    """Write rows given as columns (constant table and column names only)."""
    if not values or not values[0]:
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in zip(*values, strict=True):
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
            cursor.executemany(sql, list(zip(*values, strict=True)))
    finally:
        cursor.close()
