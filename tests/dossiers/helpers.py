"""Shared data for the dossier tests: a small unit tree, dossier rows (ingest) and dossiers
made with the model (verified/open and privacy tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from survey_app.extensions import db
from survey_app.models import Dossier, Response, Unit

from ..factories import make_counter, make_procedure, make_unit


def tree() -> dict[str, Unit]:
    """P → A (counter Q1, procedure 1.004227), B; and OUT beside P."""
    root = make_unit("P", "Tỉnh thử")
    a = make_unit("A", "Trung tâm A", parent=root)
    b = make_unit("B", "Sở B", parent=root)
    out = make_unit("OUT", "Nơi khác")
    make_counter(a)
    make_procedure(a)
    return {"P": root, "A": a, "B": b, "OUT": out}


def dossier(n: int = 1, **changes: Any) -> dict[str, Any]:
    """One valid dossier row (received at A, resolved by B, returned on time)."""
    row: dict[str, Any] = {
        "code": f"H15.50.05.13-261008-{n:04d}",
        "procedure_code": "1.004227",
        "receiving_unit": "A",
        "receiving_counter": "Q1",
        "resolving_unit": "B",
        "channel": "truc_tiep",
        "received_at": "2026-10-08T08:30:00",
        "due_date": "2026-10-22",
        "returned_at": "2026-10-20T15:00:00+07:00",
        "outcome": "da_tra",
        "supplements": 0,
        "apology_sent": False,
    }
    row.update(changes)
    return row


CODE = "H15.50.05.13-260917-0975"  # the national shape {agency}-{yyMMdd}-{sequence}


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
