"""The office overview's computed rows, kept per server process while the data are the same
(issue 14: a province's overview of 1,000 units ≤ 1 s warm).

Scoring a thousand units three times (the period, the previous period, the units' own
responses) and their coverage takes seconds; the result only changes when the data do.  A
value is kept per process (``app.extensions``) under its key (the scope and the filters)
with the *state* it was computed in, and used only while the state read at the request is
the same — exact, not time-based:

- the shared generation ``scores`` (:mod:`~survey_app.services.storage.generations`, table
  ``cache_generations``), raised in the transaction of every change a new response id does
  not show: an import or bulk load into past days, an exclusion or a restore (all through
  ``storage.buckets.forget``) and a unit, counter or procedure change;
- the newest response id (a new response, whatever its day);
- the coverage signature (:func:`.coverage._signature`: the newest dossier, dossier
  change, invitation, used invitation and answered dossier — an import or change of
  dossiers);
- today's local date (the default period and which day is still open).

Every process reads the same database rows, so a change committed by any of them is seen by
all at their next request; nothing else is shared.  A few index reads per request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Response
from survey_app.services.analytics import coverage
from survey_app.services.clock import today_local
from survey_app.services.storage import generations

__all__ = ["cached", "clear", "state"]

T = TypeVar("T")
_EXTENSION = "sipas_overview_cache"
MAX_ENTRIES = 64


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}


def _store() -> _Store:
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = current_app.extensions.setdefault(_EXTENSION, _Store())
    return store


def state() -> tuple[Any, ...]:
    """What the cached values were computed under (see the module's docstring)."""
    newest = db.session.execute(select(func.max(Response.__table__.c.id))).scalar()
    return (
        generations.read(generations.SCORES),
        newest,
        coverage._signature(),
        today_local(),
    )


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or the value kept under ``key`` when the state is the one it was
    computed in."""
    store = _store()
    now = state()
    with store.lock:
        hit = store.entries.get(key)
    if hit is not None and hit[0] == now:
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    with store.lock:
        if len(store.entries) >= MAX_ENTRIES:
            store.entries.clear()
        store.entries[key] = (now, value)
    return value


def clear() -> None:
    """Forget this process's values (tests)."""
    with _store().lock:
        _store().entries.clear()
