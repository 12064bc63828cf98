"""Login, logout, lockout, forced password change, CSRF and safe redirects."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import User

from ..factories import PASSWORD, csrf_of, login, make_unit, make_user


@pytest.fixture
def user(app: Flask) -> object:
    return make_user(unit=make_unit())


def test_login_page_has_the_named_fields(client: FlaskClient) -> None:
    html = client.get("/dang-nhap").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html


def test_login_then_staff_home(client: FlaskClient, user: object) -> None:
    resp = login(client, "nv.mot")
    assert resp.status_code == 303 and resp.headers["Location"] == "/nhan-vien"
    assert client.get("/nhan-vien").status_code == 200


def test_session_cookie_flags(client: FlaskClient, user: object) -> None:
    resp = login(client, "nv.mot")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True}])
def test_secure_cookie_when_configured(client: FlaskClient, user: object) -> None:
    assert "Secure" in login(client, "nv.mot").headers["Set-Cookie"]


def test_wrong_password_and_unknown_user_answer_alike(client: FlaskClient, user: object) -> None:
    wrong = login(client, "nv.mot", "wrong password!")
    unknown = login(client, "nobody", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert client.get("/nhan-vien").status_code == 302


def test_lockout_after_five_failures(client: FlaskClient, user: object) -> None:
    for _ in range(5):
        login(client, "nv.mot", "wrong password!")
    resp = login(client, "nv.mot")  # the right password, but locked
    assert resp.status_code == 429
    assert "tạm khoá" in resp.get_data(as_text=True)


def test_missing_csrf_token_is_refused(client: FlaskClient, user: object) -> None:
    resp = client.post("/dang-nhap", data={"username": "nv.mot", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/nhan-vien").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_next_must_be_a_local_path(client: FlaskClient, user: object, target: str) -> None:
    resp = login(client, "nv.mot", next_=target)
    assert resp.status_code == 303 and resp.headers["Location"] == "/nhan-vien"


def test_next_local_path_is_followed(client: FlaskClient, user: object) -> None:
    resp = login(client, "nv.mot", next_="/nhan-vien?x=1")
    assert resp.headers["Location"] == "/nhan-vien?x=1"


def test_staff_page_requires_login(client: FlaskClient) -> None:
    resp = client.get("/nhan-vien")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/dang-nhap?next=")


def test_logout(client: FlaskClient, user: object) -> None:
    login(client, "nv.mot")
    token = csrf_of(client, "/nhan-vien")
    assert client.post("/dang-xuat", data={}).status_code == 400  # no CSRF token
    resp = client.post("/dang-xuat", data={"csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"] == "/dang-nhap"
    assert client.get("/nhan-vien").status_code == 302


def test_forced_password_change(app: Flask, client: FlaskClient) -> None:
    user = make_user("nv.moi", unit=make_unit(), must_change=True)
    resp = login(client, "nv.moi")
    assert resp.headers["Location"] == "/doi-mat-khau"
    assert client.get("/nhan-vien").headers["Location"] == "/doi-mat-khau"
    token = csrf_of(client, "/doi-mat-khau")
    bad = client.post(
        "/doi-mat-khau",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "a new password",
            "confirm": "different!!",
        },
    )
    assert bad.status_code == 400
    resp = client.post(
        "/doi-mat-khau",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "a new password",
            "confirm": "a new password",
        },
    )
    assert resp.status_code == 303 and resp.headers["Location"] == "/nhan-vien"
    db.session.refresh(user)
    assert user.must_change_password is False
    assert client.get("/nhan-vien").status_code == 200


def test_a_new_password_ends_the_accounts_other_sessions(
    app: Flask, client: FlaskClient, user: object
) -> None:
    from flask import g

    phone = app.test_client()  # the same account signed in elsewhere
    assert login(client, "nv.mot").status_code == login(phone, "nv.mot").status_code == 303
    assert phone.get("/nhan-vien").status_code == 200
    token = csrf_of(client, "/doi-mat-khau")
    resp = client.post(
        "/doi-mat-khau",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "another password",
            "confirm": "another password",
        },
    )
    assert resp.status_code == 303
    g.pop("_login_user", None)
    assert client.get("/nhan-vien").status_code == 200  # this session goes on
    g.pop("_login_user", None)
    assert phone.get("/nhan-vien").status_code == 302  # the other one ended
    assert login(phone, "nv.mot", "another password").status_code == 303
    assert phone.get("/nhan-vien").status_code == 200


def test_a_session_id_without_the_current_stamp_is_refused(app: Flask, user: object) -> None:
    from survey_app.services.accounts import load_user

    account = db.session.scalar(db.select(User).where(User.username == "nv.mot"))
    assert load_user(account.get_id()) is account
    assert load_user(str(account.id)) is None  # a session from before the stamps
    assert load_user(f"{account.id}.0123456789abcdef") is None
    assert load_user("x.y") is None


def test_english_login_page(client: FlaskClient) -> None:
    html = client.get("/dang-nhap?lang=en").get_data(as_text=True)
    assert "Username" in html and "Password" in html
