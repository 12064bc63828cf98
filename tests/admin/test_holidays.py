"""The holidays page (issue 16): the admin's list of days off and make-up days, by year; add
and remove (CSRF, audited), friendly 400s for a bad date, kind or a duplicate."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Holiday
from survey_app.services.org import holidays

from ..factories import csrf_of, login_as, make_unit

PAGE = "/quan-tri/ngay-nghi"


@pytest.fixture
def admin_client(app: Flask, client: FlaskClient) -> FlaskClient:
    login_as(client, "admin", None, "quan.tri")
    return client


def _post(client: FlaskClient, data: dict[str, str], path: str = PAGE) -> tuple[int, str]:
    token = csrf_of(client, PAGE)
    resp = client.post(path, data={"csrf_token": token, **data})
    return resp.status_code, resp.get_data(as_text=True)


def test_the_page_lists_the_shipped_years(admin_client: FlaskClient) -> None:
    html = admin_client.get(PAGE).get_data(as_text=True)
    assert "Năm 2027" in html and "Năm 2026" in html
    assert "08/02/2027" in html  # Tết 2027
    assert html.index("Năm 2027") < html.index("Năm 2026")
    assert 'href="/quan-tri/ngay-nghi"' in admin_client.get("/quan-tri").get_data(as_text=True)


@pytest.mark.parametrize("role", ["unit_head", "office", "inspector", "staff"])
def test_other_roles_may_not(app: Flask, client: FlaskClient, role: str) -> None:
    login_as(client, role, make_unit("U1", "Đơn vị Một"), f"nguoi.{role}")
    assert client.get(PAGE).status_code == 403
    token = csrf_of(client, "/doi-mat-khau")
    resp = client.post(PAGE, data={"csrf_token": token, "ngay": "2027-12-31", "ten": "X"})
    assert resp.status_code == 403
    assert db.session.scalar(select(Holiday.id).where(Holiday.day == date(2027, 12, 31))) is None


def test_add_and_remove_are_audited_and_change_the_calendar(admin_client: FlaskClient) -> None:
    status, _ = _post(admin_client, {"ngay": "2027-02-13", "ten": "Làm bù Tết", "loai": "lam_bu"})
    assert status == 303
    row = db.session.scalar(select(Holiday).where(Holiday.day == date(2027, 2, 13)))
    assert row is not None and (row.name, row.kind) == ("Làm bù Tết", "lam_bu")
    holidays.forget()
    assert date(2027, 2, 13) in holidays.calendar().make_up
    status, _ = _post(admin_client, {}, f"{PAGE}/{row.id}/xoa")
    assert status == 303
    assert db.session.get(Holiday, row.id) is None
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "holiday")
    ).all()
    assert actions == ["holiday.add", "holiday.remove"]
    assert "Xoá ngày nghỉ lễ hoặc ngày làm bù" in admin_client.get("/quan-tri/nhat-ky").get_data(
        as_text=True
    )


def test_without_the_csrf_token_nothing_changes(admin_client: FlaskClient) -> None:
    resp = admin_client.post(PAGE, data={"ngay": "2027-12-31", "ten": "X", "loai": "nghi"})
    assert resp.status_code == 400
    assert db.session.scalar(select(Holiday.id).where(Holiday.day == date(2027, 12, 31))) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ngay": "31/12/2027", "ten": "X", "loai": "nghi"}, "Ngày không hợp lệ"),
        ({"ngay": "2027-02-30", "ten": "X", "loai": "nghi"}, "Ngày không hợp lệ"),
        ({"ngay": "", "ten": "X", "loai": "nghi"}, "Ngày không hợp lệ"),
        ({"ngay": "2027-02-08", "ten": "Tết", "loai": "nghi"}, "đã có trong lịch"),
        ({"ngay": "2027-12-31", "ten": "X", "loai": "khac"}, "Loại ngày không hợp lệ"),
        ({"ngay": "2027-12-31", "ten": "  ", "loai": "nghi"}, "Vui lòng nhập tên"),
        ({"ngay": "2027-12-25", "ten": "X", "loai": "nghi"}, "Thứ Bảy và Chủ nhật"),
        ({"ngay": "2027-12-31", "ten": "X", "loai": "lam_bu"}, "phải là thứ Bảy hoặc Chủ nhật"),
        ({"ngay": "1999-01-04", "ten": "X", "loai": "nghi"}, "Năm phải từ 2000 đến 2100"),
    ],
)
def test_bad_input_answers_400_with_the_reason(
    admin_client: FlaskClient, data: dict[str, str], message: str
) -> None:
    before = db.session.scalar(select(Holiday.id).order_by(Holiday.id.desc()).limit(1))
    status, html = _post(admin_client, data)
    assert status == 400
    assert message in html
    assert 'role="alert"' in html
    assert db.session.scalar(select(Holiday.id).order_by(Holiday.id.desc()).limit(1)) == before


def test_names_are_escaped(admin_client: FlaskClient) -> None:
    status, _ = _post(admin_client, {"ngay": "2027-12-31", "ten": "<b>x</b>", "loai": "nghi"})
    assert status == 303
    html = admin_client.get(PAGE).get_data(as_text=True)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_removing_a_missing_day_is_404(admin_client: FlaskClient) -> None:
    status, _ = _post(admin_client, {}, f"{PAGE}/999999/xoa")
    assert status == 404
