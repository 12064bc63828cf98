"""Input at the boundary: the input rule (services/text.py) where text enters — the citizen's
form, the JSON API, the administration pages, complaints — and the requests that used to end
in a 500 (lone surrogates, "⁵", deep JSON, NUL on PostgreSQL). Each test runs on SQLite and
PostgreSQL (the ``app`` fixture)."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Complaint, Counter, Procedure, Response, Unit, utcnow
from survey_app.services import complaints
from survey_app.services.clock import local_day
from survey_app.services.org import counters, procedures, units

from ..factories import (
    all_responses,
    csrf_of,
    login_as,
    make_counter,
    make_procedure,
    make_unit,
    make_user,
    open_form,
    token_of,
)

REFUSED_VI = "Nội dung có ký tự không hợp lệ"
REFUSED_EN = "The text holds a character that cannot be stored"
# "Tiếp nhận" typed with combining marks (NFD), a control, a vertical tab and a bidi override
DIRTY = "Ti\u0065\u0302\u0301p nh\u0061\u0323\u0302n\x01 nhanh\x0b, \u202eđúng hẹn"
CLEAN = "Tiếp nhận nhanh, đúng hẹn"


@pytest.fixture
def token(app: Flask) -> str:
    unit = make_unit()
    make_procedure(unit)
    return token_of(make_counter(unit))


def post_form(client: FlaskClient, token: str, data: dict[str, Any]) -> Any:
    return client.post(f"/f/{token}", data={**open_form(client, token), "A1": "5", **data})


def send(client: FlaskClient, token: str, body: Any, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/api/v1/responses", data=raw, headers=headers, **kw)


# --- defect 1: one rule, applied on input ----------------------------------------------------


def test_form_comment_is_cleaned_by_the_rule(client: FlaskClient, token: str) -> None:
    assert post_form(client, token, {"comment": DIRTY}).status_code == 303
    [stored] = all_responses()
    assert stored.comment == CLEAN
    assert unicodedata.is_normalized("NFC", stored.comment)


def test_api_comment_is_cleaned_by_the_rule(client: FlaskClient, token: str) -> None:
    assert send(client, token, {"answers": {"A1": 4}, "comment": DIRTY}).status_code == 201
    [stored] = all_responses()
    assert stored.comment == CLEAN


def test_admin_names_are_cleaned_by_the_rule(app: Flask) -> None:
    admin = make_user("quan.tri", "admin")
    unit = units.add_unit(
        admin,
        {
            "code": "X2",
            "name": DIRTY,
            "kind": "UBND\x07 xã",
            "place_name": "Bộ phận\x1b một cửa",
            "parent": "",
            "target_group": "chung",
            "questionnaire": "sipas-2024-dv",
        },
    )
    counter = counters.add_counter(admin, "X2", "Q9", "Quầy\x00 số\u2066 9")
    procedures.add(
        admin,
        {
            "code": "9.000001",
            "name": "Đăng ký\x01 kết hôn",
            "field": "Hộ\x85 tịch",
            "target_group": "chung",
            "units": "X2",
        },
    )
    db.session.expire_all()
    assert (unit.name, unit.kind, unit.place_name) == (CLEAN, "UBND xã", "Bộ phận một cửa")
    assert db.session.get(Counter, counter.id).name == "Quầy số 9"  # type: ignore[union-attr]
    proc = db.session.scalar(select(Procedure).where(Procedure.code == "9.000001"))
    assert proc is not None and (proc.name, proc.field) == ("Đăng ký kết hôn", "Hộ tịch")


def test_complaint_answers_and_notes_are_cleaned_by_the_rule(app: Flask) -> None:
    counter = make_counter(make_unit("U1", "Đơn vị Một"), "Q1", "Quầy Một")
    head = make_user("truong", "unit_head", counter.unit)
    at = utcnow()
    response = Response(
        questionnaire_id="sipas-2024-dv",
        unit_id=counter.unit_id,
        counter_id=counter.id,
        target_group="chung",
        submitted_at=at,
        local_day=local_day(at),
        answers={"A1": 2},
        comment="Chờ lâu quá",
        source="qr",
    )
    db.session.add(response)
    db.session.commit()
    complaint = complaints.mark(response, "phuc_vu", head)
    complaints.answer(complaint, DIRTY, head)
    complaints.close(complaint, head)
    complaints.reopen(complaint, head, "Chưa\x0c rõ\u202d")
    db.session.expire_all()
    stored = db.session.get(Complaint, complaint.id)
    assert stored is not None and stored.answer == CLEAN
    assert [e.note for e in complaints.history(stored) if e.action == "mo_lai"] == ["Chưa rõ"]


# --- NUL and lone surrogates: refused with a clear 400, never a 500 ------------------------------


def test_form_with_nul_is_a_friendly_400(client: FlaskClient, token: str) -> None:
    resp = post_form(client, token, {"comment": "Tốt\x00 lắm"})
    assert resp.status_code == 400
    assert REFUSED_VI in resp.get_data(as_text=True)
    assert all_responses() == []


def test_nul_in_a_query_or_a_staff_form_is_a_friendly_400(app: Flask, client: FlaskClient) -> None:
    assert client.get("/dang-nhap?next=/%00").status_code == 400
    data = {"csrf_token": csrf_of(client, "/dang-nhap"), "username": "a\x00", "password": "x"}
    refresh()
    resp = client.post("/dang-nhap?lang=en", data=data)
    assert resp.status_code == 400 and REFUSED_EN in resp.get_data(as_text=True)
    login_as(client, "admin", None, "quan.tri")
    assert client.get("/quan-tri/thu-tuc?q=%00&lang=vi").status_code == 400
    data = {
        "csrf_token": csrf_of(client, "/quan-tri/don-vi"),
        "code": "X2",
        "name": "Xã\x00",
        "kind": "",
        "place_name": "Bộ phận",
        "parent": "",
        "target_group": "chung",
        "questionnaire": "sipas-2024-dv",
    }
    refresh()
    resp = client.post("/quan-tri/don-vi?lang=vi", data=data)
    assert resp.status_code == 400 and REFUSED_VI in resp.get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.code == "X2")) is None


@pytest.mark.parametrize("field", ["comment", "transaction_ref", "procedure_code"])
@pytest.mark.parametrize("bad", ["\x00", "\ud800", "\udfff"])
def test_api_nul_or_lone_surrogate_is_a_400_naming_the_field(
    client: FlaskClient, token: str, field: str, bad: str
) -> None:
    resp = send(client, token, {"answers": {"A1": 4}, field: f"ab{bad}cd"})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    name = "procedure" if field == "procedure_code" else field
    assert resp.json["errors"][name].startswith(REFUSED_VI)
    assert all_responses() == []


# --- defect 2: the other 500s of the API ------------------------------------------------------


@pytest.mark.parametrize("value", ["⁵", "٥", "5", "５", 5.5, True, [5], {"v": 5}])
def test_answers_that_are_not_answer_codes_are_400(
    client: FlaskClient, token: str, value: Any
) -> None:
    resp = send(client, token, {"answers": {"A1": value}})
    assert resp.status_code == 400
    assert "answers.A1" in resp.json["errors"]


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 1000 + "]" * 1000,
        '{"answers": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"answers": {"A1": ' + "[" * 100 + "]" * 100 + "}}",
        '{"answers": {"A1": 5}, "comment": ' + '{"a":' * 900 + "1" + "}" * 900 + "}",
    ],
)
def test_deeply_nested_json_is_400(client: FlaskClient, token: str, raw: str) -> None:
    resp = send(client, token, raw)
    assert resp.status_code == 400
    assert resp.json["error"]
    assert all_responses() == []


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe{}", b'{"answers": {"A1": 5}', b"", b"null", b'"x"', b"[1]"]
)
def test_bodies_that_are_not_a_json_object_are_400(
    client: FlaskClient, token: str, raw: bytes
) -> None:
    resp = send(client, token, raw)
    assert resp.status_code == 400 and resp.json["error"]


# --- defect 4: receipts folded before hashing -------------------------------------------------


@pytest.mark.parametrize(
    "again",
    ["HS\u20102026\u201101", "\uff28\uff33\uff0d\uff12\uff10\uff12\uff16\uff0d\uff10\uff11"],
)
def test_receipt_typed_with_other_dashes_or_fullwidth_digits_is_the_same(
    client: FlaskClient, token: str, again: str
) -> None:
    assert send(client, token, {"answers": {"A1": 4}, "transaction_ref": "HS-2026-01"}).status_code
    resp = send(client, token, {"answers": {"A1": 4}, "transaction_ref": again})
    assert resp.status_code == 409
    assert post_form(client, token, {"transaction_ref": again}).status_code == 409
    assert len(all_responses()) == 1


# --- defect 3: bodies over the limit ----------------------------------------------------------


def test_form_body_over_the_limit_is_a_friendly_413(client: FlaskClient, token: str) -> None:
    hidden = open_form(client, token)
    big = {**hidden, "A1": "5", "comment": "x" * 70_000}
    refresh()  # the test's app context outlives requests: make the next one choose its locale
    resp = client.post(f"/f/{token}", data=big)
    assert resp.status_code == 413
    html = resp.get_data(as_text=True)
    assert "Dữ liệu quá lớn" in html and '<html lang="vi">' in html
    refresh()
    client.get(f"/f/{token}?lang=en")  # the language is remembered in the session
    refresh()
    resp = client.post(f"/f/{token}", data=big)
    assert resp.status_code == 413 and '<html lang="en">' in resp.get_data(as_text=True)
    assert all_responses() == []


def test_api_body_over_the_limit_is_json_413(client: FlaskClient, token: str) -> None:
    refresh()
    resp = send(client, token, {"answers": {"A1": 5}, "comment": "x" * 70_000})
    assert resp.status_code == 413
    assert resp.is_json and resp.json["error"]


@pytest.mark.parametrize("app_config", [{"IMPORT_MAX_MB": 1}])
def test_import_over_its_limit_is_a_friendly_413(app: Flask, client: FlaskClient) -> None:
    login_as(client, "admin", None, "quan.tri")
    body = b"--x\r\n" + b" " * (1024 * 1024 + 70_000)
    refresh()
    resp = client.post("/nhap-du-lieu", data=body, content_type="multipart/form-data; boundary=x")
    assert resp.status_code == 413
    assert "Tệp lớn quá 1 MB" in resp.get_data(as_text=True)


# --- defect 14: 405 says Allow, 429 says Retry-After -----------------------------------------


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("GET", "/api/v1/responses", {"POST", "OPTIONS"}),
        ("PUT", "/f/TOKEN", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("GET", "/dang-xuat", {"POST", "OPTIONS"}),
        ("DELETE", "/healthz", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_405_names_the_allowed_methods(
    client: FlaskClient, token: str, method: str, path: str, allowed: set[str]
) -> None:
    resp = client.open(path.replace("TOKEN", token), method=method)
    assert resp.status_code == 405
    assert {m.strip() for m in resp.headers["Allow"].split(",")} == allowed


@pytest.mark.parametrize("app_config", [{"RATELIMIT_API": "2/minute", "RATELIMIT_FORM": "1/hour"}])
def test_429_says_when_to_come_back(client: FlaskClient, token: str) -> None:
    codes = [send(client, token, {"answers": {"A1": 5}}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    limited = send(client, token, {"answers": {"A1": 5}})
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert post_form(client, token, {}).status_code == 303
    limited = post_form(client, token, {})
    assert limited.status_code == 429 and 60 < int(limited.headers["Retry-After"]) <= 3600


# --- the response row is as the rule says, also as read back by the service -----------------


def test_nothing_but_the_clean_text_is_stored(client: FlaskClient, token: str) -> None:
    send(client, token, {"answers": {"A1": 5}, "comment": "a\x00b"})
    send(client, token, {"answers": {"A1": 5}, "comment": "a\x1fb\u2067"})
    stored = db.session.scalars(select(Response.comment)).all()
    assert stored == ["ab"]


def test_nul_in_a_path_or_a_token_never_reaches_the_database(
    client: FlaskClient, token: str
) -> None:
    assert client.get("/f/%00").status_code == 400
    assert client.get(f"/f/{token}%00/cam-on").status_code == 400
    resp = client.post(
        "/api/v1/responses", json={"answers": {"A1": 5}}, headers={"Authorization": "Bearer a\x00"}
    )
    assert resp.status_code == 400 and resp.is_json
    assert all_responses() == []
