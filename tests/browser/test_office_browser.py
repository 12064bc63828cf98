"""The office overview in a real browser: login, sort, drill from the overview to an item."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import forms
from scoring import parse_period, period_label
from survey_app.extensions import db
from survey_app.models import Counter, Response, Unit
from survey_app.services.analytics.office import previous_label
from survey_app.services.clock import today_local

from ..factories import PASSWORD, make_counter, make_unit, make_user
from .conftest import UNIT_CODE, LiveServer

pytestmark = pytest.mark.browser

ITEMS = [c for codes in forms.get("sipas-2024-dv").factors().values() for c in codes]
DESKTOP = {"width": 1280, "height": 900}


def _respond(counter: Counter, value: int, n: int, day: date | None = None) -> None:
    day = day or today_local()
    at = datetime.combine(day, time(3, 0), tzinfo=UTC)
    db.session.add_all(
        Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=counter.unit_id,
            counter_id=counter.id,
            target_group="chung",
            channel="truc_tiep",
            submitted_at=at,
            local_day=day,
            answers=dict.fromkeys(ITEMS, value),
            source="qr",
        )
        for _ in range(n)
    )
    db.session.commit()


def _seed(server: LiveServer) -> None:
    with server.app.app_context():
        centre = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        assert centre is not None
        commune = make_unit("XA-DONG", "Xã Đông <Thử>", parent=centre)
        desk = db.session.scalar(
            select(Counter).where(Counter.unit_id == centre.id, Counter.code == "Q1")
        )
        assert desk is not None
        _respond(desk, 5, 30)
        _respond(desk, 2, 6)
        last_quarter = previous_label(period_label(today_local(), "quarter"))
        _respond(desk, 2, 30, parse_period(last_quarter)[0])  # all dissatisfied back then
        _respond(make_counter(commune, "Q1", "Quầy Xã Đông"), 1, 12)
        make_user("van.phong", "office", centre, must_change=False)
        db.session.remove()


def _shot(page: Any, shots: list[Path], name: str) -> None:
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"


def test_office_user_sorts_and_drills_to_an_item(
    live_server: LiveServer, page: Any, page_problems: list[str], shots: list[Path], browser: Any
) -> None:
    _seed(live_server)
    page.goto(f"{live_server.url}/van-phong")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', "van.phong")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.goto(f"{live_server.url}/van-phong")
    assert page.locator("tr[data-unit]").count() == 2
    body = page.inner_text("body")
    assert "Xã Đông <Thử>" in body and "chưa đủ dữ liệu" in body
    assert "+62,5 *" in page.inner_text(f'tr[data-unit="{UNIT_CODE}"]')  # 0 → 62,5
    _fits(page)
    _shot(page, shots, "office-overview-360.png")

    # Sort by SIPAS: siblings are sorted, the centre stays above its commune (the tree).
    page.locator("thead a", has_text="SIPAS").click()
    page.wait_for_url("**sap_xep=sipas**")
    assert page.locator("th[aria-sort]", has_text="SIPAS").count() == 1
    order = [r.get_attribute("data-unit") for r in page.locator("tr[data-unit]").all()]
    assert order == [UNIT_CODE, "XA-DONG"]

    # Drill down: overview → the centre → counter Q1 → item C1.
    page.locator(f'tr[data-unit="{UNIT_CODE}"] th a').click()
    page.wait_for_url(f"**/van-phong/don-vi/{UNIT_CODE}**")
    assert page.locator('tr[data-counter="Q1"]').count() == 1
    _fits(page)
    _shot(page, shots, "office-unit-360.png")
    page.locator('tr[data-counter="Q1"] th a').click()
    page.wait_for_url(f"**/van-phong/don-vi/{UNIT_CODE}/quay/Q1**")
    item = page.locator("#item-C1")
    assert "lịch sự" in item.inner_text() and "36" in item.inner_text()
    _fits(page)
    _shot(page, shots, "office-counter-360.png")
    page.locator("nav.crumbs a").first.click()
    page.wait_for_url("**/van-phong?**")
    assert page_problems == []

    # The same pages at desktop width.
    desktop = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    try:
        wide = desktop.new_page()
        for cookie in page.context.cookies():
            desktop.add_cookies([cookie])
        for path, name in (
            ("/van-phong?sap_xep=sipas&chieu=tang", "office-overview-1280.png"),
            (f"/van-phong/don-vi/{UNIT_CODE}", "office-unit-1280.png"),
            (f"/van-phong/don-vi/{UNIT_CODE}/quay/Q1", "office-counter-1280.png"),
        ):
            wide.goto(f"{live_server.url}{path}")
            assert wide.locator("h1").count() == 1
            if name == "office-overview-1280.png":
                # Every column, the coverage ones last, is in view on a desktop: the table
                # does not need its sideways scroll at 1280 px.
                client, scroll = wide.evaluate(
                    "[document.querySelector('.scroll').clientWidth,"
                    " document.querySelector('.scroll').scrollWidth]"
                )
                assert scroll <= client, (scroll, client)
            _shot(wide, shots, name)
    finally:
        desktop.close()
