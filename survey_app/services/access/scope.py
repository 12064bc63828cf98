"""What a user may see: THE scoping function every staff query goes through.

A role held at a unit covers that unit and every unit below it; a role with
``Capability.SEE_ALL_UNITS`` (``admin``) covers everything.
A ``staff`` role limited to a counter covers that counter's responses only (its unit is
visible, so the unit's pages answer, but other counters' responses are filtered out).
Anything outside a user's scope answers 404, never a hint that it exists.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import abort
from sqlalchemy import ColumnElement, false, or_, select, true

from survey_app.extensions import db
from survey_app.models import Response, Unit, User
from survey_app.services.access.capabilities import Capability, can
from survey_app.services.org import subtree_ids


def visible_unit_ids(user: User) -> set[int] | None:
    """Ids of the units the user may see; ``None`` means every unit (an admin)."""
    if can(user, Capability.SEE_ALL_UNITS):
        return None
    whole = [a.unit_id for a in user.roles if a.unit_id is not None and a.counter_id is None]
    by_counter = {
        a.unit_id for a in user.roles if a.unit_id is not None and a.counter_id is not None
    }
    return set(subtree_ids(whole)) | by_counter


def response_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Response` that keeps what the user may see."""
    if can(user, Capability.SEE_ALL_UNITS):
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


def role_unit_ids(user: User, roles: Collection[str]) -> set[int] | None:
    """Units at and below the user's unit-wide assignments of one of ``roles``, never more
    than :func:`visible_unit_ids` allows; ``None`` = every unit (admin)."""
    if can(user, Capability.SEE_ALL_UNITS):
        return None
    roots = [
        a.unit_id
        for a in user.roles
        if a.role in roles and a.unit_id is not None and a.counter_id is None
    ]
    visible = visible_unit_ids(user)
    ids = set(subtree_ids(roots))
    return ids if visible is None else ids & visible


def units_among(ids: set[int] | None) -> list[Unit]:
    """The units with these ids (``None``: all), by code."""
    query = select(Unit).order_by(Unit.code)
    if ids is not None:
        query = query.where(Unit.id.in_(ids))
    return list(db.session.scalars(query))


def unit_among(ids: set[int] | None, code: str) -> Unit:
    """The unit with this code, or 404 when it does not exist or is not among ``ids``."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or (ids is not None and unit.id not in ids):
        abort(404)
    return unit
