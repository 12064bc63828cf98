"""Complaints in a real browser: a unit head marks a citizen's comment, assigns, answers, closes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Unit

from ..factories import PASSWORD, make_user
from .conftest import UNIT_CODE, LiveServer, watch_page

pytestmark = pytest.mark.browser

COMMENT = "Phải chờ 2 tiếng <script>alert(1)</script> mà không ai hướng dẫn"


def _accounts(server: LiveServer) -> None:
    with server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        make_user("truong.pa", "unit_head", unit)
        make_user("nv.pa", "staff", unit)
        db.session.remove()


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def _shoot(page: Any, shots: list[Path], name: str) -> None:
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


def test_unit_head_handles_a_complaint(
    live_server: LiveServer, browser: Any, page: Any, page_problems: list[str], shots: list[Path]
) -> None:
    page.goto(live_server.form_url("Q4"))
    page.locator('label:has(input[name="C1"][value="1"])').click()
    page.fill("#comment", COMMENT)
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_url("**/cam-on")

    _accounts(live_server)
    page.goto(f"{live_server.url}/nhan-vien")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', "truong.pa")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/nhan-vien**")

    item = page.locator("#comment-list li", has_text="Phải chờ 2 tiếng").first
    assert COMMENT in item.inner_text()
    _fits(page)
    _shoot(page, shots, "staff-home-mark-360.png")
    item.get_by_role("button", name="Đánh dấu là phản ánh").click()
    page.wait_for_url("**/phan-anh/danh-dau/*")  # asks first (survey_app/auth/confirm.py)
    assert COMMENT in page.locator("#confirm-thing").inner_text()
    page.locator("button.danger").click()
    page.wait_for_url("**/phan-anh/*")
    assert page.locator("#comment").inner_text() == COMMENT
    detail_url = page.url

    page.select_option("#assignee", label="nv.pa")
    page.get_by_role("button", name="Giao xử lý").click()
    page.wait_for_url(detail_url)
    assert "Đã giao" in page.locator("#status").inner_text()

    page.fill("#answer-text", "Xin lỗi ông/bà, bộ phận đã bố trí thêm người hướng dẫn.")
    page.get_by_role("button", name="Lưu trả lời").click()
    page.wait_for_url(detail_url)
    assert "Đã trả lời" in page.locator("#status").inner_text()
    _fits(page)
    _shoot(page, shots, "complaint-answered-360.png")

    page.get_by_role("button", name="Đóng phản ánh").click()
    page.wait_for_url(detail_url)
    assert "Đã đóng" in page.locator("#status").inner_text()
    steps = page.locator("#history li")
    assert steps.count() == 4
    texts = [steps.nth(i).inner_text() for i in range(4)]
    for text, action in zip(
        texts, ("Đánh dấu là phản ánh", "Giao xử lý", "Trả lời", "Đóng"), strict=True
    ):
        assert action in text and "truong.pa" in text
    assert "nv.pa" in texts[1]
    _fits(page)
    _shoot(page, shots, "complaint-detail-360.png")

    page.goto(f"{live_server.url}/phan-anh")
    assert COMMENT in page.inner_text("body")
    assert "Thời gian xử lý" in page.inner_text("body")
    _fits(page)
    _shoot(page, shots, "complaints-list-360.png")

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        wide = watch_page(desktop.new_page(), page_problems)
        wide.goto(f"{live_server.url}/dang-nhap")
        wide.fill('input[name="username"]', "truong.pa")
        wide.fill('input[name="password"]', PASSWORD)
        wide.locator("form button[type=submit]").first.click()
        wide.wait_for_url("**/nhan-vien**")
        wide.goto(f"{live_server.url}/phan-anh")
        _fits(wide)
        _shoot(wide, shots, "complaints-list-1280.png")
        wide.goto(detail_url)
        _fits(wide)
        _shoot(wide, shots, "complaint-detail-1280.png")
    finally:
        desktop.close()
    assert page_problems == []
