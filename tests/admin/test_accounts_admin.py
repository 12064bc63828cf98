"""Administration of accounts and roles: create with a temporary password shown once, roles
(role × unit, admin without unit, staff possibly narrowed to one counter of the unit),
disable/enable, reset password, unlock; no self-lockout; audit entries without passwords or
hashes; access and CSRF."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Counter, Response, RoleAssignment, Unit, User, utcnow
from survey_app.services.analytics import staff as dashboard
from survey_app.services.clock import local_day

from ..factories import csrf_of, login, login_as, make_counter, make_unit, make_user

PAGE = "/quan-tri/tai-khoan"


@pytest.fixture
def unit(app: Flask) -> Unit:
    return make_unit("U1", "Đơn vị Một")


@pytest.fixture
def admin(client: FlaskClient, unit: Unit) -> FlaskClient:
    login_as(client, "admin", None, "quan.tri")
    return client


@pytest.fixture
def staff(unit: Unit) -> User:
    return make_user("nv.mot", "staff", unit)


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _user(username: str) -> User:
    db.session.expire_all()
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None
    return found


CONFIRMED = {"confirm": "1"}  # destructive steps ask first (survey_app/auth/confirm.py)


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
    g.pop("_login_user", None)  # the test's app context is shared by every client's requests
    resp = client.post(
        path, data={"csrf_token": csrf_of(client, PAGE), **CONFIRMED, **(data or {})}
    )
    return resp.status_code, resp.get_data(as_text=True)


def _password(html: str) -> str:
    found = re.search(r'id="temporary-password">([^<]+)<', html)
    assert found, html[:2000]
    return found.group(1)


def _no_secrets(entries: list[AuditEntry], *passwords: str) -> None:
    text = json.dumps([[e.before, e.after] for e in entries], ensure_ascii=False)
    assert "$argon2" not in text and "hash" not in text
    for password in passwords:
        assert password not in text


@pytest.mark.parametrize("role", ["staff", "unit_head", "office", "inspector"])
def test_other_roles_get_403(client: FlaskClient, unit: Unit, staff: User, role: str) -> None:
    login_as(client, role, unit)
    token = csrf_of(client, "/nhan-vien")
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/{staff.id}").status_code == 403
    for suffix in (
        "",
        "/vai-tro",
        "/go-vai-tro",
        "/vo-hieu",
        "/kich-hoat",
        "/mo-khoa",
        "/dat-lai-mat-khau",
    ):
        path = PAGE if not suffix else f"{PAGE}/{staff.id}{suffix}"
        resp = client.post(
            path, data={"csrf_token": token, "username": "ke.gian", "role": "admin", "unit": ""}
        )
        assert resp.status_code == 403, path
    assert _entries() == [] and [a.role for a in _user(f"demo.{role}").roles] == [role]


def test_changes_need_csrf(admin: FlaskClient, staff: User) -> None:
    for path in (
        PAGE,
        f"{PAGE}/{staff.id}/vai-tro",
        f"{PAGE}/{staff.id}/vo-hieu",
        f"{PAGE}/{staff.id}/dat-lai-mat-khau",
    ):
        resp = admin.post(path, data={"username": "ke.gian", "role": "admin"})
        assert resp.status_code == 400, path
    assert _entries() == [] and _user("nv.mot").active
    assert db.session.scalar(select(User).where(User.username == "ke.gian")) is None


def test_list_shows_roles_and_units(admin: FlaskClient, staff: User) -> None:
    html = admin.get(PAGE).get_data(as_text=True)
    assert "nv.mot" in html and "Công chức một cửa · U1" in html
    assert "quan.tri" in html and "Quản trị viên" in html


def test_create_account_shows_the_password_once_and_forces_a_change(
    app: Flask, admin: FlaskClient, unit: Unit
) -> None:
    status, html = _post(admin, PAGE, {"username": "lanh.dao", "role": "unit_head", "unit": "U1"})
    assert status == 200
    password = _password(html)
    assert len(password) >= 12
    user = _user("lanh.dao")
    assert user.must_change_password and user.password_hash != password
    assert [(a.role, a.unit.code if a.unit else None) for a in user.roles] == [("unit_head", "U1")]
    assert password not in admin.get(PAGE).get_data(as_text=True)  # shown once
    (entry,) = _entries()
    assert (entry.action, entry.target_type, entry.target_id, entry.before) == (
        "account.add",
        "user",
        str(user.id),
        None,
    )
    assert entry.after == {
        "username": "lanh.dao",
        "active": True,
        "must_change_password": True,
        "locked": False,
        "roles": ["unit_head@U1"],
    }
    _no_secrets(_entries(), password)
    newcomer = app.test_client()
    resp = login(newcomer, "lanh.dao", password)
    assert resp.status_code == 303 and resp.headers["Location"] == "/doi-mat-khau"


def test_create_admin_needs_no_unit(admin: FlaskClient, unit: Unit) -> None:
    status, _html = _post(admin, PAGE, {"username": "qt.hai", "role": "admin", "unit": ""})
    assert status == 200
    assert [(a.role, a.unit_id) for a in _user("qt.hai").roles] == [("admin", None)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "nv.mot", "role": "staff", "unit": "U1"}, "Tên đăng nhập nv.mot đã có."),
        ({"username": "Ab", "role": "staff", "unit": "U1"}, "Tên đăng nhập phải dài 3–40 ký tự"),
        ({"username": "nv.hai", "role": "staff", "unit": ""}, "Vai trò staff cần một đơn vị."),
        (
            {"username": "nv.hai", "role": "staff", "unit": "KHONG"},
            "Không có đơn vị nào mang mã KHONG.",
        ),
        ({"username": "nv.hai", "role": "vua", "unit": "U1"}, "Vai trò vua không tồn tại"),
    ],
)
def test_create_errors_are_friendly(
    admin: FlaskClient, staff: User, data: dict[str, str], message: str
) -> None:
    status, html = _post(admin, PAGE, data)
    assert status == 400 and message in html and 'role="alert"' in html
    assert 'id="temporary-password"' not in html
    assert db.session.scalar(select(User).where(User.username == "nv.hai")) is None
    assert _entries() == []


def test_add_and_remove_roles(admin: FlaskClient, unit: Unit, staff: User) -> None:
    make_unit("U2", "Đơn vị Hai")
    path = f"{PAGE}/{staff.id}"
    assert _post(admin, f"{path}/vai-tro", {"role": "office", "unit": "U2"})[0] == 303
    status, html = _post(admin, f"{path}/vai-tro", {"role": "office", "unit": "U2"})
    assert status == 400 and "Tài khoản đã có vai trò này." in html
    assert _post(admin, f"{path}/vai-tro", {"role": "admin", "unit": "U2"})[0] == 303
    user = _user("nv.mot")
    assert [(a.role, a.unit.code if a.unit else None) for a in user.roles] == [
        ("staff", "U1"),
        ("office", "U2"),
        ("admin", None),
    ]  # admin: no unit, whatever sent
    first = user.roles[0].id
    assert _post(admin, f"{path}/go-vai-tro", {"assignment": str(first)})[0] == 303
    assert [a.role for a in _user("nv.mot").roles] == ["office", "admin"]
    assert _post(admin, f"{path}/go-vai-tro", {"assignment": str(first)})[0] == 404
    add1, add2, remove = _entries()
    assert (add1.action, add1.before, add1.after) == (
        "account.role_add",
        {"roles": ["staff@U1"]},
        {"roles": ["staff@U1", "office@U2"]},
    )
    assert add2.after == {"roles": ["staff@U1", "office@U2", "admin"]}
    assert (remove.action, remove.before, remove.after) == (
        "account.role_remove",
        {"roles": ["staff@U1", "office@U2", "admin"]},
        {"roles": ["office@U2", "admin"]},
    )


def test_admin_cannot_remove_their_own_last_admin_role(admin: FlaskClient, unit: Unit) -> None:
    me = _user("quan.tri")
    (mine,) = me.roles
    status, html = _post(admin, f"{PAGE}/{me.id}/go-vai-tro", {"assignment": str(mine.id)})
    assert status == 400
    assert "Bạn không thể gỡ vai trò quản trị cuối cùng của chính mình" in html
    assert [a.role for a in _user("quan.tri").roles] == ["admin"] and _entries() == []
    # With a second admin role (a unit-less one cannot be doubled, so add another role
    # first), removing one admin role of one's own is fine once another admin remains.
    other = make_user("qt.hai", "admin")
    assert (
        _post(admin, f"{PAGE}/{other.id}/go-vai-tro", {"assignment": str(other.roles[0].id)})[0]
        == 303
    )
    assert _user("qt.hai").roles == []


def test_admin_cannot_disable_themselves(admin: FlaskClient, unit: Unit) -> None:
    me = _user("quan.tri")
    status, html = _post(admin, f"{PAGE}/{me.id}/vo-hieu")
    assert status == 400 and "Bạn không thể tự khoá tài khoản của chính mình." in html
    assert _user("quan.tri").active and _entries() == []


def test_disable_ends_sessions_and_enable_restores(
    app: Flask, admin: FlaskClient, staff: User
) -> None:
    other = app.test_client()
    assert login(other, "nv.mot").status_code == 303
    assert other.get("/nhan-vien").status_code == 200
    assert _post(admin, f"{PAGE}/{staff.id}/vo-hieu")[0] == 303
    g.pop("_login_user", None)
    assert other.get("/nhan-vien").status_code == 302  # signed out
    assert login(other, "nv.mot").status_code == 401  # refused
    assert _post(admin, f"{PAGE}/{staff.id}/vo-hieu")[0] == 400
    assert _post(admin, f"{PAGE}/{staff.id}/kich-hoat")[0] == 303
    assert login(other, "nv.mot").status_code == 303
    off, on = _entries()
    assert (off.action, off.before, off.after) == (
        "account.disable",
        {"active": True},
        {"active": False},
    )
    assert (on.action, on.before, on.after) == (
        "account.enable",
        {"active": False},
        {"active": True},
    )


def test_reset_password_forces_a_change_and_lifts_a_lockout(
    app: Flask, admin: FlaskClient, staff: User
) -> None:
    staff.locked_until = utcnow() + timedelta(minutes=15)
    db.session.commit()
    signed_in = app.test_client()  # a session opened before the lockout
    with signed_in.session_transaction() as session:
        session["_user_id"] = staff.get_id()
        session["_fresh"] = True
    assert signed_in.get("/nhan-vien").status_code == 200
    status, html = _post(admin, f"{PAGE}/{staff.id}/dat-lai-mat-khau")
    assert status == 200
    g.pop("_login_user", None)
    assert signed_in.get("/nhan-vien").status_code == 302  # the reset ended it
    password = _password(html)
    user = _user("nv.mot")
    assert user.must_change_password and user.locked_until is None
    other = app.test_client()
    assert login(other, "nv.mot").status_code == 401  # the old password no longer works
    resp = login(other, "nv.mot", password)
    assert resp.status_code == 303 and resp.headers["Location"] == "/doi-mat-khau"
    (entry,) = _entries()
    assert (entry.action, entry.before, entry.after) == (
        "account.reset_password",
        {"password_reset": False, "must_change_password": False, "locked": True},
        {"password_reset": True, "must_change_password": True, "locked": False},
    )
    _no_secrets(_entries(), password)


def test_unlock(app: Flask, admin: FlaskClient, staff: User) -> None:
    other = app.test_client()
    for _attempt in range(int(app.config["LOGIN_MAX_FAILURES"])):
        login(other, "nv.mot", "wrong password!")
    assert "Tài khoản tạm khoá" in login(other, "nv.mot").get_data(as_text=True)
    html = admin.get(PAGE).get_data(as_text=True)
    assert "Tạm khoá" in html
    assert _post(admin, f"{PAGE}/{staff.id}/mo-khoa")[0] == 303
    assert login(other, "nv.mot").status_code == 303
    status, html = _post(admin, f"{PAGE}/{staff.id}/mo-khoa")
    assert status == 400 and "Tài khoản không bị tạm khoá." in html
    (entry,) = _entries()
    assert (entry.action, entry.before, entry.after) == (
        "account.unlock",
        {"locked": True},
        {"locked": False},
    )


def test_unknown_account_is_404(admin: FlaskClient, unit: Unit) -> None:
    assert admin.get(f"{PAGE}/9999").status_code == 404
    assert _post(admin, f"{PAGE}/9999/vo-hieu")[0] == 404


def test_log_names_the_account(admin: FlaskClient, staff: User) -> None:
    assert _post(admin, f"{PAGE}/{staff.id}/vo-hieu")[0] == 303
    html = admin.get("/quan-tri/nhat-ky").get_data(as_text=True)
    assert "Vô hiệu hoá tài khoản" in html and "nv.mot" in html


def test_role_assignments_keep_their_rule(admin: FlaskClient, staff: User) -> None:
    """No assignment without a unit except admin (the database constraint still holds)."""
    assert _post(admin, f"{PAGE}/{staff.id}/vai-tro", {"role": "inspector", "unit": ""})[0] == 400
    rows = db.session.scalars(select(RoleAssignment)).all()
    assert all(a.unit_id is not None or a.role == "admin" for a in rows)


# -- a staff role narrowed to one counter of its unit ----------------------------------------


def _respond(counter: Counter, comment: str) -> None:
    at = utcnow()
    db.session.add(
        Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=counter.unit_id,
            counter_id=counter.id,
            target_group="chung",
            submitted_at=at,
            local_day=local_day(at),
            answers={"A1": 5},
            comment=comment,
            source="qr",
        )
    )
    db.session.commit()


def _roles(username: str) -> list[tuple[str, str | None, str | None]]:
    return [
        (a.role, a.unit.code if a.unit else None, a.counter.code if a.counter else None)
        for a in _user(username).roles
    ]


def test_a_staff_role_narrowed_to_a_counter_from_the_page(
    app: Flask, admin: FlaskClient, unit: Unit, staff: User
) -> None:
    mine = make_counter(unit, "Q1", "Quầy Một")
    other = make_counter(unit, "Q2", "Quầy Hai")
    _respond(mine, "góp ý ở quầy một")
    _respond(other, "góp ý ở quầy hai")
    path = f"{PAGE}/{staff.id}"
    assert 'name="counter"' in admin.get(path).get_data(as_text=True)
    status, _html = _post(
        admin, f"{path}/vai-tro", {"role": "staff", "unit": "U1", "counter": " Q1 "}
    )
    assert status == 303
    assert _roles("nv.mot") == [("staff", "U1", None), ("staff", "U1", "Q1")]
    assigned = _user("nv.mot").roles[1]
    assert isinstance(assigned, RoleAssignment) and assigned.counter_id == mine.id
    # The same role × unit × counter again is refused; the unit-wide one was not a duplicate.
    status, html = _post(admin, f"{path}/vai-tro", {"role": "staff", "unit": "U1", "counter": "Q1"})
    assert status == 400 and "Tài khoản đã có vai trò này." in html
    # Without the unit-wide role, the account sees its counter only.
    whole = _user("nv.mot").roles[0].id
    assert _post(admin, f"{path}/go-vai-tro", {"assignment": str(whole)})[0] == 303
    assert dashboard.scope_ids(_user("nv.mot")) == (set(), {mine.id})
    for page in (path, PAGE):
        assert "Công chức một cửa · U1 / Q1" in admin.get(page).get_data(as_text=True)
    add, remove = _entries()
    assert (add.action, add.before, add.after) == (
        "account.role_add",
        {"roles": ["staff@U1"]},
        {"roles": ["staff@U1", "staff@U1/Q1"]},
    )
    assert remove.after == {"roles": ["staff@U1/Q1"]}
    signed_in = app.test_client()
    g.pop("_login_user", None)
    assert login(signed_in, "nv.mot").status_code == 303
    html = signed_in.get("/nhan-vien").get_data(as_text=True)
    assert "Quầy Một" in html and "góp ý ở quầy một" in html
    assert "Quầy Hai" not in html and "góp ý ở quầy hai" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"role": "unit_head", "unit": "U1", "counter": "Q1"},
            "Chỉ vai trò staff (công chức một cửa) mới giới hạn được ở một quầy: "
            "với vai trò unit_head,",
        ),
        (
            {"role": "admin", "unit": "", "counter": "Q1"},
            "Chỉ vai trò staff (công chức một cửa) mới giới hạn được ở một quầy: "
            "với vai trò admin,",
        ),
        (
            {"role": "staff", "unit": "U1", "counter": "KHONG"},
            "Đơn vị U1 không có quầy nào mang mã KHONG.",
        ),
        (
            {"role": "staff", "unit": "U1", "counter": "Q2"},  # a counter of U2
            "Đơn vị U1 không có quầy nào mang mã Q2.",
        ),
    ],
    ids=["unit_head", "admin", "unknown counter", "counter of another unit"],
)
def test_counter_errors_change_nothing(
    admin: FlaskClient, unit: Unit, staff: User, data: dict[str, str], message: str
) -> None:
    make_counter(unit, "Q1", "Quầy Một")
    make_counter(make_unit("U2", "Đơn vị Hai"), "Q2", "Quầy Hai")
    status, html = _post(admin, f"{PAGE}/{staff.id}/vai-tro", data)
    assert status == 400 and message in html and 'role="alert"' in html
    assert f'value="{data["counter"]}"' in html  # the form keeps what was typed
    assert _roles("nv.mot") == [("staff", "U1", None)] and _entries() == []
    status, html = _post(admin, PAGE, {"username": "nv.hai", **data})
    assert status == 400 and message in html and 'id="temporary-password"' not in html
    assert db.session.scalar(select(User).where(User.username == "nv.hai")) is None
    assert _entries() == []


def test_create_an_account_narrowed_to_a_counter(admin: FlaskClient, unit: Unit) -> None:
    counter = make_counter(unit, "Q1", "Quầy Một")
    status, html = _post(
        admin, PAGE, {"username": "nv.quay", "role": "staff", "unit": "U1", "counter": "Q1"}
    )
    assert status == 200 and _password(html)
    assert _roles("nv.quay") == [("staff", "U1", "Q1")]
    assert dashboard.scope_ids(_user("nv.quay")) == (set(), {counter.id})
    (entry,) = _entries()
    assert entry.action == "account.add" and entry.after["roles"] == ["staff@U1/Q1"]
    assert "Công chức một cửa · U1 / Q1" in admin.get(PAGE).get_data(as_text=True)
