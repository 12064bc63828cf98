"""A hand-counted coverage fixture (issue 14), shared by the CLI, office, staff and report tests.

2026-Q3, all on 2026-08-10 (a closed day), province P → A (counters Q1, Q2), B:

========  ======  =======  ========  ====  =====================================
group     served  invited  verified  open  rate (Wilson 95 %)
========  ======  =======  ========  ====  =====================================
A / Q1       400      380        40    12  10.00 % (7.43–13.33)
A / Q2         0        0         0     5  null (no dossier)
A            400      380        40    17  10.00 % (7.43–13.33): representative
B           1000      500        30    20   3.00 % (2.11–4.25): not representative
P           1400      880        70    37   5.00 % (3.98–6.27)
========  ======  =======  ========  ====  =====================================

Not counted: a dossier of A still open (no return day) and one returned in 2026-Q4; a verified
response's dossier counts where it was received, whatever day it was answered.

Today, at A / Q1: 10 dossiers returned, 3 answered, 2 open responses: 30.00 % (10.78–60.32).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert

from survey_app.extensions import db
from survey_app.models import Counter, Dossier, Invitation, Unit
from survey_app.services.clock import VN_TZ
from survey_app.services.storage import bulkload

from .factories import make_counter, make_unit, seed_questionnaires

DAY = date(2026, 8, 10)
PERIOD = "2026-Q3"
# Wilson 95 %: centre (p + z²/2n)/(1 + z²/n), half-width z·√(p(1−p)/n + z²/4n²)/(1 + z²/n),
# z = 1.959964; e.g. 30/1000: centre 0.031877, half-width 0.010705 → 2.11–4.25 %.
WILSON = {  # (answered, served) → (low, high) in percent, to two decimals
    (40, 400): (7.43, 13.33),
    (30, 1000): (2.11, 4.25),
    (70, 1400): (3.98, 6.27),
    (3, 10): (10.78, 60.32),
}


def _dossiers(
    unit: Unit,
    counter: Counter | None,
    n: int,
    invited: int,
    day: date | None,
    first: int,
) -> list[int]:
    """``n`` dossiers received at ``unit``/``counter``, returned on ``day`` (None: open), the
    first ``invited`` of them invited; returns their ids."""
    moment = (
        datetime.combine(day, time(10, 0), VN_TZ).astimezone(UTC)
        if day
        else datetime(2026, 8, 1, tzinfo=UTC)
    )
    rows = [
        {
            "id": first + k,
            "code": f"H15.50.05.13-260810-{first + k:05d}",
            "procedure_code": "1.000001",
            "procedure_id": None,
            "receiving_unit_id": unit.id,
            "receiving_counter_id": counter.id if counter else None,
            "resolving_unit_id": unit.id,
            "channel": "truc_tiep",
            "received_at": moment - timedelta(days=3),
            "due_date": (day or DAY) + timedelta(days=5),
            "returned_at": moment if day else None,
            "returned_day": day,
            "outcome": "da_tra" if day else "dang_xu_ly",
            "supplements": 0,
            "apology_sent": False,
            "fingerprint": "x",
        }
        for k in range(n)
    ]
    db.session.execute(insert(Dossier), rows)
    if invited:
        db.session.execute(
            insert(Invitation),
            [
                {
                    "dossier_id": first + k,
                    "token": f"T{first + k:09d}",
                    "expires_at": moment + timedelta(days=30),
                }
                for k in range(invited)
            ],
        )
    return [first + k for k in range(n)]


def _responses(
    unit: Unit, counter: Counter | None, day: date, dossier_ids: list[int | None]
) -> list[dict[str, Any]]:
    return [
        {
            "questionnaire_id": "sipas-2024-dv",
            "unit_id": unit.id,
            "counter_id": counter.id if counter else None,
            "procedure_id": None,
            "target_group": "chung",
            "channel": "truc_tiep",
            "submitted_at": datetime.combine(day, time(9, k % 60), VN_TZ).astimezone(UTC),
            "local_day": day,
            "answers": {"A1": 4 + k % 2, "C1": 5, "D1": 4},
            "comment": None,
            "source": "qr",
            "idempotency_key": None,
            "receipt_hash": None,
            "dossier_id": dossier_id,
        }
        for k, dossier_id in enumerate(dossier_ids)
    ]


def build(today: date | None = None) -> dict[str, Any]:
    """The tree, dossiers and responses of the table above (and today's at A / Q1)."""
    seed_questionnaires()
    p = make_unit("P", "Tỉnh Thử")
    a = make_unit("A", "Trung tâm A", parent=p)
    b = make_unit("B", "Trung tâm B", parent=p)
    q1, q2 = make_counter(a, "Q1", "Quầy số 1"), make_counter(a, "Q2", "Quầy số 2")
    qb = make_counter(b, "Q1", "Quầy B")
    a_ids = _dossiers(a, q1, 400, 380, DAY, 1)
    b_ids = _dossiers(b, qb, 1000, 500, DAY, 1001)
    _dossiers(a, q1, 1, 1, None, 3001)  # still open: not served
    _dossiers(a, q1, 1, 1, date(2026, 10, 5), 3002)  # returned in Q4
    rows = (
        _responses(a, q1, DAY, [*a_ids[:40], *([None] * 12)])
        + _responses(a, q2, DAY, [None] * 5)
        + _responses(b, qb, DAY, [*b_ids[:30], *([None] * 20)])
    )
    if today is not None:
        t_ids = _dossiers(a, q1, 10, 10, today, 4001)
        rows += _responses(a, q1, today, [*t_ids[:3], None, None])
    db.session.commit()
    bulkload.insert_responses(rows)
    db.session.commit()
    return {"P": p, "A": a, "B": b, "Q1": q1, "Q2": q2}
