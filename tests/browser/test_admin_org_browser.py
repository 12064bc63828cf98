"""Administration in a real browser: an admin adds a unit under another, imports a procedure
list from CSV (a bad file first: every bad row reported, nothing stored), and creates an
account with a role at the new unit, whose temporary password then signs in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Procedure, Unit, User

from ..factories import PASSWORD, make_user
from .conftest import UNIT_CODE, LiveServer, watch_page

pytestmark = pytest.mark.browser

GOOD_CSV = (
    "code,name,field,target_group,units\n"
    "9.000001,Cấp giấy phép xây dựng nhà ở riêng lẻ,Xây dựng,dat_dai_xay_dung_dau_tu,XA\n"
    "9.000002,Đăng ký kết hôn,Hộ tịch,chung,XA BT\n"
)
BAD_CSV = (
    "code,name,field,target_group,units\n"
    "9.000003,,Hộ tịch,chung,XA\n"
    "9.000004,Thủ tục,Hộ tịch,khong_co,KHONG\n"
)


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def _shoot(page: Any, shots: list[Path], name: str) -> None:
    _fits(page)
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


def _sign_in(page: Any, server: LiveServer, path: str, username: str, password: str) -> None:
    page.goto(f"{server.url}{path}")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.locator("form button[type=submit]").first.click()


def _codes(server: LiveServer) -> list[str]:
    with server.app.app_context():
        codes = list(
            db.session.scalars(
                select(Procedure.code).where(Procedure.code.like("9.%")).order_by(Procedure.code)
            )
        )
        db.session.remove()
    return codes


def test_admin_adds_a_unit_imports_procedures_and_creates_an_account(
    live_server: LiveServer,
    browser: Any,
    page: Any,
    page_problems: list[str],
    shots: list[Path],
    tmp_path: Path,
) -> None:
    with live_server.app.app_context():
        make_user("qt.donvi", "admin")
        db.session.remove()

    _sign_in(page, live_server, "/quan-tri/don-vi", "qt.donvi", PASSWORD)
    page.wait_for_url("**/quan-tri/don-vi")
    form = page.locator("#add-unit")
    form.locator('input[name="code"]').fill("XA")
    form.locator('input[name="name"]').fill("UBND xã Bình Thử Đông")
    form.locator('input[name="kind"]').fill("UBND xã")
    form.locator('input[name="place_name"]').fill("Bộ phận một cửa xã Bình Thử Đông")
    form.locator('select[name="parent"]').select_option(UNIT_CODE)
    form.locator('select[name="target_group"]').select_option("dat_dai_xay_dung_dau_tu")
    form.locator('select[name="questionnaire"]').select_option("sipas-2024-nhanh")
    form.get_by_role("button", name="Thêm đơn vị").click()
    page.wait_for_url("**/quan-tri/don-vi#don-vi-*")
    assert "Đã thêm đơn vị UBND xã Bình Thử Đông." in page.inner_text("body")
    parent_item = page.locator("#tree li", has=page.locator("strong", has_text="Bình Thử")).first
    child = parent_item.locator("ul li", has_text="UBND xã Bình Thử Đông")
    assert child.count() == 1 and "sipas-2024-nhanh" in child.inner_text()
    _shoot(page, shots, "admin-units-360.png")

    page.get_by_role("link", name="Thủ tục").first.click()
    page.wait_for_url("**/quan-tri/thu-tuc")
    bad = tmp_path / "sai.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    page.set_input_files("#import-file", str(bad))
    page.get_by_role("button", name="Nhập danh sách").click()
    errors = page.locator("#import-errors")
    assert "Chưa nhập gì: tệp có 3 lỗi." in errors.inner_text()
    assert "Dòng 2, cột name: Thiếu tên thủ tục." in errors.inner_text()
    assert "Dòng 3, cột units: Không có đơn vị mang mã: KHONG." in errors.inner_text()
    assert _codes(live_server) == []
    _shoot(page, shots, "admin-procedures-errors-360.png")

    good = tmp_path / "thu-tuc.csv"
    good.write_bytes(("\ufeff" + GOOD_CSV).encode())
    page.set_input_files("#import-file", str(good))
    page.get_by_role("button", name="Nhập danh sách").click()
    page.wait_for_url("**/quan-tri/thu-tuc")
    assert "2 thêm mới, 0 cập nhật, 0 không đổi, 3 liên kết đơn vị mới" in page.inner_text("body")
    assert _codes(live_server) == ["9.000001", "9.000002"]
    page.fill("#q", "kết hôn")
    page.get_by_role("button", name="Tìm").click()
    item = page.locator("#procedures li")
    assert item.count() == 1 and "BT, XA" in item.inner_text()
    _shoot(page, shots, "admin-procedures-360.png")

    page.get_by_role("link", name="Tài khoản").first.click()
    page.wait_for_url("**/quan-tri/tai-khoan")
    form = page.locator("#add-account")
    form.locator('input[name="username"]').fill("nv.xa")
    form.locator('select[name="role"]').select_option("staff")
    form.locator('select[name="unit"]').select_option("XA")
    form.get_by_role("button", name="Tạo tài khoản").click()
    password = page.locator("#temporary-password").inner_text()
    assert len(password) >= 12
    assert "Công chức một cửa · XA" in page.locator("#accounts").inner_text()
    _shoot(page, shots, "admin-accounts-360.png")

    page.locator("#accounts a", has_text="nv.xa").click()
    page.wait_for_url("**/quan-tri/tai-khoan/*")
    _shoot(page, shots, "admin-account-360.png")
    page.goto(f"{live_server.url}/quan-tri/nhat-ky")
    log = page.locator("#audit").inner_text()
    for action in ("Tạo tài khoản", "Nhập danh sách thủ tục", "Thêm đơn vị"):
        assert action in log
    assert password not in page.content()
    _shoot(page, shots, "admin-org-log-360.png")

    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.username == "nv.xa"))
        unit = db.session.scalar(select(Unit).where(Unit.code == "XA"))
        assert user is not None and unit is not None and user.must_change_password
        assert [(a.role, a.unit_id) for a in user.roles] == [("staff", unit.id)]
        assert unit.parent is not None and unit.parent.code == UNIT_CODE
        db.session.remove()

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        wide = watch_page(desktop.new_page(), page_problems)
        _sign_in(wide, live_server, "/quan-tri/don-vi", "qt.donvi", PASSWORD)
        wide.wait_for_url("**/quan-tri/don-vi")
        _shoot(wide, shots, "admin-units-1280.png")
        wide.goto(f"{live_server.url}/quan-tri/thu-tuc")
        _shoot(wide, shots, "admin-procedures-1280.png")
        wide.goto(f"{live_server.url}/quan-tri/tai-khoan")
        _shoot(wide, shots, "admin-accounts-1280.png")
        wide.locator("#accounts a", has_text="nv.xa").click()
        wide.wait_for_url("**/quan-tri/tai-khoan/*")
        _shoot(wide, shots, "admin-account-1280.png")

        newcomer = watch_page(desktop.new_page(), page_problems)
        desktop.clear_cookies()
        _sign_in(newcomer, live_server, "/nhan-vien", "nv.xa", password)
        newcomer.wait_for_url("**/doi-mat-khau")
        _shoot(newcomer, shots, "admin-new-account-first-login-1280.png")
    finally:
        desktop.close()
    assert page_problems == []
