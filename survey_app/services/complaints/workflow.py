"""The steps of one complaint's life: mark, assign, answer, close, reopen, withdraw.

Each step changes the complaint and appends a :class:`ComplaintEvent` in one transaction
(committed here). Marking sets the deadline (:func:`.deadlines.due_at_for`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey_app.extensions import db
from survey_app.models import Complaint, ComplaintEvent, Response, User, utcnow
from survey_app.models.complaints import KINDS
from survey_app.services.complaints.access import (
    ANSWER_MAX,
    WITHDRAWN,
    ComplaintError,
    NotAllowed,
    candidates,
    may_answer,
    may_manage,
    may_mark,
)
from survey_app.services.complaints.deadlines import due_at_for
from survey_app.services.text import clean as clean_text


def _event(
    complaint: Complaint, actor: User | None, action: str, note: str | None, at: datetime
) -> None:
    db.session.add(
        ComplaintEvent(
            complaint=complaint,
            actor_id=actor.id if actor is not None else None,
            at=at,
            action=action,
            note=note,
        )
    )


def open_complaint(
    response: Response, kind: str, actor: User | None, at: datetime, note: str | None = None
) -> Complaint:
    """Mark without the checks of who may (the caller checked): a new row, or the withdrawn
    row started over; its deadline set. Not committed."""
    existing = db.session.scalar(select(Complaint).where(Complaint.response_id == response.id))
    if existing is not None and existing.status != WITHDRAWN:
        raise ComplaintError(_l("Góp ý này đã được đánh dấu là phản ánh."))
    due = due_at_for(response.unit_id, at)
    if existing is None:
        complaint = Complaint(
            response=response,
            unit_id=response.unit_id,
            kind=kind,
            status="moi",
            created_at=at,
            due_at=due,
        )
        db.session.add(complaint)
    else:  # marked again after a withdrawal: the same row starts over, its history kept
        complaint = existing
        complaint.kind, complaint.status, complaint.created_at = kind, "moi", at
        complaint.assignee_id = complaint.answer = None
        complaint.assigned_at = complaint.answered_at = complaint.closed_at = None
        complaint.due_at = due
        complaint.escalated_head_at = complaint.escalated_office_at = None
    _event(complaint, actor, "danh_dau", note, at)
    return complaint


def mark(response: Response, kind: str, actor: User, *, now: datetime | None = None) -> Complaint:
    """Mark a response's comment as a complaint (state ``moi``)."""
    if not may_mark(actor, response):
        raise NotAllowed
    if kind not in KINDS:
        raise ComplaintError(_l("Loại phản ánh không hợp lệ."))
    if not (response.comment or "").strip():
        raise ComplaintError(_l("Phản hồi này không có góp ý để đánh dấu."))
    complaint = open_complaint(response, kind, actor, now or utcnow())
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
