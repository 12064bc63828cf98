"""`sipas db warm`: packs the closed days and stores the closed half-months (with their
breakdowns) ahead of the pages, so that afterwards no page packs a day or reads an answer."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Response, StatsBucket
from survey_app.services.analytics import halfmonths, scores
from survey_app.services.clock import VN_TZ
from survey_app.services.storage import daystats

from ..factories import make_counter, make_unit, seed_questionnaires


def _add_responses(days_back: range) -> None:
    """Responses stored as submissions store them: no day packed."""
    seed_questionnaires()
    counter = make_counter(make_unit("U1"), "Q1")
    today = scores.today_local()
    for back in days_back:
        day = today - timedelta(days=back)
        for k in range(3):
            moment = datetime.combine(day, time(9, k), VN_TZ).astimezone(UTC)
            db.session.add(
                Response(
                    questionnaire_id="sipas-2024-dv",
                    unit_id=counter.unit_id,
                    counter_id=counter.id,
                    procedure_id=None,
                    target_group="chung",
                    channel=["truc_tiep", None, "truc_tuyen_mot_phan"][k],
                    submitted_at=moment,
                    local_day=day,
                    answers={"A1": 1 + (back + k) % 5},
                    comment=None,
                    source="qr",
                )
            )
    db.session.commit()


def test_warm_packs_days_and_stores_half_months_with_breakdowns(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_responses(range(0, 60, 2))
    today = scores.today_local()
    result = runner.invoke(args=["db", "warm"])
    assert result.exit_code == 0, result.output
    closed = [
        today - timedelta(days=b)
        for b in range(1, 59)  # the first day: 58 back
        if daystats.closed(today - timedelta(days=b))
    ]
    assert daystats.stored_days(closed) == set(closed)  # days without responses too
    assert not daystats.stored_days([today - timedelta(days=59)])
    kinds = {
        d
        for (d,) in db.session.execute(
            select(StatsBucket.dimension).where(StatsBucket.unit_id == 0)
        )
    }
    assert kinds == {"", "channel", "procedure", "verified"}
    assert " ngày đóng gói lần này" in result.output and "channel" in result.output

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a page packed a day or summed a half-month after the warm-up")

    monkeypatch.setattr(daystats, "_compute", refuse)
    monkeypatch.setattr(halfmonths, "_sums_by_unit", refuse)
    start = min(closed)
    for where in ((), (("channel", "truc_tiep"),), (("procedure", ""),)):
        query = scores.Slice(start=start, end=max(closed), by=("unit",), where=where)
        assert scores.score_database(query)
    again = runner.invoke(args=["db", "warm"])  # nothing left to do
    assert again.exit_code == 0 and "(0 ngày đóng gói lần này" in again.output


def test_warm_without_breakdowns_and_bad_range(runner: FlaskCliRunner) -> None:
    _add_responses(range(0, 40, 3))
    result = runner.invoke(args=["db", "warm", "--no-breakdowns"])
    assert result.exit_code == 0, result.output
    kinds = {
        d
        for (d,) in db.session.execute(
            select(StatsBucket.dimension).where(StatsBucket.unit_id == 0)
        )
    }
    assert kinds == {""}
    bad = runner.invoke(args=["db", "warm", "--from", "2026-03-02", "--to", "2026-03-01"])
    assert bad.exit_code == 2 and "--from sau --to" in bad.output
    assert "Traceback" not in bad.output
    odd = runner.invoke(args=["db", "warm", "--from", "2026-13-01"])
    assert odd.exit_code == 2 and "Traceback" not in odd.output
