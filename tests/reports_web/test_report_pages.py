"""Report pages: who may ask for what, CSRF, bad input, another user's job."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import ReportJob

from ..factories import csrf_of, login, login_as, make_unit, make_user
from .helpers import FakeEngine, make_done_job
from .test_report_jobs import QUARTER, as_signed_in, job_id, start


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    root = make_unit("P", "Tỉnh thử")
    inside = make_unit("IN", "Trung tâm bên trong", parent=root)
    make_unit("IN.X", "Xã bên dưới", parent=inside)
    outside = make_unit("OUT", "Trung tâm bên ngoài", parent=root)
    return {"root": root, "inside": inside, "outside": outside}


def jobs() -> int:
    return int(db.session.scalar(select(func.count()).select_from(ReportJob)) or 0)


def test_the_form_offers_the_units_in_scope_only(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login_as(client, "office", world["inside"])
    page = client.get("/bao-cao")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="IN"' in html and 'value="IN.X"' in html
    assert 'value="OUT"' not in html and 'value="P"' not in html
    assert "Tất cả đơn vị" not in html  # only an admin reports on everything
    assert 'name="csrf_token"' in html


def test_admin_may_report_on_every_unit(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    login_as(client, "admin", None)
    assert 'value="OUT"' in client.get("/bao-cao").get_data(as_text=True)
    job_id(start(client, don_vi=""))
    spec, unit_ids = engine.calls[0]
    assert spec.unit_code is None and unit_ids is None and not spec.integrity


@pytest.mark.parametrize(("role", "integrity"), [("office", False), ("inspector", True)])
def test_integrity_rates_for_inspectors_only(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine, role: str, integrity: bool
) -> None:
    login_as(client, role, world["inside"])
    new = job_id(start(client))
    assert engine.calls[0][0].integrity is integrity
    page = client.get(f"/bao-cao/{new}").get_data(as_text=True)
    assert ("tỷ lệ liêm chính" in page) is integrity


@pytest.mark.parametrize("code", ["OUT", "P", "NO-SUCH-UNIT"])
def test_a_unit_outside_the_scope_is_404(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine, code: str
) -> None:
    login_as(client, "office", world["inside"])
    assert start(client, don_vi=code).status_code == 404
    assert jobs() == 0 and engine.calls == []


@pytest.mark.parametrize("role", ["staff", "unit_head"])
def test_other_roles_are_403(client: FlaskClient, world: dict[str, Any], role: str) -> None:
    login_as(client, role, world["inside"])
    assert client.get("/bao-cao").status_code == 403
    token = csrf_of(client, "/dang-nhap")
    assert client.post("/bao-cao", data={**QUARTER, "csrf_token": token}).status_code == 403
    assert jobs() == 0


def test_signed_out_visitors_go_to_the_login_page(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    resp = client.get("/bao-cao")
    assert resp.status_code == 302 and "/dang-nhap" in resp.headers["Location"]


def test_another_user_s_job_is_404(
    app: Flask, client: FlaskClient, world: dict[str, Any], tmp_path: Path
) -> None:
    owner = make_user("office.owner", "office", world["inside"])
    job = make_done_job(app, owner, "IN", tmp_path / "files")
    for role in ("office", "inspector", "admin"):
        other = app.test_client()
        login_as(other, role, world["inside"] if role != "admin" else None, f"other.{role}")
        for path in ("", "/trang-thai", "/tai/xlsx", "/xem", "/bieu-do/xep_hang.svg"):
            resp = as_signed_in(other).get(f"/bao-cao/{job.id}{path}")
            resp.close()
            assert resp.status_code == 404, (role, path)
    owner_client = app.test_client()
    login(owner_client, "office.owner")
    for path in ("", "/trang-thai", "/tai/xlsx", "/xem", "/bieu-do/xep_hang.svg"):
        resp = as_signed_in(owner_client).get(f"/bao-cao/{job.id}{path}")
        resp.close()
        assert resp.status_code == 200, path
    assert as_signed_in(client).get("/bao-cao/999999").status_code == 302  # signed out: login first


def test_a_job_whose_unit_left_the_user_s_scope_is_404(
    app: Flask, client: FlaskClient, world: dict[str, Any], tmp_path: Path
) -> None:
    user = login_as(client, "office", world["inside"])
    job = make_done_job(app, user, "OUT", tmp_path / "files")  # e.g. the role was moved
    assert client.get(f"/bao-cao/{job.id}/tai/xlsx").status_code == 404


def test_without_csrf_nothing_starts(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    login_as(client, "office", world["inside"])
    resp = client.post("/bao-cao", data=QUARTER)
    assert resp.status_code == 400
    assert jobs() == 0 and engine.calls == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"nam": "20x6"}, "Năm phải là một số từ 2000 đến 2100."),
        ({"nam": "1999"}, "Năm phải là một số từ 2000 đến 2100."),
        ({"quy": "5"}, "Quý phải là I, II, III hoặc IV."),
        ({"loai": "nua_nam", "nua": "3"}, "6 tháng đầu năm hoặc 6 tháng cuối năm"),
        ({"loai": "tuan"}, "Hãy chọn loại kỳ"),
        ({"moc": "am_lich"}, "Hãy chọn mốc kỳ"),
        (
            {"loai": "tuy_chon", "tu": "2026-03-31", "den": "2026-01-01"},
            "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.",
        ),
        (
            {"loai": "tuy_chon", "tu": "31/03/2026", "den": "2026-04-01"},
            "Từ ngày: hãy nhập một ngày dạng năm-tháng-ngày",
        ),
        ({"loai": "tuy_chon", "tu": "2020-01-01", "den": "2026-01-01"}, "dài quá ba năm"),
        ({"don_vi": ""}, "Hãy chọn đơn vị của báo cáo."),
    ],
)
def test_bad_input_is_a_friendly_400(
    client: FlaskClient,
    world: dict[str, Any],
    engine: FakeEngine,
    fields: dict[str, str],
    message: str,
) -> None:
    login_as(client, "office", world["inside"])
    resp = start(client, **fields)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in html and 'role="alert"' in html
    assert jobs() == 0 and engine.calls == []


def test_custom_dates_make_a_custom_period(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    login_as(client, "office", world["inside"])
    new = job_id(start(client, loai="tuy_chon", tu="2026-01-15", den="2026-02-20"))
    assert engine.calls[0][0].period == "2026-01-15..2026-02-20"
    assert "Từ 15/1/2026 đến 20/2/2026" in client.get(f"/bao-cao/{new}").get_data(as_text=True)


def test_a_done_job_shows_when_it_finished_and_never_a_dash(
    app: Flask, client: FlaskClient, world: dict[str, Any], tmp_path: Path
) -> None:
    user = login_as(client, "office", world["inside"])
    job = make_done_job(app, user, "IN", tmp_path / "files")
    page = client.get(f"/bao-cao/{job.id}").get_data(as_text=True)
    assert re.search(r"Xong lúc \d\d/\d\d/\d{4} \d\d:\d\d</p>", page)
    job.finished_at = None  # a row written before finish times were kept
    db.session.commit()
    page = client.get(f"/bao-cao/{job.id}").get_data(as_text=True)
    assert "Báo cáo đã sẵn sàng" in page and "Xong lúc" not in page
