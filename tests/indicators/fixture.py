"""The hand-computed fixture of the 766 measures (docs/method.md §12.7), 2025-Q4.

Units P → A (counter Q1, procedure 1.004227 in the catalogue), B. 200 dossiers returned in
the quarter, and 8 that are not counted:

- resolved by A, received at A's counter Q1, procedure 1.004227: 120 — 30 early, 78 on time,
  12 late (6 with an apology letter);
- resolved by B, received at A without a counter, procedure 2.000001 (not in the
  catalogue): 80 — 10 early, 62 on time, 8 late (1 with an apology letter);
- not counted: 5 late dossiers of A returned on 2026-01-02, 3 still open past due.

Verified responses (all answered at A): A's dossiers — 3 marked as complaints (one also a
dislike: counted once), 2 dislikes (mean answer 2 and 1.5), 1 with a mean of exactly 2.5 (not
a dislike), 1 whose complaint was withdrawn (answers 4: not counted); B's dossiers — 3
dislikes (a single answer 2, or 1). A's complaints (unit A): answered after 2 days (on time),
after 9 days (late: due 8 November 00:00, the 5th working day after marking), unanswered
since 2025-11-01 (late once overdue), and the withdrawn one (left out).

Figures:

====== ======== ===== ======= ==== ========= ===== ======= ======== ======= ==========
group  returned early on time late complaint 5.4 % points   lost     apology removed pp
====== ======== ===== ======= ==== ========= ===== ======= ======== ======= ==========
A      120      30    78      12   5         85.8333 5.7222 0.2778  50 %    8.5
B      80       10    62      8    3         86.25 5.75    0.25     12.5 %  5.5
whole  200      40    140     20   8         86    5.7333  0.2667   35 %    14
====== ======== ===== ======= ==== ========= ===== ======= ======== ======= ==========

A: 10 % late, 4.1667 % with a complaint; B: 10 %, 3.75 %; whole: 10 %, 4 %.
5.2 (unit A and the whole): 3 complaints counted, 1 on time → 33.33 %, 2.0 points of 6.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from survey_app.extensions import db
from survey_app.models import Dossier, Procedure, Response
from survey_app.models.complaints import Complaint

from ..factories import make_counter, make_procedure, make_unit

START, END = date(2025, 10, 1), date(2025, 12, 31)
NOON = timedelta(hours=5)  # 12:00 in Vietnam


def _rows(
    prefix: str, unit: Any, resolving: Any, counter: Any, proc: str, kinds: list[tuple[str, bool]]
) -> list[dict[str, Any]]:
    out = []
    for i, (kind, apology) in enumerate(kinds):
        due = date(2025, 10, 10) + timedelta(days=i % 80)
        shift = {"early": -2, "on_time": 0, "late": 3, "next_year": 0, "open": 0}[kind]
        returned = due + timedelta(days=shift)
        if kind == "next_year":
            due, returned = date(2025, 12, 20), date(2026, 1, 2)
        at = datetime.combine(returned, datetime.min.time(), UTC) + NOON
        out.append(
            {
                "code": f"{prefix}-{i:04d}",
                "procedure_code": proc,
                "receiving_unit_id": unit.id,
                "receiving_counter_id": counter.id if counter else None,
                "resolving_unit_id": resolving.id,
                "channel": "truc_tiep",
                "received_at": at - timedelta(days=20),
                "due_date": due,
                "returned_at": None if kind == "open" else at,
                "returned_day": None if kind == "open" else returned,
                "outcome": "dang_xu_ly" if kind == "open" else "da_tra",
                "supplements": 0,
                "apology_sent": apology,
                "fingerprint": "f",
            }
        )
    return out


def build() -> dict[str, Any]:
    """The fixture's data; returns the units and counter."""
    p = make_unit("P", "Tỉnh thử")
    a = make_unit("A", "Trung tâm A", parent=p)
    b = make_unit("B", "Sở B", parent=p)
    q1 = make_counter(a)
    # (the browser tests' world already has this procedure: it is reused)
    proc = db.session.scalar(select(Procedure).where(Procedure.code == "1.004227"))
    proc = proc or make_procedure(a)
    a_kinds = (
        [("early", False)] * 30
        + [("on_time", False)] * 78
        + [("late", True)] * 6
        + [("late", False)] * 6
        + [("next_year", False)] * 5
        + [("open", False)] * 3
    )
    b_kinds = (
        [("early", False)] * 10
        + [("on_time", False)] * 62
        + [("late", True)] * 1
        + [("late", False)] * 7
    )
    rows = _rows("A", a, a, q1, proc.code, a_kinds) + _rows("B", a, b, None, "2.000001", b_kinds)
    db.session.execute(insert(Dossier), rows)
    db.session.commit()
    ids = {code: i for code, i in db.session.execute(select(Dossier.code, Dossier.id))}

    def respond(code: str, answers: dict[str, int]) -> Response:
        at = datetime(2025, 11, 1, 3, 0, tzinfo=UTC)
        response = Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=a.id,
            counter_id=q1.id,
            target_group="chung",
            submitted_at=at,
            local_day=at.date(),
            answers=answers,
            comment="Chờ lâu",
            source="qr",
            dossier_id=ids[code],
        )
        db.session.add(response)
        db.session.flush()
        return response

    def complain(response: Response, status: str, created: datetime, answered: Any) -> None:
        db.session.add(
            Complaint(
                response_id=response.id,
                unit_id=a.id,
                status=status,
                kind="phuc_vu",
                created_at=created,
                answered_at=answered,
                due_at=due,
            )
        )

    marked = datetime(2025, 11, 1, 3, 0, tzinfo=UTC)  # Saturday 10:00 in Vietnam
    # due at the end of the 5th working day after (Monday 3 – Friday 7 November): 8 November
    # 00:00 in Vietnam, as complaints.deadlines sets it when a complaint is marked
    due = datetime(2025, 11, 7, 17, 0, tzinfo=UTC)
    # A: complaints on an early, an on-time and a late dossier; the late one also a dislike
    complain(
        respond("A-0000", {"A1": 4, "A2": 5}), "da_tra_loi", marked, marked + timedelta(days=2)
    )
    complain(respond("A-0030", {"A1": 3}), "da_tra_loi", marked, marked + timedelta(days=9))
    complain(respond("A-0108", {"A1": 1, "A2": 2}), "moi", marked, None)
    respond("A-0001", {"A1": 2, "A2": 2})  # dislike: mean 2
    respond("A-0002", {"A1": 1, "A2": 2})  # dislike: mean 1.5
    respond("A-0003", {"A1": 2, "A2": 3})  # mean 2.5: not a dislike
    complain(respond("A-0004", {"A1": 4}), "da_rut", marked, None)  # withdrawn
    # B: three dislikes
    respond("B-0000", {"A1": 2})
    respond("B-0070", {"A1": 1})
    respond("B-0075", {"A1": 1, "B1": 2, "C1": 3})
    db.session.commit()
    return {"P": p, "A": a, "B": b, "Q1": q1}
