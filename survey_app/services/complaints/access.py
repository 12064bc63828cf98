"""Who may see and do what with complaints (see the package's docstring for the rules)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import joinedload

from survey_app.extensions import db
from survey_app.models import Complaint, Response, RoleAssignment, User
from survey_app.models.complaints import STATUSES
from survey_app.services.access.capabilities import Capability, can, roles_with
from survey_app.services.access.scope import response_filter
from survey_app.services.errors import InputError
from survey_app.services.org import subtree_ids

ANSWER_MAX = 2000
WITHDRAWN = "da_rut"
CONDUCT_ROLES = roles_with(Capability.SEE_CONDUCT_COMPLAINTS)
MARK_ROLES = roles_with(Capability.MARK_COMPLAINTS)
HEAD_ROLES = roles_with(Capability.MANAGE_COMPLAINTS)


class ComplaintError(InputError):
    """A step that is not allowed in the complaint's state, or invalid input."""


class NotAllowed(Exception):
    """The user sees the complaint but may not take this step (views answer 403)."""


# --- who may see and do what ----------------------------------------------------------------


def _unit_roots(user: User, roles: Iterable[str]) -> list[int]:
    wanted = set(roles)
    return [
        a.unit_id
        for a in user.roles
        if a.role in wanted and a.unit_id is not None and a.counter_id is None
    ]


def _covers(user: User, roles: Iterable[str], unit_id: int, counter_id: int | None) -> bool:
    """Whether one of ``roles`` held by the user covers this unit (and counter)."""
    wanted = set(roles)
    if unit_id in subtree_ids(_unit_roots(user, wanted)):
        return True
    return counter_id is not None and any(
        a.role in wanted and a.counter_id == counter_id for a in user.roles
    )


def visible_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Complaint` joined to its :class:`Response`."""
    if can(user, Capability.SEE_ALL_UNITS):
        return true()
    conduct_units = subtree_ids(_unit_roots(user, CONDUCT_ROLES))
    conduct = Complaint.unit_id.in_(conduct_units) if conduct_units else false()
    return and_(response_filter(user), or_(Complaint.kind == "phuc_vu", conduct))


def conduct_hidden(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Response`: its comment is a conduct complaint that this user
    may not see (pages that list comments show them without it)."""
    if can(user, Capability.SEE_ALL_UNITS):
        return false()
    conduct_units = subtree_ids(_unit_roots(user, CONDUCT_ROLES))
    marked = (
        select(Complaint.id)
        .where(
            Complaint.response_id == Response.id,
            Complaint.kind == "thai_do",
            Complaint.status != WITHDRAWN,
        )
        .exists()
    )
    if not conduct_units:
        return marked
    return and_(marked, Response.unit_id.not_in(conduct_units))


def _scoped() -> Select[Complaint]:
    return (
        select(Complaint)
        .join(Response, Response.id == Complaint.response_id)
        .options(
            joinedload(Complaint.response).joinedload(Response.unit),
            joinedload(Complaint.response).joinedload(Response.counter),
            joinedload(Complaint.assignee),
        )
    )


def get_visible(user: User, complaint_id: int) -> Complaint | None:
    """The complaint if the user may see it, else ``None`` (the view answers 404)."""
    query = _scoped().where(Complaint.id == complaint_id, visible_filter(user))
    return db.session.scalar(query)


def list_visible(user: User, status: str | None = None, limit: int = 200) -> list[Complaint]:
    if status is not None and status not in STATUSES:
        raise ComplaintError(_l("Trạng thái không hợp lệ."))
    query = _scoped().where(visible_filter(user))
    if status is not None:
        query = query.where(Complaint.status == status)
    else:
        query = query.where(Complaint.status != WITHDRAWN)
    return list(
        db.session.scalars(
            query.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit)
        )
    )


def get_markable_response(user: User, response_id: int) -> Response | None:
    """The response if the user may see it (else ``None``: 404)."""
    return db.session.scalar(
        select(Response).where(Response.id == response_id, response_filter(user))
    )


def may_mark(user: User, response: Response | None = None) -> bool:
    if response is None:
        return can(user, Capability.MARK_COMPLAINTS)
    return _covers(user, MARK_ROLES, response.unit_id, response.counter_id)


def may_manage(user: User, complaint: Complaint) -> bool:
    """Assign, close, reopen: a unit head of the complaint's unit."""
    return _covers(user, HEAD_ROLES, complaint.unit_id, None)


def may_answer(user: User, complaint: Complaint) -> bool:
    return complaint.assignee_id == user.id or may_manage(user, complaint)


def marked(user: User, response_ids: Iterable[int]) -> dict[int, int]:
    """response id → complaint id, for those of ``response_ids`` the user sees as complaints."""
    ids = list(response_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Complaint.response_id, Complaint.id)
        .join(Response, Response.id == Complaint.response_id)
        .where(
            Complaint.response_id.in_(ids),
            Complaint.status != WITHDRAWN,
            visible_filter(user),
        )
    )
    return {r[0]: r[1] for r in rows}


def candidates(complaint: Complaint) -> list[User]:
    """Who may be assigned: active users holding a role in the complaint's unit subtree who
    would see the complaint (for a conduct complaint: unit heads only)."""
    roles = HEAD_ROLES if complaint.kind == "thai_do" else MARK_ROLES
    units = subtree_ids([complaint.unit_id])
    users = db.session.scalars(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.unit_id.in_(units), RoleAssignment.role.in_(roles), User.active.is_(True)
        )
        .options(joinedload(User.roles))
        .order_by(User.username)
    ).unique()
    counter_id = complaint.response.counter_id

    def eligible(user: User) -> bool:  # a role in the subtree from which they see it
        return any(
            a.role in roles
            and a.unit_id in units
            and (
                a.counter_id == counter_id
                if a.counter_id is not None
                else a.unit_id == complaint.unit_id
            )
            for a in user.roles
        )

    return [u for u in users if eligible(u)]
