"""The header menu, the landing pages and the error pages (issue 12, item 1).

The menu is built from the access table: every link it shows opens (200) for that role, and
every page of the menu that a role may open is offered to it — so no role is left typing
addresses, and no link leads to a 403.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from survey_app.auth.navigation import MENU, allowed
from survey_app.models import Unit
from survey_app.services.access.capabilities import LANDINGS, Landing, landing_of

from ..factories import csrf_of, login, login_as, make_counter, make_unit, make_user

ROLES = ("staff", "unit_head", "office", "inspector", "admin")
LANDING_PATHS = {
    "staff": "/nhan-vien",
    "unit_head": "/nhan-vien",
    "office": "/van-phong",
    "inspector": "/thanh-tra",
    "admin": "/quan-tri",
}


@pytest.fixture
def unit(app: object) -> Unit:
    unit = make_unit("U1", "Đơn vị Một")
    make_counter(unit)
    return unit


def _menu_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="main-menu".*?</nav>', html, re.S)
    assert nav, html[:1500]
    return re.findall(r'<a href="([^"]+)" class="nav-', nav.group(0))


@pytest.mark.parametrize("role", ROLES)
def test_sign_in_lands_on_the_roles_page(client: FlaskClient, unit: Unit, role: str) -> None:
    make_user(f"u.{role}", role, None if role == "admin" else unit)
    resp = login(client, f"u.{role}")
    assert resp.status_code == 303
    assert resp.headers["Location"] == LANDING_PATHS[role]
    assert client.get(resp.headers["Location"]).status_code == 200


def test_a_safe_next_wins_over_the_landing(client: FlaskClient, unit: Unit) -> None:
    make_user("u.office", "office", unit)
    assert login(client, "u.office", next_="/phan-anh").headers["Location"] == "/phan-anh"
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client, "/phan-anh")})
    resp = login(client, "u.office", next_="//evil.example/x")
    assert resp.headers["Location"] == "/van-phong"


def test_landing_order_follows_the_table() -> None:
    """The first role held, in LANDINGS order, decides: an admin who is also staff lands on
    the administration."""

    class Role:
        def __init__(self, role: str) -> None:
            self.role = role

    class User:
        is_authenticated = True

        def __init__(self, *roles: str) -> None:
            self.roles = [Role(r) for r in roles]

    assert landing_of(User("staff", "admin")) == Landing.ADMIN
    assert landing_of(User("unit_head", "inspector")) == Landing.INSPECTOR
    assert landing_of(User()) == Landing.STAFF
    assert {role for role, _ in LANDINGS} == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_menu_offers_exactly_the_pages_the_role_may_open(
    client: FlaskClient, unit: Unit, role: str
) -> None:
    user = login_as(client, role, None if role == "admin" else unit)
    html = client.get(LANDING_PATHS[role]).get_data(as_text=True)
    links = _menu_links(html)
    expected = [e.prefix for e in MENU if allowed(user, e)]
    assert links == expected
    for path in links:
        assert client.get(path).status_code == 200, path
    for entry in MENU:  # a page left out of the menu is one the role may not open
        if entry.prefix not in links:
            assert client.get(entry.prefix).status_code == 403, entry.prefix
    assert 'aria-current="page"' in html
    assert 'action="/dang-xuat"' in html and 'name="csrf_token"' in html  # sign-out is a POST


def test_admin_index_lists_every_section(client: FlaskClient) -> None:
    login_as(client, "admin", None)
    html = client.get("/quan-tri").get_data(as_text=True)
    for path in ("/quan-tri/don-vi", "/quan-tri/quay", "/quan-tri/thu-tuc", "/quan-tri/tai-khoan"):
        assert f'href="{path}"' in html
    assert "Nhật ký thay đổi" in html


def test_admin_index_is_403_for_others(client: FlaskClient, unit: Unit) -> None:
    login_as(client, "office", unit)
    resp = client.get("/quan-tri")
    assert resp.status_code == 403
    html = resp.get_data(as_text=True)
    assert "không có quyền" in html and "mã QR" not in html  # not a random token that holds "QR"
    assert 'id="home-link"' in html and 'href="/van-phong" id="home-link"' in html


def test_staff_404_speaks_to_staff(client: FlaskClient, unit: Unit) -> None:
    login_as(client, "staff", unit)
    for path in ("/quan-tri/khong-co", "/van-phong/don-vi/KHONG", "/khong-co-trang-nay"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code in (403, 404), path
        if resp.status_code == 404:
            assert "không tồn tại" in html and "quét mã QR" not in html, path
        assert 'id="home-link"' in html, path


def test_public_404_keeps_the_qr_wording(client: FlaskClient) -> None:
    for path in ("/f/khong-co-ma", "/khong-co-trang-nay"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 404
        assert "quét mã QR" in html
        assert 'href="/" id="home-link"' in html


def test_a_visitor_in_a_staff_area_is_sent_to_sign_in(client: FlaskClient) -> None:
    html = client.get("/quan-tri/khong-co").get_data(as_text=True)
    assert "không tồn tại" in html and 'href="/dang-nhap" id="home-link"' in html


def test_500_page_has_the_same_style_and_a_way_home(client: FlaskClient, unit: Unit) -> None:
    app = client.application

    @app.get("/nhan-vien/hong")
    def broken() -> str:
        raise RuntimeError("boom")

    login_as(client, "staff", unit)
    resp = client.get("/nhan-vien/hong")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "Có lỗi xảy ra" in html and "boom" not in html and 'id="home-link"' in html


def test_change_password_page_from_the_menu(client: FlaskClient, unit: Unit) -> None:
    login_as(client, "staff", unit)
    html = client.get("/doi-mat-khau").get_data(as_text=True)
    assert "ít nhất 10 ký tự" in html
    assert 'name="current"' in html and 'name="new"' in html and 'name="confirm"' in html
