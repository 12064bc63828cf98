"""Concurrent submissions: every one stored once, the day's statistics equal to a recount."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Response

from .. import daystats_check
from ..factories import all_responses, make_counter, make_unit, token_of


def test_parallel_submissions_and_double_taps(app: Flask) -> None:
    token = token_of(make_counter(make_unit()))
    errors: list[object] = []

    def kiosk(n: int) -> None:
        client = app.test_client()
        for i in range(20):
            body = {
                "answers": {"A1": 1 + (i % 5), "C2": 4},
                "idempotency_key": f"kiosk{n}-{i // 2:04d}",
            }  # every request sent twice
            resp = client.post(
                "/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            if resp.status_code not in (200, 201):
                errors.append(resp.json)

    threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Response.id))) == 40
    day = all_responses()[0].local_day
    rows = daystats_check.open_day(day)  # as the staff pages read it
    assert len(rows) == 40
    assert sum(1 for row in rows if "C2" in dict(row[6])) == 40
