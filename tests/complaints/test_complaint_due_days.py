"""SIPAS_COMPLAINT_DUE_WORKING_DAYS (formerly SIPAS_COMPLAINT_DUE_DAYS): when an unanswered
complaint counts as overdue — its due date, set when marked, in working days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.config import ConfigurationError
from survey_app.extensions import db
from survey_app.models import Response, utcnow
from survey_app.services import complaints
from survey_app.services.clock import local_day

from ..conftest import make_app
from ..factories import login_as, make_counter, make_unit, make_user


def _mark_days_ago(days: float, head: object, counter: object) -> None:
    at = utcnow() - timedelta(days=days)
    response = Response(
        questionnaire_id="sipas-2024-dv",
        unit_id=counter.unit_id,  # type: ignore
        counter_id=counter.id,
        target_group="chung",  # type: ignore
        submitted_at=at,
        local_day=local_day(at),
        answers={"A1": 2},
        comment="Chờ lâu",
        source="qr",
    )
    db.session.add(response)
    db.session.commit()
    complaints.mark(response, "phuc_vu", head, now=at)  # type: ignore[arg-type]


def test_the_setting_decides_what_is_overdue(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit("U1", "Đơn vị Một"))
    head = make_user("truong", "unit_head", counter.unit)
    assert app.config["COMPLAINT_DUE_WORKING_DAYS"] == 5
    _mark_days_ago(30, head, counter)  # due long ago whatever the setting
    app.config["COMPLAINT_DUE_WORKING_DAYS"] = 100
    _mark_days_ago(29, head, counter)  # due in 100 working days: not yet
    now, start = utcnow(), utcnow() - timedelta(days=60)
    assert complaints.handling_times(head, start, now, now)[0].overdue == 1
    login_as(client, "unit_head", counter.unit, "truong.hai")
    html = client.get("/phan-anh").get_data(as_text=True)
    assert "chưa trả lời sau 100 ngày làm việc" in html
    assert '<td class="num overdue" data-label="Quá hạn">1</td>' in html


def test_the_environment_variable_sets_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("SIPAS_COMPLAINT_DUE_WORKING_DAYS", "14")
    app = make_app(f"sqlite:///{tmp_path}/x.sqlite")
    assert app.config["COMPLAINT_DUE_WORKING_DAYS"] == 14


@pytest.mark.parametrize(
    "name",
    [
        "SIPAS_COMPLAINT_DUE_WORKING_DAYS",
        "SIPAS_COMPLAINT_DUE_DAYS",
        "SIPAS_COMPLAINT_ACK_WORKING_HOURS",
    ],
)
@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5", "true", "", "٣"])
def test_a_bad_value_stops_the_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, value: str, name: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"{name} phải là một số nguyên dương"):
        make_app(f"sqlite:///{tmp_path}/x.sqlite")


def test_the_cli_says_what_is_wrong_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from survey_app.cli import main

    monkeypatch.setenv("SIPAS_COMPLAINT_DUE_DAYS", "0")
    result = CliRunner().invoke(main, ["links"])
    assert result.exit_code == 2
    assert "SIPAS_COMPLAINT_DUE_DAYS phải là một số nguyên dương" in result.output
    assert "Traceback" not in result.output
