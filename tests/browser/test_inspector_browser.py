"""The inspector's integrity page in a real browser: sign in, choose the reporting cut-off,
drill from a unit to its counters, open a conduct complaint; counter staff get neither the
page nor its link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Response, Unit
from survey_app.services import complaints, org
from survey_app.services.ingest import responses

from ..factories import PASSWORD, make_user
from .conftest import UNIT_CODE, LiveServer, open_menu

pytestmark = pytest.mark.browser

CONDUCT = "<script>alert(1)</script> Cán bộ quầy 5 <b>gợi ý</b> “chi phí bồi dưỡng”"
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN"}


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    """Twelve responses with Q5/Q6 at counter Q5 and a conduct complaint; an inspector, a
    unit head and a counter clerk of the unit."""
    server = live_server
    with server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        assert unit is not None
        desk = db.session.scalar(
            select(Counter).where(Counter.unit_id == unit.id, Counter.code == "Q5")
        )
        assert desk is not None
        info = org.counter_by_token(server.tokens["Q5"])
        assert info is not None
        when = datetime.now(UTC) - timedelta(hours=1)
        for i in range(12):  # 4 of 12 met harassment (Q5 = 2), 1 paid (Q6 = 3)
            answers = {"C1": 4, "Q5": 2 if i < 4 else 1, "Q6": 3 if i == 0 else 1}
            responses.submit(
                info,
                forms.get(info.questionnaire_id),
                responses.Submission(answers=answers, submitted_at=when),
            )
        stored = responses.submit(
            info,
            forms.get(info.questionnaire_id),
            responses.Submission(answers={"C1": 1}, comment=CONDUCT, submitted_at=when),
        )
        head = make_user("truong.bt", "unit_head", unit)
        complaints.mark(db.session.get(Response, stored.response_id), "thai_do", head)
        make_user("thanh.tra", "inspector", unit)
        make_user("nv.quay5", "staff", unit)
        db.session.remove()
    return server


def _login(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/dang-nhap")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda u: "/dang-nhap" not in u)


def _fits(page: Any) -> None:
    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, f"the page scrolls sideways: {width} px in {window} px"


def _shot(page: Any, shots: list[Path], name: str) -> None:
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


def test_inspector_drills_down_and_opens_a_conduct_complaint(
    seeded: LiveServer, page: Any, page_problems: list[str], shots: list[Path], browser: Any
) -> None:
    live_server = seeded
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _login(page, live_server.url, "thanh.tra")
    open_menu(page)  # on a phone the header menu is a disclosure
    page.locator("a.nav-inspector").click()  # the header link
    page.wait_for_url("**/thanh-tra")
    page.check('input[name="moc"][value="bao_cao"]')  # the period picker's cut-off
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**moc=bao_cao**")
    row = page.locator(f'#h-units ~ * tr[data-unit="{UNIT_CODE}"]')  # the tree, below triage
    q5 = row.locator('td[data-item="Q5"]').inner_text()
    # 4 of 12: the response with the comment left Q5 unanswered; the interval's lower end
    # (13,8 %) is above the 5 % threshold
    assert "33,3" in q5 and "n = 12" in q5 and "vượt ngưỡng" in q5
    triage = page.locator(f'#h-triage ~ * tr[data-unit="{UNIT_CODE}"]')
    assert triage.locator("td.rank").inner_text() == "1"
    complaint = page.locator("li[data-complaint]")
    assert complaint.count() == 1
    assert "<script>alert(1)</script> Cán bộ quầy 5 <b>gợi ý</b>" in complaint.inner_text()
    _fits(page)
    _shot(page, shots, "inspector-index-360.png")

    row.locator("th a").click()  # drill down: the unit's counters
    page.wait_for_url(f"**/thanh-tra/don-vi/{UNIT_CODE}?**moc=bao_cao**")
    counter = page.locator('tr[data-counter="Q5"]')
    assert "33,3" in counter.locator('td[data-item="Q5"]').inner_text()  # 4 / 12
    assert "8,3" in counter.locator('td[data-item="Q6"]').inner_text()  # 1 / 12
    assert page.locator('tr[data-counter="Q1"] td[data-item="Q5"]').inner_text().startswith("–")
    _fits(page)
    _shot(page, shots, "inspector-unit-360.png")

    page.locator("li[data-complaint] a").first.click()  # to the complaint itself
    page.wait_for_url("**/phan-anh/*")
    assert "Thái độ cán bộ" in page.inner_text("body")
    assert dialogs == [] and page_problems == []

    desktop = browser.new_context(**DESKTOP)
    try:
        wide = desktop.new_page()
        _login(wide, live_server.url, "thanh.tra")
        wide.goto(f"{live_server.url}/thanh-tra/don-vi/{UNIT_CODE}")
        _fits(wide)
        _shot(wide, shots, "inspector-unit-1280.png")
    finally:
        desktop.close()


def test_counter_staff_get_neither_the_page_nor_its_link(
    seeded: LiveServer, page: Any, page_problems: list[str]
) -> None:
    _login(page, seeded.url, "nv.quay5")
    page.goto(f"{seeded.url}/nhan-vien")
    assert page.locator("a.nav-inspector").count() == 0
    body = page.inner_text("body")
    assert "Cán bộ quầy 5" not in body and "sách nhiễu" not in body  # signals: none
    assert "ngoài quy định" not in body
    response = page.goto(f"{seeded.url}/thanh-tra")
    assert response is not None and response.status == 403
