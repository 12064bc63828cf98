"""Concurrent submissions: every one stored once, counts equal to a recount."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import RESPONDENTS, DailyCount, Response

from ..factories import make_counter, make_unit, token_of


def test_parallel_submissions_and_double_taps(app: Flask) -> None:
    token = token_of(make_counter(make_unit()))
    errors: list[object] = []

    def kiosk(n: int) -> None:
        client = app.test_client()
        for i in range(20):
            body = {"answers": {"A1": 1 + (i % 5), "C2": 4},
                    "idempotency_key": f"kiosk{n}-{i // 2:04d}"}  # every request sent twice
            resp = client.post("/api/v1/responses", json=body,
                               headers={"Authorization": f"Bearer {token}"})
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
    respondents = db.session.scalar(select(func.sum(DailyCount.n))
                                    .where(DailyCount.item == RESPONDENTS))
    assert respondents == 40
    c2 = db.session.scalar(select(func.sum(DailyCount.n)).where(DailyCount.item == "C2"))
    assert c2 == 40
