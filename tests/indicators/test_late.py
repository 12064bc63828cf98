"""Late against on time (issue 14, part 3): ``sipas score --by late`` and
:func:`survey_app.services.indicators.late.late_gaps`, hand-computed.

Unit A, November 2025, verified responses answering only A1 (satisfied: 4 or 5), so SIPAS =
factor A = the share satisfied:

- dossiers late: answers 4, 2, 2, 2 → 25 %;
- dossiers early or on time: 5, 4, 4, 2 → 75 % (one early, three on the due day);
- one open response (no dossier, answer 1): in neither group.

Late − on time = −50 points.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, select

from survey_app.extensions import db
from survey_app.models import Dossier, Response
from survey_app.services.indicators.late import late_gaps

from ..factories import make_counter, make_unit

DAY = date(2025, 11, 10)


def _build() -> None:
    a = make_unit("A", "Trung tâm A")
    q1 = make_counter(a)
    rows = []
    plan = [("late", 4), ("late", 2), ("late", 2), ("late", 2)]
    plan += [("early", 5), ("on_time", 4), ("on_time", 4), ("on_time", 2)]
    for i, (kind, _answer) in enumerate(plan):
        due = DAY
        returned = due + timedelta(days={"late": 2, "early": -1, "on_time": 0}[kind])
        at = datetime.combine(returned, datetime.min.time(), UTC) + timedelta(hours=3)
        rows.append(
            {
                "code": f"T-{i}",
                "procedure_code": "1.000001",
                "receiving_unit_id": a.id,
                "receiving_counter_id": q1.id,
                "resolving_unit_id": a.id,
                "channel": "truc_tiep",
                "received_at": at - timedelta(days=9),
                "due_date": due,
                "returned_at": at,
                "returned_day": returned,
                "outcome": "da_tra",
                "supplements": 0,
                "apology_sent": False,
                "fingerprint": "f",
            }
        )
    db.session.execute(insert(Dossier), rows)
    ids = dict(db.session.execute(select(Dossier.code, Dossier.id)).all())
    moment = datetime(2025, 11, 15, 3, 0, tzinfo=UTC)
    for i, (_kind, answer) in enumerate([*plan, ("open", 1)]):
        db.session.add(
            Response(
                questionnaire_id="sipas-2024-dv",
                unit_id=a.id,
                counter_id=q1.id,
                target_group="chung",
                submitted_at=moment,
                local_day=moment.date(),
                answers={"A1": answer},
                source="invitation" if i < len(plan) else "qr",
                dossier_id=ids.get(f"T-{i}"),
            )
        )
    db.session.commit()


def test_score_by_late(app: Flask, runner: FlaskCliRunner) -> None:
    _build()
    result = runner.invoke(
        args=["score", "--period", "2025-11", "--by", "unit,late", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    groups = {g["group"]["late"]: g for g in json.loads(result.output)}
    assert set(groups) == {"tre_han", "dung_han"}  # the open response is in neither
    assert groups["tre_han"]["n"] == 4 and groups["dung_han"]["n"] == 4
    assert groups["tre_han"]["sipas"]["index"] == pytest.approx(25.0)
    assert groups["dung_han"]["sipas"]["index"] == pytest.approx(75.0)
    table = runner.invoke(args=["score", "--period", "2025-11", "--by", "late"])
    assert table.exit_code == 0, table.output
    assert "tre_han" in table.output and "dung_han" in table.output


def test_by_late_refuses_open_responses_and_files(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["score", "--period", "2025-11", "--by", "late", "--responses", "open"]
    )
    assert result.exit_code == 2 and "--by late" in result.output


def test_late_gaps(app: Flask) -> None:
    _build()
    whole, unit = late_gaps(date(2025, 11, 1), date(2025, 11, 30))
    for gap in (whole, unit):
        assert gap.late is not None and gap.on_time is not None
        assert gap.late.sipas.index == pytest.approx(25.0)
        assert gap.on_time.sipas.index == pytest.approx(75.0)
        assert gap.sipas.difference == pytest.approx(-50.0)
        assert gap.sipas.ci_low is not None and gap.sipas.ci_high is not None
        assert gap.sipas.ci_low < -50.0 < gap.sipas.ci_high
        assert gap.factors["A"].difference == pytest.approx(-50.0)
    assert (whole.unit, unit.unit) == ("", "A")
    assert unit.as_dict()["sipas_difference"]["difference"] == pytest.approx(-50.0)


def test_indicators_late_option(app: Flask, runner: FlaskCliRunner) -> None:
    _build()
    result = runner.invoke(args=["indicators", "--period", "2025-11", "--late", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("unit,n_tre_han,sipas_tre_han")
    whole, unit = (line.split(",") for line in lines[1:])
    assert whole[:5] == ["*", "4", "25.0000", "4", "75.0000"] and whole[5] == "-50.0000"
    assert unit[0] == "A"
    table = runner.invoke(args=["indicators", "--period", "2025-11", "--late"])
    assert table.exit_code == 0, table.output
    assert "-50.0" in table.output
