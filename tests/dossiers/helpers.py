"""Shared data for the dossier tests: a small unit tree and dossier rows."""

from __future__ import annotations

from typing import Any

from survey_app.models import Unit

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
