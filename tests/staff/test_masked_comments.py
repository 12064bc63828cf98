"""Phone and identity numbers in comments are hidden wherever staff read them: the staff page
and its updates, the complaint list and page, the inspector's page — by the one function the
reports use too."""

from __future__ import annotations

import json

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Counter, Response, User, utcnow
from survey_app.services import complaints
from survey_app.services.clock import local_day
from survey_app.services.formatting import MASKED, masked
from survey_app.services.reports.content import redact

from ..factories import login_as, make_counter, make_unit, make_user

PHONE, CCCD, CMND = "0912 345 678", "001203004005", "123456789"
TEXT = f"Gọi {PHONE} hoặc +84 912.345.678, CCCD {CCCD}, CMND {CMND}, thư an@example.vn"
SHOWN = f"Gọi {MASKED} hoặc {MASKED}, CCCD {MASKED}, CMND {MASKED}, thư {MASKED}"
SECRETS = (PHONE, "912.345.678", CCCD, CMND, "an@example.vn")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (TEXT, SHOWN),
        ("số 0912345678", f"số {MASKED}"),
        ("CCCD 001-203-004-005", f"CCCD {MASKED}"),
        ("Chờ 15 phút ở quầy số 3, ngày 12/3/2026", "Chờ 15 phút ở quầy số 3, ngày 12/3/2026"),
        ("mã hồ sơ 1234567", "mã hồ sơ 1234567"),  # 7 digits: not a phone or ID number
        (None, ""),
    ],
)
def test_the_mask(text: str | None, shown: str) -> None:
    assert masked(text) == shown


def test_the_reports_use_the_same_function() -> None:
    assert redact(TEXT) == masked(TEXT) == SHOWN


def _respond(counter: Counter, comment: str) -> Response:
    at = utcnow()
    response = Response(
        questionnaire_id="sipas-2024-dv",
        unit_id=counter.unit_id,
        counter_id=counter.id,
        target_group="chung",
        submitted_at=at,
        local_day=local_day(at),
        answers={"A1": 1, "C1": 2},
        comment=comment,
        source="qr",
    )
    db.session.add(response)
    db.session.commit()
    return response


@pytest.fixture
def counter(app: Flask) -> Counter:
    return make_counter(make_unit("U1", "Đơn vị Một"), "Q1", "Quầy Một")


def _page(client: FlaskClient, path: str) -> str:
    g.pop("_login_user", None)
    resp = client.get(path)
    assert resp.status_code == 200, path
    if resp.is_json:  # the staff page's updates
        return json.dumps(resp.get_json(), ensure_ascii=False)
    return resp.get_data(as_text=True)


def _hidden(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html
    assert MASKED in html


def test_staff_page_and_its_updates(counter: Counter, client: FlaskClient) -> None:
    _respond(counter, TEXT)
    login_as(client, "staff", counter.unit)
    _hidden(_page(client, "/nhan-vien"))
    _hidden(_page(client, "/nhan-vien/moi?sau=0"))


@pytest.mark.parametrize("kind", ["phuc_vu", "thai_do"])
def test_complaint_list_page_and_inspector(
    app: Flask, counter: Counter, client: FlaskClient, kind: str
) -> None:
    head: User = make_user("truong", "unit_head", counter.unit)
    complaint = complaints.mark(_respond(counter, TEXT), kind, head)
    login_as(client, "inspector" if kind == "thai_do" else "unit_head", counter.unit, "xem")
    _hidden(_page(client, "/phan-anh"))
    _hidden(_page(client, f"/phan-anh/{complaint.id}"))
    if kind == "thai_do":  # conduct complaints are the inspector's
        _hidden(_page(client, "/thanh-tra"))
