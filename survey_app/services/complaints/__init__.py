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

The package, by job: :mod:`.access` (who may see and do what), :mod:`.workflow` (the steps),
:mod:`.deadlines` (due dates in working days, escalation), :mod:`.auto` (complaints opened by
themselves), :mod:`.times` (handling times, SIPAS factor E), :mod:`.stats` (the share answered
on time, indicator 5.2) and :mod:`.dossier` (the dossier behind a verified response). Every
public name is importable from here.
"""

from __future__ import annotations

from survey_app.services.complaints.access import (
    ANSWER_MAX,
    CONDUCT_ROLES,
    HEAD_ROLES,
    MARK_ROLES,
    WITHDRAWN,
    ComplaintError,
    NotAllowed,
    candidates,
    conduct_hidden,
    get_markable_response,
    get_visible,
    list_visible,
    marked,
    may_answer,
    may_manage,
    may_mark,
    visible_filter,
)
from survey_app.services.complaints.auto import kind_for, open_for, set_auto
from survey_app.services.complaints.deadlines import (
    ESCALATE,
    Escalated,
    ack_working_hours,
    due_at_for,
    due_working_days,
    escalate,
)
from survey_app.services.complaints.dossier import DossierLink, dossier_link, may_see_dossier
from survey_app.services.complaints.stats import OnTime, on_time, on_time_for
from survey_app.services.complaints.times import HandlingTimes, due_days_setting, handling_times
from survey_app.services.complaints.workflow import (
    answer,
    assign,
    close,
    history,
    mark,
    may_undo,
    may_withdraw,
    open_complaint,
    reopen,
    undo_minutes_setting,
    undo_until,
    withdraw,
)

__all__ = [
    "ANSWER_MAX",
    "CONDUCT_ROLES",
    "ESCALATE",
    "HEAD_ROLES",
    "MARK_ROLES",
    "WITHDRAWN",
    "ComplaintError",
    "DossierLink",
    "Escalated",
    "HandlingTimes",
    "NotAllowed",
    "OnTime",
    "ack_working_hours",
    "answer",
    "assign",
    "candidates",
    "close",
    "conduct_hidden",
    "dossier_link",
    "due_at_for",
    "due_days_setting",
    "due_working_days",
    "escalate",
    "get_markable_response",
    "get_visible",
    "handling_times",
    "history",
    "kind_for",
    "list_visible",
    "mark",
    "marked",
    "may_answer",
    "may_manage",
    "may_mark",
    "may_see_dossier",
    "may_undo",
    "may_withdraw",
    "on_time",
    "on_time_for",
    "open_complaint",
    "open_for",
    "reopen",
    "set_auto",
    "undo_minutes_setting",
    "undo_until",
    "visible_filter",
    "withdraw",
]
