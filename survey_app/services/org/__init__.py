"""The organisation: counters by token, token issue/revoke/rotate, links for QR cards.

Light (every submission reads it). The printable cards, :mod:`.qrcards`, load segno and
matplotlib: a lazily-loaded attribute, ``org.qrcards`` (see :mod:`survey_app.services`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import lazy_loader as lazy
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from survey_app.extensions import db
from survey_app.models import (
    CacheGeneration,
    Counter,
    CounterToken,
    Procedure,
    Unit,
    unit_procedures,
)
from survey_app.services.storage import generations
from survey_app.services.storage.engine import is_unavailable

if TYPE_CHECKING:
    from survey_app.services.org import qrcards as qrcards
else:
    __getattr__ = lazy.attach(__name__, submodules=["qrcards"])[0]

TOKEN_BYTES = 18  # 24 URL-safe characters, 144 bits: not guessable, short in a QR code


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True, slots=True)
class ProcedureInfo:
    id: int
    code: str
    name: str
    target_group: str


@dataclass(frozen=True, slots=True)
class CounterInfo:
    """What serving a counter's form needs, read once and cached briefly per process."""

    counter_id: int
    counter_code: str
    counter_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    place_name: str
    questionnaire_id: str
    target_group: str  # of responses that name no procedure
    form_start: str  # "nhanh": the quick form first, "day_du": the unit's questionnaire
    procedures: tuple[ProcedureInfo, ...]  # the unit's active procedures, by code
    # The unit takes open ratings through its counters' QR cards (issue 13); when off, only
    # the form at /f/<token> is closed — the kiosk and the API still submit.
    open_qr: bool = True


class _TokenCache:
    """token → CounterInfo for ``TOKEN_CACHE_SECONDS``, filled under a cache generation.

    One per app (``app.extensions``), as each server process has its own.  An entry is used
    only while the shared generation (``cache_generations``, raised by every process that
    revokes a token or changes a counter, unit or procedure) is the one it was read under, so
    a revocation anywhere is seen everywhere at the next request.  While the database cannot
    be reached, the last entry read serves the form (nothing can be stored meanwhile).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, int, CounterInfo | None]] = {}

    def get(self, token: str, generation: int) -> tuple[bool, CounterInfo | None]:
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic() or entry[1] != generation:
            return False, None
        return True, entry[2]

    def last_known(self, token: str) -> tuple[bool, CounterInfo | None]:
        """The entry last read for ``token``, however old (for an outage)."""
        entry = self._entries.get(token)
        return (False, None) if entry is None else (True, entry[2])

    def put(self, token: str, info: CounterInfo | None, seconds: float, generation: int) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token] = (time.monotonic() + seconds, generation, info)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHE_EXTENSION = "sipas_token_cache"
COUNTERS_GENERATION = "counters"


def _cache() -> _TokenCache:
    cache = current_app.extensions.get(_CACHE_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_CACHE_EXTENSION, _TokenCache())
    return cache


_READ_GENERATION = select(CacheGeneration.value).where(CacheGeneration.name == COUNTERS_GENERATION)


def _generation() -> int:
    """The shared generation, read on a pooled connection of its own outside the request's
    session (a fresh read, and a few times cheaper than going through the ORM session)."""
    with db.engine.connect() as conn:
        value = conn.execute(_READ_GENERATION).scalar()
    return int(value or 0)


def _raise_generation() -> None:
    """Raise the shared generation in the current transaction (the caller commits)."""
    raised = db.session.execute(
        update(CacheGeneration)
        .where(CacheGeneration.name == COUNTERS_GENERATION)
        .values(value=CacheGeneration.value + 1)
    )
    if getattr(raised, "rowcount", 1) == 0:  # a database made without the migrations' row
        db.session.add(CacheGeneration(name=COUNTERS_GENERATION, value=1))


def counter_by_token(token: str) -> CounterInfo | None:
    """The active counter a live token belongs to, or ``None`` (revoked, unknown, inactive).

    With ``TOKEN_CACHE_SECONDS`` > 0 the answer is cached per process and checked against the
    shared generation on every call (one primary-key read), so a token revoked by any process
    stops working at once.  While the database is unreachable, the last answer read for the
    token is returned (the form can be shown and sent back with its answers; storing fails).
    """
    if not token or len(token) > 64:
        return None
    seconds = float(current_app.config["TOKEN_CACHE_SECONDS"])
    if seconds <= 0:
        return _load_counter(token)
    cache = _cache()
    try:
        generation = _generation()
    except DBAPIError as exc:
        if not is_unavailable(exc):
            raise
        db.session.rollback()
        known, stale = cache.last_known(token)
        if not known:
            raise
        return stale
    hit, info = cache.get(token, generation)
    if hit:
        return info
    info = _load_counter(token)
    cache.put(token, info, seconds, generation)
    return info


def _load_counter(token: str) -> CounterInfo | None:
    row = db.session.execute(
        select(
            Counter.id,
            Counter.code,
            Counter.name,
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.place_name,
            Unit.questionnaire_id,
            Unit.target_group,
            Unit.form_start,
            Unit.open_qr,
        )
        .join(CounterToken, CounterToken.counter_id == Counter.id)
        .join(Unit, Unit.id == Counter.unit_id)
        .where(
            CounterToken.token == token,
            CounterToken.revoked_at.is_(None),
            Counter.active.is_(True),
            Unit.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    procedures = tuple(
        ProcedureInfo(*p)
        for p in db.session.execute(
            select(Procedure.id, Procedure.code, Procedure.name, Procedure.target_group)
            .join(unit_procedures, unit_procedures.c.procedure_id == Procedure.id)
            .where(unit_procedures.c.unit_id == row[3], Procedure.active.is_(True))
            .order_by(Procedure.code)
        )
    )
    (cid, ccode, cname, uid, ucode, uname, place, qid, group, start, open_qr) = row
    return CounterInfo(
        cid,
        ccode,
        cname,
        uid,
        ucode,
        uname,
        place,
        qid,
        group,
        start,
        procedures=procedures,
        open_qr=bool(open_qr),
    )


def issue_token(counter: Counter) -> CounterToken:
    """Add a live token to a counter (the caller commits)."""
    token = CounterToken(counter=counter, token=new_token())
    db.session.add(token)
    return token


def revoke_tokens(counter: Counter) -> int:
    """Revoke every live token of a counter; returns how many (the caller commits)."""
    now = datetime.now(UTC)
    live = [t for t in counter.tokens if t.revoked_at is None]
    for t in live:
        t.revoked_at = now
    _raise_generation()  # committed with the revocation: every process re-reads at once
    _cache().clear()
    return len(live)


def forget_cached_counters() -> None:
    """Call after committing a change to a counter, unit or procedure: every server process
    re-reads them at its next request (the shared generation is raised and committed)."""
    _raise_generation()
    generations.bump(generations.SCORES)  # names and the tree of the office overview
    db.session.commit()
    _cache().clear()


def rotate_token(counter: Counter) -> CounterToken:
    revoke_tokens(counter)
    return issue_token(counter)


def live_token(counter: Counter) -> CounterToken | None:
    return next((t for t in reversed(counter.tokens) if t.revoked_at is None), None)


def public_url(token: str) -> str:
    return f"{current_app.config['BASE_URL']}/f/{token}"


@dataclass(frozen=True)
class Link:
    unit_code: str
    unit_name: str
    counter_code: str
    counter_name: str
    url: str


def unit_subtree_ids(code: str) -> list[int] | None:
    """Ids of the unit with this code and all its descendants; ``None`` if no such unit."""
    root = db.session.scalar(select(Unit).where(Unit.code == code))
    if root is None:
        return None
    return subtree_ids([root.id])


def subtree_ids(roots: Iterable[int]) -> list[int]:
    """These units and every unit below them, roots first, each id once."""
    seen: set[int] = set()
    ids: list[int] = []
    frontier = list(dict.fromkeys(roots))
    while frontier:
        fresh = [i for i in frontier if i not in seen]
        seen.update(fresh)
        ids.extend(fresh)
        if not fresh:
            break
        frontier = list(db.session.scalars(select(Unit.id).where(Unit.parent_id.in_(fresh))))
    return ids


def links(unit_ids: list[int] | None = None) -> list[Link]:
    """Each active counter's public URL, issuing a token to counters that have none."""
    query = (
        select(Counter)
        .join(Unit)
        .options(joinedload(Counter.unit))
        .where(Counter.active.is_(True), Unit.active.is_(True))
        .order_by(Unit.code, Counter.code)
    )
    if unit_ids is not None:
        query = query.where(Counter.unit_id.in_(unit_ids))
    result: list[Link] = []
    issued = False
    for counter in db.session.scalars(query).unique():
        token = live_token(counter)
        if token is None:
            token, issued = issue_token(counter), True
        result.append(
            Link(
                counter.unit.code,
                counter.unit.name,
                counter.code,
                counter.name,
                public_url(token.token),
            )
        )
    if issued:
        db.session.commit()
    return result


def unit_names() -> dict[str, str]:
    """Unit code → name, for every unit."""
    return {code: name for code, name in db.session.execute(select(Unit.code, Unit.name))}
