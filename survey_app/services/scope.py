"""What a user may see: THE scoping function every staff query goes through.

A role held at a unit covers that unit and every unit below it; ``admin`` covers everything.
A ``staff`` role limited to a counter covers that counter's responses only (its unit is
visible, so the unit's pages answer, but other counters' responses are filtered out).
Anything outside a user's scope answers 404, never a hint that it exists.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, false, or_, true

from ..models import Response, User
from .org import subtree_ids


def visible_unit_ids(user: User) -> set[int] | None:
    """Ids of the units the user may see; ``None`` means every unit (an admin)."""
    if any(a.role == "admin" for a in user.roles):
        return None
    whole = [a.unit_id for a in user.roles if a.unit_id is not None and a.counter_id is None]
    by_counter = {a.unit_id for a in user.roles
                  if a.unit_id is not None and a.counter_id is not None}
    return set(subtree_ids(whole)) | by_counter


def response_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Response` that keeps what the user may see."""
    if any(a.role == "admin" for a in user.roles):
        return true()
    whole = [a.unit_id for a in user.roles if a.unit_id is not None and a.counter_id is None]
    counters = [a.counter_id for a in user.roles if a.counter_id is not None]
    clauses = []
    if whole:
        clauses.append(Response.unit_id.in_(subtree_ids(whole)))
    if counters:
        clauses.append(Response.counter_id.in_(counters))
    return or_(*clauses) if clauses else false()


def require_unit(user: User, unit_id: int) -> None:
    """Abort with 404 when the unit is outside the user's scope."""
    ids = visible_unit_ids(user)
    if ids is not None and unit_id not in ids:
        abort(404)
