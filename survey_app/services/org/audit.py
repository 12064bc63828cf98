"""The audit log: append an entry in the caller's transaction; read it newest first.

There is deliberately no function here that updates or deletes an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from survey_app.extensions import db
from survey_app.models import AuditEntry, User

PAGE_SIZE = 50
TOKEN_PREFIX = 6  # the log keeps only this many characters of a counter token


def token_prefix(token: str | None) -> str | None:
    return None if token is None else token[:TOKEN_PREFIX]


def record(
    actor: User,
    action: str,
    target_type: str,
    target_id: str | int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Add an entry to the session (the caller commits it together with the change)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    number: int
    pages: int
    total: int


def page(number: int) -> Page:
    """One page of the log, newest first; ``number`` is clamped to the pages that exist."""
    total = db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages)
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .options(joinedload(AuditEntry.actor))
            .order_by(AuditEntry.id.desc())
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return Page(entries, number, pages, total)
