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
        live_server: LiveServer, page: Any, page_problems: list[str],
        shots: list[Path]) -> None:
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
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/nhan-vien**")
    body = page.inner_text("body")
    assert "Chờ quá lâu <script>alert(1)</script>" in body  # shown as text, not run
    assert "Quầy số 6" in body
    for folder in shots:
        page.screenshot(path=str(folder / "staff-home-360.png"), full_page=True)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], "the staff page scrolls sideways on a phone"
    assert page_problems == []
