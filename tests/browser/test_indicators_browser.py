"""The office page of the 766 measures on a phone (360 px): it fits, its table scrolls within
its own region, and late against on time shows on request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..factories import PASSWORD, make_user
from ..indicators import fixture
from .conftest import LiveServer

pytestmark = pytest.mark.browser


def test_indicators_page_on_a_phone(
    live_server: LiveServer, page: Any, page_problems: list[str], shots: list[Path]
) -> None:
    with live_server.app.app_context():
        units = fixture.build()
        make_user("vp.chiso", "office", units["P"], must_change=False)
    page.goto(f"{live_server.url}/dang-nhap")
    page.fill('input[name="username"]', "vp.chiso")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.goto(f"{live_server.url}/van-phong/chi-so-ho-so?ky=2025-Q4")
    assert page.inner_text("#rate-5-4").strip() == "86,0"
    order = [r.get_attribute("id") for r in page.locator("table.indicators tbody tr").all()]
    assert order == ["don-vi-A", "don-vi-B"]
    page.locator("#show-late").click()
    page.wait_for_url("**tre_han=1**")
    assert page.locator("#tre-han-toan-bo").count() == 1
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
    for folder in shots:
        page.screenshot(path=str(folder / "office-indicators-360.png"), full_page=True)
    assert page_problems == []
