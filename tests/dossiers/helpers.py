"""Dossiers for the verified/open and privacy tests (issue 13), made with the model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from survey_app.extensions import db
from survey_app.models import Dossier, Response, Unit

CODE = "H15.50.05.13-261008-0975"  # the national shape {agency}-{yyMMdd}-{sequence}


def make_dossier(unit: Unit, code: str = CODE, **kw: Any) -> Dossier:
    """A returned dossier received and resolved at ``unit``."""
    received = kw.pop("received_at", datetime(2026, 10, 8, 2, 0, tzinfo=UTC))
    dossier = Dossier(
        code=code,
        procedure_code=kw.pop("procedure_code", "1.004227"),
        receiving_unit_id=unit.id,
        resolving_unit_id=unit.id,
        channel=kw.pop("channel", "truc_tiep"),
        received_at=received,
        due_date=kw.pop("due_date", date(2026, 10, 20)),
        returned_at=kw.pop("returned_at", received + timedelta(days=5)),
        returned_day=kw.pop("returned_day", date(2026, 10, 13)),
        outcome=kw.pop("outcome", "da_tra"),
        fingerprint=kw.pop("fingerprint", code[-16:]),
        **kw,
    )
    db.session.add(dossier)
    db.session.flush()
    return dossier


def verify(response: Response, dossier: Dossier) -> Response:
    """Make ``response`` a verified one (as the invitation's submit will)."""
    response.dossier_id = dossier.id
    db.session.commit()
    return response
