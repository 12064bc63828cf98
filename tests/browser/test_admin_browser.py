"""Administration in a real browser: an admin rotates a counter's QR token; the old link dies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from survey_app.extensions import db

from ..factories import PASSWORD, make_user
from .conftest import LiveServer, watch_page

pytestmark = pytest.mark.browser

COUNTER = "Q6"


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def _shoot(page: Any, shots: list[Path], name: str) -> None:
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


def _sign_in(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/quan-tri/quay")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', "quan.tri")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()


def test_admin_rotates_a_token(
    live_server: LiveServer, browser: Any, page: Any, page_problems: list[str], shots: list[Path]
) -> None:
    with live_server.app.app_context():
        make_user("quan.tri", "admin")
        db.session.remove()
    old_url = live_server.form_url(COUNTER)
    page.goto(old_url)  # the old link works (and is cached by the server)
    assert page.locator("form").count() > 0

    _sign_in(page, live_server)
    page.wait_for_url("**/quan-tri/quay")
    item = page.locator("li", has=page.locator("strong", has_text="Quầy số 6"))
    assert item.locator("a.public-url").inner_text() == old_url
    _fits(page)
    _shoot(page, shots, "admin-counters-360.png")

    item.get_by_role("button", name="Đổi mã QR").click()
    page.wait_for_url("**/quan-tri/quay/*/doi-ma")  # asks first (survey_app/auth/confirm.py)
    assert "Đổi mã QR của quầy này?" in page.locator("h1").inner_text()
    page.locator("button.danger").click()
    page.wait_for_url("**/quan-tri/quay#quay-*")
    assert "Đã đổi mã QR của quầy Quầy số 6" in page.inner_text("body")
    new_url = item.locator("a.public-url").inner_text()
    assert new_url != old_url and new_url.startswith(f"{live_server.url}/f/")
    _fits(page)
    _shoot(page, shots, "admin-counters-rotated-360.png")

    gone = page.goto(old_url)
    assert gone is not None and gone.status == 404
    assert "Mã QR hoặc đường dẫn này không còn hiệu lực" in page.inner_text("body")
    _fits(page)
    _shoot(page, shots, "admin-old-link-360.png")
    response = page.goto(new_url)
    assert response is not None and response.status == 200
    assert page.get_by_role("button", name="Gửi đánh giá").count() == 1

    page.goto(f"{live_server.url}/quan-tri/nhat-ky")
    first = page.locator("#audit li").first
    assert "Đổi mã QR" in first.inner_text() and "quan.tri" in first.inner_text()
    _fits(page)
    _shoot(page, shots, "admin-log-360.png")

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        wide = watch_page(desktop.new_page(), page_problems)
        _sign_in(wide, live_server)
        wide.wait_for_url("**/quan-tri/quay")
        _fits(wide)
        _shoot(wide, shots, "admin-counters-1280.png")
        wide.goto(f"{live_server.url}/quan-tri/nhat-ky")
        _fits(wide)
        _shoot(wide, shots, "admin-log-1280.png")
    finally:
        desktop.close()
    assert page_problems == []
