"""Shared cache generations (table ``cache_generations``): a number per kind of cached
data, raised in the transaction that changes that data, read by every server process to
tell whether what it keeps is still exact (one primary-key read).

``scores`` (:data:`SCORES`): raised whenever stored responses of a past day change in a way
a new response id does not show — a bulk load or import into past days, an exclusion or a
restore (all through :func:`.buckets.forget`) — and when a unit, counter or procedure
changes (``org.forget_cached_counters``).  The office overview's cache
(``analytics.overview``) is validated by it.  Light: no numpy (the submission path imports
it through :mod:`.buckets`).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models.org import CacheGeneration

SCORES = "scores"


def read(name: str) -> int:
    """The generation ``name`` (0 when it was never raised), in the request's session."""
    value = db.session.execute(
        select(CacheGeneration.value).where(CacheGeneration.name == name)
    ).scalar()
    return int(value or 0)


def bump(name: str) -> None:
    """Raise the generation ``name`` in the current transaction (the caller commits).  The
    row is made at its first use, in a savepoint, so two first uses at once do not fail."""
    raised = db.session.execute(
        update(CacheGeneration)
        .where(CacheGeneration.name == name)
        .values(value=CacheGeneration.value + 1)
    )
    if getattr(raised, "rowcount", 1) != 0:
        return
    try:
        with db.session.begin_nested():
            db.session.add(CacheGeneration(name=name, value=1))
    except IntegrityError:  # made meanwhile by another transaction: raise it
        db.session.execute(
            update(CacheGeneration)
            .where(CacheGeneration.name == name)
            .values(value=CacheGeneration.value + 1)
        )
