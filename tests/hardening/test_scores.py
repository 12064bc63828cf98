"""Issue 11, dates and scores: days and periods outside the target sets' years, the extreme
days 0001-01-01 and 9999-12-31, and the target set per group (items 15 and 21).

Pages and commands run on SQLite and PostgreSQL (the ``app`` fixture).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Response
from survey_app.services import queue

from ..factories import login_as, make_counter, make_unit
from ..reports_web.test_report_jobs import job_id, start

FACTOR_ITEMS = [c for codes in forms.get("sipas-2024-dv").factors().values() for c in codes]
EXTREMES = ("0001-01-01", "9999-12-31")
OLD_DAY = date(2020, 6, 10)  # before the first target set (90/85 from 2021-01-01)
LATE_DAY = date(2031, 1, 2)  # after 2030: 90/85 stays in force


def respond(counter: Counter, day: date, n: int = 35, value: int = 5) -> None:
    at = datetime.combine(day, time(3, 0), tzinfo=UTC)  # 10:00 in Hà Nội, same day
    db.session.add_all(
        Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=counter.unit_id,
            counter_id=counter.id,
            target_group="chung",
            channel="truc_tiep",
            submitted_at=at,
            local_day=day,
            answers=dict.fromkeys(FACTOR_ITEMS, value),
            source="qr",
        )
        for _ in range(n)
    )
    db.session.commit()


def freeze_clock(monkeypatch: pytest.MonkeyPatch, frozen: datetime) -> None:
    """Make "now" ``frozen`` for everything that reads the clock through services/clock.py
    (today_local), for the stored days (which days are closed) and for the staff views."""
    import survey_app.services.clock as clock
    import survey_app.services.storage.daystats as daystats
    import survey_app.staff.views as staff_views

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return frozen if tz is None else frozen.astimezone(tz)

    monkeypatch.setattr(staff_views, "utcnow", lambda: frozen)
    monkeypatch.setattr(clock, "datetime", FrozenClock)
    monkeypatch.setattr(daystats, "datetime", FrozenClock)


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    province = make_unit("P", "Tỉnh thử")
    unit = make_unit("IN", "Trung tâm", parent=province)
    counter = make_counter(unit, "Q1", "Quầy 1")
    for day in (OLD_DAY, LATE_DAY, date(2026, 5, 10)):
        respond(counter, day)
    return {"province": province, "unit": unit, "counter": counter}


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2020-06-10", "2031-01-02", "1900-01-01", "2999-12-31"])
def test_staff_pages_on_days_without_or_after_the_target_sets(
    client: FlaskClient, world: dict[str, Any], day: str
) -> None:
    login_as(client, "staff", world["unit"])
    assert client.get(f"/nhan-vien?ngay={day}").status_code == 200
    assert client.get(f"/nhan-vien/xu-huong.svg?ngay={day}").status_code == 200
    assert client.get(f"/nhan-vien/moi?ngay={day}").status_code == 200


@pytest.mark.parametrize("day", EXTREMES)
def test_staff_pages_refuse_extreme_days_with_a_400(
    client: FlaskClient, world: dict[str, Any], day: str
) -> None:
    login_as(client, "staff", world["unit"])
    for path in ("/nhan-vien", "/nhan-vien/xu-huong.svg", "/nhan-vien/moi"):
        resp = client.get(f"{path}?ngay={day}")
        assert resp.status_code == 400, path
        assert "Ngày không hợp lệ" in resp.get_data(as_text=True)


def test_staff_home_after_2030_with_the_clock_at_2031_01_02(
    client: FlaskClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_clock(monkeypatch, datetime(2031, 1, 2, 5, 0, tzinfo=UTC))  # 12:00 in Hà Nội
    login_as(client, "staff", world["unit"])
    resp = client.get("/nhan-vien")
    assert resp.status_code == 200
    assert "02/01/2031" in resp.get_data(as_text=True)


@pytest.mark.parametrize("period", ["2020-Q2", "2020", "1999-Q1", "2031-Q1", "2031-01-02"])
def test_office_and_inspector_pages_outside_2021_2030(
    client: FlaskClient, world: dict[str, Any], period: str
) -> None:
    login_as(client, "admin", None)
    for path in ("/van-phong", "/van-phong/don-vi/IN", "/van-phong/don-vi/IN/quay/Q1"):
        assert client.get(f"{path}?ky={period}").status_code == 200, path
    for path in ("/thanh-tra", "/thanh-tra/don-vi/IN"):
        assert client.get(f"{path}?ky={period}").status_code == 200, path


def test_office_shows_no_target_before_2021_and_90_after_2030(
    client: FlaskClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_clock(monkeypatch, datetime(2031, 4, 2, 5, 0, tzinfo=UTC))
    login_as(client, "admin", None)
    old = client.get("/van-phong/don-vi/IN?ky=2020-Q2").get_data(as_text=True)
    assert "chưa có mục tiêu" in old and "flag-no_target" in old
    late = client.get("/van-phong/don-vi/IN?ky=2031-Q1").get_data(as_text=True)
    assert "flag-meets" in late and "flag-no_target" not in late


@pytest.mark.parametrize("period", [*EXTREMES, "0001", "9999-Q4", "1900-01-01", "0000-01-01"])
def test_office_and_inspector_refuse_extreme_periods_with_a_400(
    client: FlaskClient, world: dict[str, Any], period: str
) -> None:
    login_as(client, "admin", None)
    for path in ("/van-phong", "/van-phong/don-vi/IN", "/thanh-tra", "/thanh-tra/don-vi/IN"):
        assert client.get(f"{path}?ky={period}").status_code == 400, (path, period)


@pytest.mark.parametrize("day", EXTREMES)
def test_report_form_refuses_extreme_days(
    client: FlaskClient, world: dict[str, Any], day: str
) -> None:
    login_as(client, "office", world["unit"])
    resp = start(client, loai="tuy_chon", tu=day, den=day)
    assert resp.status_code == 400
    assert "nằm ngoài khoảng ngày sipas nhận" in resp.get_data(as_text=True)


def test_web_report_of_a_year_before_the_targets_is_made(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login_as(client, "office", world["unit"])
    queue.of().huey.immediate = True  # the job runs in the request
    new = job_id(start(client, loai="nam", nam="2020", moc="lich", don_vi="IN"))
    state = client.get(f"/bao-cao/{new}/trang-thai").get_json()
    assert state["status"] == "done", state
    html = client.get(f"/bao-cao/{new}/xem").get_data(as_text=True)
    assert "chưa có mục tiêu" in html


# --- commands ----------------------------------------------------------------------------------


def score_json(runner: FlaskCliRunner, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(args=["score", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.output)
    return data


def test_score_before_the_first_target_set_has_no_target(
    runner: FlaskCliRunner, world: dict[str, Any]
) -> None:
    (group,) = score_json(runner, "--period", "2020")
    assert group["n"] == 35
    assert group["target"] is None and group["flag"] == "no_target"
    table = runner.invoke(args=["score", "--period", "2020"])
    assert table.exit_code == 0 and "chưa có mục tiêu" in table.output


def test_score_after_2030_keeps_90(
    runner: FlaskCliRunner, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_clock(monkeypatch, datetime(2031, 4, 2, 5, 0, tzinfo=UTC))
    (group,) = score_json(runner, "--period", "2031")
    assert (group["target"], group["flag"]) == (90, "meets")


@pytest.mark.parametrize(
    "args",
    [
        ("score", "--from", "0001-01-01"),
        ("score", "--to", "9999-12-31"),
        ("score", "--period", "9999-12-31"),
        ("score", "--period", "0001"),
        ("export", "--from", "0001-01-01", "--out", "-"),
        ("export", "--to", "9999-12-31", "--out", "-"),
        ("db", "warm", "--from", "0001-01-01"),
        ("report", "--period", "0001-Q1", "--out", "r.xlsx"),
        ("report", "--period", "9999-12-01..9999-12-31", "--out", "r.xlsx"),
        ("report", "--period", "1900-Q1", "--out", "r.xlsx"),  # its trend reaches 1899
    ],
)
def test_commands_refuse_extreme_days_with_exit_2(
    runner: FlaskCliRunner, world: dict[str, Any], args: tuple[str, ...]
) -> None:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "1900" in result.output and "2999" in result.output


def test_report_of_1999_q1_is_written(
    runner: FlaskCliRunner, world: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "r.xlsx"
    result = runner.invoke(args=["report", "--period", "1999-Q1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


# --- 21: the target set of each group's own period ---------------------------------------------


def test_targets_2030_apply_per_group_period(
    runner: FlaskCliRunner, world: dict[str, Any], app: Flask
) -> None:
    # One month of 2025 (before the 2030 preset starts) and one of 2026, in one query.
    counter = world["counter"]
    for day in (date(2025, 11, 20), date(2025, 12, 20), date(2026, 2, 3)):
        respond(counter, day)  # before the first query (it packs the closed days)
    rows = score_json(
        runner,
        "--from",
        "2025-11-01",
        "--to",
        "2026-02-28",
        "--targets",
        "2030",
        "--by",
        "month",
    )
    assert [(r["group"]["month"], r["target"]) for r in rows] == [
        ("2025-11", 90),
        ("2025-12", 90),
        ("2026-02", 95),
    ]
    # With the report cut-off, 2025-11-20 belongs to 2025-12 and 2025-12-20 to 2026-01 (from
    # 15/12/2025): its target is the one in force when that period ends, 14/01/2026.
    rows = score_json(
        runner,
        "--from",
        "2025-11-15",
        "--to",
        "2026-01-14",
        "--targets",
        "2030",
        "--by",
        "month",
        "--cutoff",
        "report",
    )
    assert [(r["group"]["month"], r["target"]) for r in rows] == [
        ("2025-12", 90),
        ("2026-01", 95),
    ]
    # Not grouped by a period: the slice's last day decides.
    (whole,) = score_json(runner, "--from", "2025-11-01", "--to", "2025-12-31", "--targets", "2030")
    assert whole["target"] == 90
