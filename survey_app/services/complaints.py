"""Complaints (phản ánh, kiến nghị): marking, assigning, answering, closing, and handling times.

Every step changes the complaint and appends a :class:`ComplaintEvent` in one transaction
(committed here); events are never updated or deleted.  A wrong step raises
:class:`ComplaintError` (a ``ValueError`` with a Vietnamese message; views answer 400).

Who may do what (the roles of ``access.capabilities``; a role "covers" a unit when held at it
or at a unit above it):

- see: complaints whose response the user may see (``scope.response_filter``); a conduct
  complaint (``thai_do``) only with a ``unit_head``, ``office`` or ``inspector`` role covering its
  unit, or ``admin`` — never with ``staff`` alone;
- mark: ``staff`` or ``unit_head`` covering the response (a counter-limited ``staff`` role: that
  counter's responses);
- assign, close, reopen: ``unit_head`` covering the complaint's unit;
- answer: the assignee or such a ``unit_head``;
- withdraw (status ``da_rut``): whoever marked it, within ``SIPAS_COMPLAINT_UNDO_MINUTES`` of
  marking and while nobody has taken it up (status ``moi``) — "undo"; or a ``unit_head``
  covering its unit while it has no answer (``moi``, ``da_giao``).  A withdrawn complaint keeps
  its history (the ``rut`` event: who, when, why), drops out of the lists and handling times,
  and its comment may be marked again (the same row starts over as ``moi``).

Why this module is long: who may see and do what, the steps of one complaint's life (mark,
assign, answer, close, reopen, withdraw) and its handling times read the same scope rules and
the same states; split apart, each part would import the others' private helpers.

Handling times (SIPAS factor E): hours from marking to the answer and to the close, median and
90th percentile (linear interpolation between order statistics, ``numpy.percentile``'s default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import joinedload

from survey_app.extensions import db
from survey_app.models import (
    Complaint,
    ComplaintEvent,
    Dossier,
    Response,
    RoleAssignment,
    Unit,
    User,
    utcnow,
)
from survey_app.models.complaints import KINDS, STATUSES
from survey_app.services.access.capabilities import Capability, can, roles_with
from survey_app.services.access.scope import response_filter
from survey_app.services.org import audit, subtree_ids
from survey_app.services.text import clean as clean_text

ANSWER_MAX = 2000
WITHDRAWN = "da_rut"
CONDUCT_ROLES = roles_with(Capability.SEE_CONDUCT_COMPLAINTS)
MARK_ROLES = roles_with(Capability.MARK_COMPLAINTS)
HEAD_ROLES = roles_with(Capability.MANAGE_COMPLAINTS)


class ComplaintError(ValueError):
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


# --- the steps ------------------------------------------------------------------------------


def _event(complaint: Complaint, actor: User, action: str, note: str | None, at: datetime) -> None:
    db.session.add(
        ComplaintEvent(complaint=complaint, actor_id=actor.id, at=at, action=action, note=note)
    )


def mark(response: Response, kind: str, actor: User, *, now: datetime | None = None) -> Complaint:
    """Mark a response's comment as a complaint (state ``moi``)."""
    if not may_mark(actor, response):
        raise NotAllowed
    if kind not in KINDS:
        raise ComplaintError(_l("Loại phản ánh không hợp lệ."))
    if not (response.comment or "").strip():
        raise ComplaintError(_l("Phản hồi này không có góp ý để đánh dấu."))
    existing = db.session.scalar(select(Complaint).where(Complaint.response_id == response.id))
    if existing is not None and existing.status != WITHDRAWN:
        raise ComplaintError(_l("Góp ý này đã được đánh dấu là phản ánh."))
    at = now or utcnow()
    if existing is None:
        complaint = Complaint(
            response=response, unit_id=response.unit_id, kind=kind, status="moi", created_at=at
        )
        db.session.add(complaint)
    else:  # marked again after a withdrawal: the same row starts over, its history kept
        complaint = existing
        complaint.kind, complaint.status, complaint.created_at = kind, "moi", at
        complaint.assignee_id = complaint.answer = None
        complaint.assigned_at = complaint.answered_at = complaint.closed_at = None
    _event(complaint, actor, "danh_dau", None, at)
    db.session.commit()
    return complaint


def assign(complaint: Complaint, user: User, actor: User, *, now: datetime | None = None) -> None:
    """Give the complaint to ``user`` (from ``moi`` or, to reassign, ``da_giao``)."""
    if not may_manage(actor, complaint):
        raise NotAllowed
    if complaint.status not in ("moi", "da_giao"):
        raise ComplaintError(_l("Chỉ giao được phản ánh mới hoặc đang xử lý."))
    if user.id not in {c.id for c in candidates(complaint)}:
        raise ComplaintError(_l("Người được giao phải là cán bộ của đơn vị có phản ánh."))
    at = now or utcnow()
    complaint.assignee_id = user.id
    complaint.assigned_at = at
    complaint.status = "da_giao"
    _event(complaint, actor, "giao", user.username, at)
    db.session.commit()


def answer(complaint: Complaint, text: str, actor: User, *, now: datetime | None = None) -> None:
    """Record the answer to the citizen (from ``moi`` or ``da_giao``)."""
    if not may_answer(actor, complaint):
        raise NotAllowed
    if complaint.status not in ("moi", "da_giao"):
        raise ComplaintError(_l("Phản ánh này đã được trả lời hoặc đã đóng."))
    text = clean_text(text or "").strip()
    if not text:
        raise ComplaintError(_l("Vui lòng nhập nội dung trả lời."))
    if len(text) > ANSWER_MAX:
        raise ComplaintError(_l("Nội dung trả lời dài quá %(n)d ký tự.", n=ANSWER_MAX))
    at = now or utcnow()
    complaint.answer = text
    complaint.answered_at = at
    complaint.status = "da_tra_loi"
    _event(complaint, actor, "tra_loi", text, at)
    db.session.commit()


def close(complaint: Complaint, actor: User, *, now: datetime | None = None) -> None:
    """Close an answered complaint."""
    if not may_manage(actor, complaint):
        raise NotAllowed
    if complaint.status != "da_tra_loi":
        raise ComplaintError(_l("Chỉ đóng được phản ánh đã có trả lời."))
    at = now or utcnow()
    complaint.closed_at = at
    complaint.status = "da_dong"
    _event(complaint, actor, "dong", None, at)
    db.session.commit()


def reopen(
    complaint: Complaint, actor: User, note: str | None = None, *, now: datetime | None = None
) -> None:
    """Reopen a closed complaint: back to its assignee (or new); it needs a new answer."""
    if not may_manage(actor, complaint):
        raise NotAllowed
    if complaint.status != "da_dong":
        raise ComplaintError(_l("Chỉ mở lại được phản ánh đã đóng."))
    note = clean_text(note or "").strip() or None
    if note is not None and len(note) > ANSWER_MAX:
        raise ComplaintError(_l("Lý do mở lại dài quá %(n)d ký tự.", n=ANSWER_MAX))
    at = now or utcnow()
    complaint.status = "da_giao" if complaint.assignee_id is not None else "moi"
    complaint.answered_at = None
    complaint.closed_at = None
    _event(complaint, actor, "mo_lai", note, at)
    db.session.commit()


def undo_minutes_setting() -> int:
    """Minutes during which the marker may undo a mark (``SIPAS_COMPLAINT_UNDO_MINUTES``)."""
    return int(current_app.config["COMPLAINT_UNDO_MINUTES"])


def _marker_id(complaint: Complaint) -> int | None:
    """Who marked it (the last ``danh_dau``: a comment marked again has a new marker)."""
    return db.session.scalar(
        select(ComplaintEvent.actor_id)
        .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "danh_dau")
        .order_by(ComplaintEvent.id.desc())
        .limit(1)
    )


def undo_until(user: User, complaint: Complaint) -> datetime | None:
    """Until when ``user`` may undo their own mark (``None``: they may not): they marked it,
    nobody has taken it up yet, and the undo window is still open."""
    if complaint.status != "moi" or _marker_id(complaint) != user.id:
        return None
    return complaint.created_at + timedelta(minutes=undo_minutes_setting())


def may_undo(user: User, complaint: Complaint, now: datetime | None = None) -> bool:
    until = undo_until(user, complaint)
    return until is not None and (now or utcnow()) <= until


def may_withdraw(user: User, complaint: Complaint) -> bool:
    """A unit head of the complaint's unit, while the complaint has no answer."""
    return complaint.status in ("moi", "da_giao") and may_manage(user, complaint)


def withdraw(
    complaint: Complaint, actor: User, note: str | None = None, *, now: datetime | None = None
) -> None:
    """Withdraw the complaint (status ``da_rut``, event ``rut``): the marker's undo within the
    window, or a unit head's withdrawal (see the module's docstring)."""
    at = now or utcnow()
    if complaint.status == WITHDRAWN:
        raise ComplaintError(_l("Phản ánh này đã được rút lại."))
    if not (may_undo(actor, complaint, at) or may_withdraw(actor, complaint)):
        if may_manage(actor, complaint):
            raise ComplaintError(_l("Không rút lại được phản ánh đã có trả lời hoặc đã đóng."))
        if undo_until(actor, complaint) is not None or _marker_id(complaint) == actor.id:
            raise ComplaintError(
                _l(
                    "Đã quá thời gian huỷ đánh dấu (%(n)d phút) hoặc phản ánh đã được xử lý: "
                    "hãy nhờ lãnh đạo bộ phận rút lại.",
                    n=undo_minutes_setting(),
                )
            )
        raise NotAllowed
    note = (note or "").strip() or None
    if note is not None and len(note) > ANSWER_MAX:
        raise ComplaintError(_l("Lý do rút lại dài quá %(n)d ký tự.", n=ANSWER_MAX))
    complaint.status = WITHDRAWN
    _event(complaint, actor, "rut", note, at)
    db.session.commit()


def history(complaint: Complaint) -> list[ComplaintEvent]:
    return list(
        db.session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .options(joinedload(ComplaintEvent.actor))
            .order_by(ComplaintEvent.id)
        )
    )


# --- handling times (factor E) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HandlingTimes:
    """One unit's handling of the complaints marked in ``[start, end)``; hours, or ``None``."""

    unit_id: int
    unit_name: str
    total: int
    open: int  # not closed
    overdue: int  # unanswered and older than the COMPLAINT_DUE_DAYS setting
    answer_median: float | None
    answer_p90: float | None
    close_median: float | None
    close_p90: float | None


def due_days_setting() -> int:
    """Days after which an unanswered complaint is overdue (``SIPAS_COMPLAINT_DUE_DAYS``)."""
    return int(current_app.config["COMPLAINT_DUE_DAYS"])


def _hours(pairs: list[tuple[datetime, datetime]]) -> tuple[float | None, float | None]:
    if not pairs:
        return None, None
    values = sorted((b - a).total_seconds() / 3600 for a, b in pairs)
    return _percentile(values, 0.5), _percentile(values, 0.9)


def handling_times(
    user: User,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    due_days: int | None = None,
) -> list[HandlingTimes]:
    """Per unit, over the complaints the user sees that were marked in ``[start, end)``;
    overdue after ``due_days`` (default: the ``COMPLAINT_DUE_DAYS`` setting)."""
    now = now or utcnow()
    if due_days is None:
        due_days = due_days_setting()
    rows = db.session.execute(
        select(
            Complaint.unit_id,
            Unit.name,
            Complaint.status,
            Complaint.created_at,
            Complaint.answered_at,
            Complaint.closed_at,
        )
        .join(Response, Response.id == Complaint.response_id)
        .join(Unit, Unit.id == Complaint.unit_id)
        .where(
            visible_filter(user),
            Complaint.status != WITHDRAWN,
            Complaint.created_at >= start,
            Complaint.created_at < end,
        )
        .order_by(Unit.name, Complaint.unit_id)
    ).all()
    units: dict[int, list[Any]] = {}
    for r in rows:
        units.setdefault(r.unit_id, []).append(r)
    due = timedelta(days=due_days)
    out = []
    for unit_id, items in units.items():
        a_med, a_p90 = _hours([(r.created_at, r.answered_at) for r in items if r.answered_at])
        c_med, c_p90 = _hours([(r.created_at, r.closed_at) for r in items if r.closed_at])
        out.append(
            HandlingTimes(
                unit_id=unit_id,
                unit_name=items[0].name,
                total=len(items),
                open=sum(1 for r in items if r.status != "da_dong"),
                overdue=sum(
                    1
                    for r in items
                    if r.status != "da_dong" and r.answered_at is None and now - r.created_at > due
                ),
                answer_median=a_med,
                answer_p90=a_p90,
                close_median=c_med,
                close_p90=c_p90,
            )
        )
    return out


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), of sorted ``values``."""
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


# --- the dossier behind a verified response (issue 13) ---------------------------------------


@dataclass(frozen=True)
class DossierLink:
    """What the handler of a complaint on a verified response sees of its dossier: the code
    and where and when it was received — to call back or send the apology letter.  Never an
    answer: integrity answers (Q5, Q6) are not on the complaint page at all."""

    code: str
    procedure_code: str
    receiving_unit: str
    receiving_counter: str | None
    received_at: datetime
    due_date: Any
    returned_at: datetime | None


def may_see_dossier(user: User, complaint: Complaint) -> bool:
    """Whether ``user`` handles ``complaint`` in a way that needs its dossier: a unit head
    covering its unit (who assigns, answers and closes it), or — for a conduct complaint —
    an inspector covering it too.  A ``staff`` role never gives it, even to the assignee."""
    if not can(user, Capability.SEE_DOSSIER_LINK):
        return False
    roles = set(roles_with(Capability.SEE_DOSSIER_LINK))
    if complaint.kind != "thai_do":
        roles &= set(HEAD_ROLES)
    return _covers(user, roles, complaint.unit_id, None)


def dossier_link(user: User, complaint: Complaint) -> DossierLink | None:
    """The dossier of ``complaint``'s response when it is verified and ``user`` may see it
    (:func:`may_see_dossier`); each such view adds a ``dossier.view`` audit entry
    (committed here).  ``None`` otherwise, and nothing is logged."""
    dossier_id = complaint.response.dossier_id
    if dossier_id is None or not may_see_dossier(user, complaint):
        return None
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None:
        return None
    audit.record(
        user,
        "dossier.view",
        "dossier",
        dossier.id,
        None,
        {"complaint": complaint.id},  # the code itself stays out of the log
    )
    db.session.commit()
    return DossierLink(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        receiving_unit=dossier.receiving_unit.name,
        receiving_counter=dossier.receiving_counter.name if dossier.receiving_counter else None,
        received_at=dossier.received_at,
        due_date=dossier.due_date,
        returned_at=dossier.returned_at,
    )
