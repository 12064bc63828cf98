"""Complaints and comments (phản ánh, kiến nghị): a citizen's comment marked for handling.

A complaint is never edited in place without an entry in its history: every step (mark,
assign, answer, close, reopen, withdraw) appends a :class:`ComplaintEvent` in the same transaction
(``services.complaints``); there is no path that updates or deletes an event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.accounts import User
from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.responses import Response

# ``da_rut``: withdrawn — undone by whoever marked it (within SIPAS_COMPLAINT_UNDO_MINUTES) or
# withdrawn by a unit head; kept with its history, left out of lists and handling times, and
# the comment may be marked again (the same row starts over, with a new ``danh_dau`` event).
STATUSES = ("moi", "da_giao", "da_tra_loi", "da_dong", "da_rut")
# ``thai_do``: about the conduct of an official — an integrity signal, never shown to ``staff``.
KINDS = ("phuc_vu", "thai_do")
# ``leo_thang``: escalated by the deadline task (no actor): ``note`` says to whom —
# ``lanh_dao`` (not acknowledged in time: the unit head) or ``van_phong`` (past due: the office).
ACTIONS = ("danh_dau", "giao", "tra_loi", "dong", "mo_lai", "rut", "leo_thang")


class Complaint(Base):
    """A comment (one response's ``comment``) marked as a complaint, and its handling."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="moi")
    kind: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline: the end (Vietnam midnight) of the SIPAS_COMPLAINT_DUE_WORKING_DAYS-th
    # working day after marking (services.complaints.deadlines); answered by then = on time.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    escalated_head_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_office_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    response: Mapped[Response] = relationship()
    assignee: Mapped[User | None] = relationship()
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )

    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
    )


class ComplaintEvent(Base):
    """One step in a complaint's history: who did what, when (append-only)."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    # ``None``: the system (a complaint opened automatically, an escalation).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint(f"action IN {ACTIONS}", name="action"),)
