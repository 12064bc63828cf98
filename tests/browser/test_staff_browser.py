"""Staff pages in a real browser: forced password change, login, today's feedback, logout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from survey_app.extensions import db

from ..factories import PASSWORD, make_user
from .conftest import UNIT_CODE, LiveServer

pytestmark = pytest.mark.browser


def _account(server: LiveServer, username: str, must_change: bool) -> None:
    from sqlalchemy import select

    from survey_app.models import Unit

    with server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        make_user(username, "unit_head", unit, must_change=must_change)
        db.session.remove()


def test_first_login_changes_password_then_sees_todays_feedback(
    live_server: LiveServer, page: Any, page_problems: list[str], shots: list[Path]
) -> None:
    # A citizen rates counter Q6 with a comment a moment earlier.
    page.goto(live_server.form_url("Q6"))
    page.locator('label:has(input[name="C1"][value="2"])').click()
    page.fill("#comment", "Chờ quá lâu <script>alert(1)</script>")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_url("**/cam-on")

    _account(live_server, "truong.bp", must_change=True)
    page.goto(f"{live_server.url}/nhan-vien")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', "truong.bp")
    page.fill('input[name="password"]', PASSWORD)
    for folder in shots:
        page.screenshot(path=str(folder / "login-360.png"), full_page=True)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/doi-mat-khau**")
    new_password = "mat-khau-moi-2026"
    inputs = page.locator('input[type="password"]')
    assert inputs.count() >= 2
    if inputs.count() == 3:
        inputs.nth(0).fill(PASSWORD)
        inputs.nth(1).fill(new_password)
        inputs.nth(2).fill(new_password)
    else:
        inputs.nth(0).fill(new_password)
        inputs.nth(1).fill(new_password)
    page.locator('form[action="/doi-mat-khau"] button[type=submit]').click()
    page.wait_for_url("**/nhan-vien**")
    body = page.inner_text("body")
    assert "Chờ quá lâu <script>alert(1)</script>" in body  # shown as text, not run
    assert "Quầy số 6" in body
    for folder in shots:
        page.screenshot(path=str(folder / "staff-home-360.png"), full_page=True)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], "the staff page scrolls sideways on a phone"
    assert page_problems == []


def _login(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/nhan-vien")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/nhan-vien**")


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def test_todays_feedback_refreshes_itself(
    live_server: LiveServer,
    browser: Any,
    page: Any,
    phone_context: Any,
    page_problems: list[str],
    shots: list[Path],
) -> None:
    from .conftest import watch_page

    live_server.app.config["STAFF_REFRESH_SECONDS"] = 1
    # Earlier today: one citizen at counter Q5, rating A1 "Rất hài lòng".
    page.goto(live_server.form_url("Q5"))
    page.locator('label:has(input[name="A1"][value="5"])').click()
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_url("**/cam-on")

    _account(live_server, "truong.ct", must_change=False)
    _login(page, live_server, "truong.ct")
    assert page.locator("#sipas").inner_text().strip() not in ("", "–")
    body = page.inner_text("body")
    assert "SIPAS" in body and "Tiếp cận dịch vụ" in body and "Chưa đủ dữ liệu" in body
    page.wait_for_function(
        "() => { const i = document.querySelector('img.trend');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    before = page.locator("#low-list > li").count()
    total = int(page.locator("#total").inner_text())

    # A citizen, on another phone, rates counter Q5 badly while the page stays open.
    citizen = watch_page(phone_context.new_page(), page_problems)
    citizen.goto(live_server.form_url("Q5"))
    citizen.locator('label:has(input[name="C2"][value="1"])').click()
    citizen.fill("#comment", "Cán bộ <b>không</b> hướng dẫn")
    citizen.get_by_role("button", name="Gửi đánh giá").click()
    citizen.wait_for_url("**/cam-on")
    citizen.close()

    newest = page.locator("#low-list > li").first
    newest.locator('[data-item="C2"]').wait_for(timeout=8_000)
    # In words: the item's text, its factor and the answer — not "C2: 1".
    assert "hướng dẫn hồ sơ dễ hiểu" in newest.inner_text()
    assert "Rất không hài lòng (1)" in newest.inner_text() and "C2: 1" not in newest.inner_text()
    assert page.locator("#low-list > li").count() == before + 1
    # The badge in the title and the header, and every figure from the same refresh.
    assert page.title().startswith("(1) ")
    assert page.locator("#new-count").inner_text() == "1"
    assert "Quầy số 5" in newest.inner_text()
    assert "Cán bộ <b>không</b> hướng dẫn" in newest.inner_text()  # text, not markup
    assert int(page.locator("#total").inner_text()) == total + 1
    assert "Cán bộ <b>không</b> hướng dẫn" in page.locator("#comment-list li").first.inner_text()
    _fits(page)
    for folder in shots:
        page.screenshot(path=str(folder / "staff-today-360.png"), full_page=True)

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        wide = watch_page(desktop.new_page(), page_problems)
        _login(wide, live_server, "truong.ct")
        wide.wait_for_function(
            "() => { const i = document.querySelector('img.trend');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
        _fits(wide)
        for folder in shots:
            wide.screenshot(path=str(folder / "staff-today-1280.png"), full_page=True)
    finally:
        desktop.close()
    assert page_problems == []
