"""The alert pages: a unit head sets a rule (audited; bad input a friendly 400 in the page's
language), staff see their counter's unacknowledged alerts at the top of their home and
acknowledge them there; integrity alerts never reach the staff home; the delivery log."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import Alert, AlertRule, AuditEntry
from survey_app.services import alerts, org
from survey_app.services.ingest.responses import Submission, submit

from ..factories import (
    csrf_of,
    login,
    make_counter,
    make_unit,
    make_user,
    seed_questionnaires,
    token_of,
)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"QUEUE_IMMEDIATE": True}


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    seed_questionnaires()
    unit = make_unit("U1")
    counter = make_counter(unit, "Q1", "Quầy số 1")
    head = make_user("truong", "unit_head", unit)
    staff = make_user("nv.q1", "staff", unit)
    staff.roles[0].counter_id = counter.id
    db.session.commit()
    make_unit("U2", "Đơn vị khác")
    return {"unit": unit, "counter": counter, "head": head, "staff": staff}


def signed_in(client: FlaskClient, username: str) -> FlaskClient:
    g.pop("_login_user", None)
    assert login(client, username).status_code == 303
    return client


def post(client: FlaskClient, path: str, form_page: str, **fields: str) -> Any:
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)  # the locale of the last request (the app context outlives it)
    return client.post(path, data={**fields, "csrf_token": csrf_of(client, form_page)})


def send(counter: Any, answers: dict[str, int]) -> None:
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    submit(info, forms.get("sipas-2024-dv"), Submission(answers=answers))


RULE = {"don_vi": "U1", "loai": "low_share", "bat": "1", "nguong": "40", "phut": "60"}


def test_a_unit_head_sets_a_rule_and_staff_see_and_acknowledge_its_alert(
    app: Flask, world: dict[str, Any]
) -> None:
    head = signed_in(app.test_client(), "truong")
    page = head.get("/canh-bao/quy-tac").get_data(as_text=True)
    assert "Quy tắc cảnh báo: Trung tâm" in page and 'value="40.0"' in page
    resp = post(head, "/canh-bao/quy-tac", "/canh-bao/quy-tac", **RULE, toi_thieu="3")
    assert resp.status_code == 303
    rule = db.session.scalars(select(AlertRule)).one()
    assert (rule.threshold_percent, rule.min_responses, rule.active) == (40.0, 3, True)
    assert db.session.scalars(select(AuditEntry.action)).all() == ["alert_rule.save"]
    assert (
        post(head, "/canh-bao/quy-tac", "/canh-bao/quy-tac", **{**RULE, "don_vi": "U2"}).status_code
        == 404
    )

    for _ in range(3):
        send(world["counter"], {"A1": 1, "B2": 5})
    send(world["counter"], {"Q5": 3, "A1": 5})  # integrity: no rule, and never on staff home
    staff = signed_in(app.test_client(), "nv.q1")
    home = staff.get("/nhan-vien").get_data(as_text=True)
    assert home.index("Cảnh báo chưa xem") < home.index("Chỉ số hài lòng")  # at the top
    assert "3 trên 3 phản hồi trong 60 phút" in home and "A1: 3" in home
    alert = db.session.scalars(select(Alert)).one()
    resp = post(staff, f"/canh-bao/{alert.id}/da-xem", "/nhan-vien", quay_lai="nhan-vien")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/nhan-vien")
    assert "Cảnh báo chưa xem" not in staff.get("/nhan-vien").get_data(as_text=True)
    db.session.expire_all()
    assert alert.acknowledged_by_id == world["staff"].id
    listing = head.get("/canh-bao").get_data(as_text=True)
    assert "Đã xem: nv.q1" in listing


@pytest.mark.parametrize(
    ("lang", "fields", "message"),
    [
        ("vi", {"nguong": "abc"}, "Ngưỡng, số phút và số phản hồi phải là số."),
        ("en", {"nguong": "abc"}, "The threshold, minutes and responses must be numbers."),
        ("vi", {"nguong": "140"}, "Ngưỡng phải là một số phần trăm lớn hơn 0 và không quá 100."),
        ("en", {"email": "x@"}, "Not a valid e-mail address: x@"),
    ],
)
def test_bad_rule_settings_are_a_friendly_400(
    app: Flask, world: dict[str, Any], lang: str, fields: dict[str, str], message: str
) -> None:
    head = signed_in(app.test_client(), "truong")
    g.pop("_flask_babel", None)
    head.get(f"/canh-bao/quy-tac?lang={lang}")  # the language switch, kept in the session
    resp = post(head, "/canh-bao/quy-tac", "/canh-bao/quy-tac", **{**RULE, **fields})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert db.session.scalars(select(AlertRule)).all() == []


def test_without_csrf_no_rule_is_saved(app: Flask, world: dict[str, Any]) -> None:
    head = signed_in(app.test_client(), "truong")
    assert head.post("/canh-bao/quy-tac", data=RULE).status_code == 400
    assert db.session.scalars(select(AlertRule)).all() == []


def test_the_delivery_log_shows_status_and_last_error(app: Flask, world: dict[str, Any]) -> None:
    alerts.save_rule(
        world["head"],
        world["unit"].id,
        alerts.RuleInput(kind="low_share", active=True, min_responses=1, emails="a@b.vn"),
    )
    send(world["counter"], {"A1": 1})  # no mail server set: failed at once, with the reason
    head = signed_in(app.test_client(), "truong")
    page = head.get("/canh-bao/gui").get_data(as_text=True)
    assert "a@b.vn" in page and "không gửi được" in page and "SIPAS_MAIL_SERVER" in page
    assert "Gửi lại" in page
