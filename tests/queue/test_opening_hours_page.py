"""A unit's opening hours, set on its alert-rules page: by its unit head (their units only)
or an admin, checked with ``OpeningHours.parse`` (a friendly 400 in the reader's language),
stored in plain form, audited, CSRF-protected; empty means the setting again."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Unit
from survey_app.services.kiosk import devices

from ..factories import csrf_of, login, make_unit, make_user

PAGE = "/canh-bao/quy-tac"
SAVE = "/canh-bao/gio-lam-viec"


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    unit = make_unit("U1", "Trung tâm thử")
    other = make_unit("U2", "Đơn vị khác")
    make_user("truong", "unit_head", unit)
    make_user("nv.q1", "staff", unit)
    make_user("quantri", "admin", None)
    return {"unit": unit, "other": other}


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    g.pop("_login_user", None)
    assert login(client, username).status_code == 303
    return client


def save(client: FlaskClient, unit: str, value: str) -> Any:
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)
    token = csrf_of(client, PAGE)
    return client.post(SAVE, data={"don_vi": unit, "gio": value, "csrf_token": token})


def hours_of(code: str) -> str | None:
    db.session.expire_all()
    return db.session.scalars(select(Unit.opening_hours).where(Unit.code == code)).one()


def test_a_unit_head_sets_the_opening_hours_audited(app: Flask, world: dict[str, Any]) -> None:
    head = signed_in(app, "truong")
    page = head.get(PAGE).get_data(as_text=True)
    assert "Giờ làm việc của đơn vị" in page and "Đang áp dụng: 1-5 07:30-17:00" in page
    resp = save(head, "U1", "  1,2,3,4,5,6   07:00-11:30 ")
    assert resp.status_code == 303
    assert hours_of("U1") == "1-6 07:00-11:30"  # its plain form
    unit = db.session.get(Unit, world["unit"].id)
    assert str(devices.opening_hours(unit)) == "1-6 07:00-11:30"
    (entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "unit.opening_hours")
    ).all()
    assert entry.before == {"opening_hours": ""}
    assert entry.after == {"opening_hours": "1-6 07:00-11:30"}
    assert "Đang áp dụng: 1-6 07:00-11:30" in head.get(PAGE).get_data(as_text=True)
    assert save(head, "U1", "").status_code == 303  # empty: the setting again
    assert hours_of("U1") is None


@pytest.mark.parametrize(
    ("lang", "value", "message"),
    [
        ("vi", "8h-17h", "Giờ làm việc “8h-17h” không hợp lệ"),
        ("vi", "1-5 17:00-07:30", "không hợp lệ"),  # closes before it opens
        ("vi", "0-8 07:30-17:00", "ví dụ “1-5 07:30-17:00”"),  # no day 0 or 8
        ("en", "mon-fri", "Opening hours “mon-fri” are not valid"),
        ("vi", "1-5 07:30-17:00" + " " * 10 + "x" * 80, "không hợp lệ"),
    ],
)
def test_bad_opening_hours_are_a_friendly_400(
    app: Flask, world: dict[str, Any], lang: str, value: str, message: str
) -> None:
    head = signed_in(app, "truong")
    g.pop("_flask_babel", None)
    head.get(f"{PAGE}?lang={lang}")
    resp = save(head, "U1", value)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert message in page and "Traceback" not in page
    assert hours_of("U1") is None
    assert db.session.scalars(select(AuditEntry.action)).all() == []


def test_who_may_set_opening_hours(app: Flask, world: dict[str, Any]) -> None:
    head = signed_in(app, "truong")
    assert save(head, "U2", "1-5 08:00-16:00").status_code == 404  # not their unit
    assert hours_of("U2") is None
    staff = signed_in(app, "nv.q1")
    g.pop("_login_user", None)
    token = csrf_of(staff, "/nhan-vien")  # the menu's sign-out form
    resp = staff.post(SAVE, data={"don_vi": "U1", "gio": "1-5 08:00-16:00", "csrf_token": token})
    assert resp.status_code == 403
    assert hours_of("U1") is None
    g.pop("_login_user", None)
    assert staff.get(PAGE).status_code == 403
    admin = signed_in(app, "quantri")
    assert save(admin, "U2", "1-5 08:00-16:00").status_code == 303
    assert hours_of("U2") == "1-5 08:00-16:00"


def test_without_csrf_nothing_changes(app: Flask, world: dict[str, Any]) -> None:
    head = signed_in(app, "truong")
    g.pop("_login_user", None)
    resp = head.post(SAVE, data={"don_vi": "U1", "gio": "1-5 08:00-16:00"})
    assert resp.status_code == 400
    assert hours_of("U1") is None
