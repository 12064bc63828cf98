"""Today's response rate at my counter on the staff home (issue 14; the figures:
tests/coverage_data.py — today at A / Q1: 10 returned, 10 invited, 3 answered, 2 open)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.models import utcnow
from survey_app.services import accounts
from survey_app.services.analytics import coverage
from survey_app.services.clock import local_day

from .. import coverage_data
from ..factories import PASSWORD, login


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    coverage.clear_cache()
    return coverage_data.build(today=local_day(utcnow()))


def _sign_in(client: FlaskClient, username: str, unit: str, counter: str = "") -> None:
    accounts.create_user(username, PASSWORD, "staff", unit, must_change=False, counter_code=counter)
    assert login(client, username).status_code == 303


def test_todays_rate_at_my_counter(world: dict[str, Any], client: FlaskClient) -> None:
    _sign_in(client, "nv.quay1", "A", "Q1")
    html = client.get("/nhan-vien").get_data(as_text=True)
    line = re.search(r'<p class="coverage" id="coverage">(.*?)</p>', html, re.S)
    assert line is not None
    text = " ".join(line.group(1).split())
    # 3 / 10 = 30 %, Wilson 95 % 10.78–60.32 %
    assert "3 trên 10 hồ sơ" in text
    assert "30,0 %" in text and "10,8–60,3 %" in text
    assert "đã gửi lời mời 10" in text and "phản hồi mở 2" in text
    assert "chưa đại diện" in text  # 3 verified responses: under the minimum n
    row = re.search(r"<tr><td>Trung tâm A</td><td>Quầy số 1</td>(.*?)</tr>", html, re.S)
    assert row is not None and "30,0 % (3/10)" in row.group(1)


def test_no_dossier_returned_today_no_rate(world: dict[str, Any], client: FlaskClient) -> None:
    _sign_in(client, "nv.b", "B")
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert 'id="coverage"' not in html


def test_a_past_day_is_not_called_today(app: Flask, client: FlaskClient) -> None:
    # Looking back at a day (the date picker), the rate line names that day, not "today".
    coverage.clear_cache()
    day = local_day(utcnow()) - timedelta(days=2)
    coverage_data.build(today=day)
    _sign_in(client, "nv.quay1", "A", "Q1")
    html = client.get(f"/nhan-vien?ngay={day.isoformat()}").get_data(as_text=True)
    line = re.search(r'<p class="coverage" id="coverage">(.*?)</p>', html, re.S)
    assert line is not None
    text = " ".join(line.group(1).split())
    assert text.startswith("Tỷ lệ trả lời trong ngày: 3 trên 10 hồ sơ"), text
    assert "hôm nay" not in text
