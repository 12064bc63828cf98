"""The dossier behind a verified response, for whoever handles a complaint on it (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from survey_app.extensions import db
from survey_app.models import Complaint, Dossier, User
from survey_app.services.access.capabilities import Capability, can, roles_with
from survey_app.services.complaints.access import HEAD_ROLES, _covers
from survey_app.services.org import audit


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
