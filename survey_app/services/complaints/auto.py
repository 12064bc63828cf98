"""Complaints opened by themselves (issue 16, point 5): in a unit with
``units.auto_complaints`` on, a response with a comment and

- an integrity answer (Q5 or Q6 of 2 or 3) opens a conduct complaint (``thai_do``: hidden
  from the counter's staff, as when marked by hand), else
- a low rating (1 or 2 on any satisfaction item) opens a service complaint (``phuc_vu``).

Run by the queue's ``alerts.evaluate`` task for each new response; once per response
(``complaints.response_id`` is unique: a second run, or a comment already marked by hand,
changes nothing). The history's ``danh_dau`` event has no actor and the note ``tu_dong``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import forms
from forms.model import SectionKind
from survey_app.extensions import db
from survey_app.models import Complaint, Response, Unit, User, utcnow
from survey_app.services.complaints.workflow import open_complaint
from survey_app.services.org import audit

LOW = (1, 2)
INTEGRITY_BAD = (2, 3)
AUTO_NOTE = "tu_dong"


def kind_for(response: Response) -> str | None:
    """``thai_do``, ``phuc_vu`` or ``None``: what this response would open (comment aside)."""
    try:
        questionnaire = forms.get(response.questionnaire_id)
    except KeyError:
        return None
    answers = response.answers or {}
    integrity = set(questionnaire.codes_of(SectionKind.INTEGRITY))
    if any(answers.get(c) in INTEGRITY_BAD for c in integrity):
        return "thai_do"
    factors = set(questionnaire.codes_of(SectionKind.FACTOR))
    if any(answers.get(c) in LOW for c in factors):
        return "phuc_vu"
    return None


def open_for(response_id: int, now: datetime | None = None) -> Complaint | None:
    """Open the complaint this response calls for, if its unit wants it; else ``None``."""
    response = db.session.get(Response, response_id)
    if response is None or not (response.comment or "").strip():
        return None
    unit = db.session.get(Unit, response.unit_id)
    if unit is None or not unit.auto_complaints:
        return None
    kind = kind_for(response)
    if kind is None:
        return None
    if db.session.scalar(select(Complaint.id).where(Complaint.response_id == response.id)):
        return None  # once per response (a withdrawn one stays withdrawn)
    complaint = open_complaint(response, kind, None, now or utcnow(), note=AUTO_NOTE)
    try:
        db.session.commit()
    except IntegrityError:  # marked by hand (or by a second run) at the same moment
        db.session.rollback()
        return None
    return complaint


def set_auto(actor: User, unit: Unit, on: bool) -> None:
    """Turn the unit's setting on or off (audited; the page checks who may)."""
    before = {"auto_complaints": unit.auto_complaints}
    unit.auto_complaints = on
    audit.record(actor, "unit.auto_complaints", "unit", unit.id, before, {"auto_complaints": on})
    db.session.commit()
