"""Report packs in a real browser: an office user makes a quarterly report of the demo data,
watches its progress, opens the printable HTML view and downloads the XLSX."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from survey_app.extensions import db
from survey_app.models import Base
from survey_app.services import demo

from ..conftest import make_app
from ..factories import PASSWORD, make_user, seed_questionnaires
from ..queue_helpers import InlineWorker
from .conftest import LiveServer, serving

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def _shot(page: Any, shots: list[Path], name: str) -> None:
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def _login(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/bao-cao")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', "bao.cao")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/bao-cao")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server of its own over the demo province (``sipas demo``'s data)."""
    folder = tmp_path_factory.mktemp("reports-live")
    db_url = f"sqlite:///{folder / 'live.sqlite'}"
    app = make_app(db_url, REPORTS_DIR=str(folder / "reports"))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        seed_questionnaires()
        units = demo.create_organisation()
        demo.generate_responses(1500, seed=11)
        make_user("bao.cao", "office", units["MC"], must_change=False)
        db.session.remove()
    with InlineWorker(app) as worker, serving(app, "sipas-reports") as url:
        try:
            yield LiveServer(app, url, db_url, folder / "live.sqlite")
        finally:
            assert worker.wait_idle(30)


def test_office_user_makes_a_quarterly_report(
    demo_server: LiveServer, page: Any, shots: list[Path], browser: Any, tmp_path: Path
) -> None:
    _login(page, demo_server)
    assert page.locator('select[name="don_vi"] option[value="MC"]').count() == 1
    assert page.locator('input[name="loai"][value="quy"]').is_checked()
    _fits(page)
    year = page.evaluate("""() => { const i = document.querySelector('input[name="nam"]');
        const s = getComputedStyle(i); return [parseFloat(s.fontSize), i.offsetHeight]; }""")
    assert year[0] >= 16 and year[1] >= 40, f"year input font/height on a phone: {year}"
    _shot(page, shots, "reports-form-360.png")

    page.click("text=Lập báo cáo")
    page.wait_for_url("**/bao-cao/*")
    job_url = page.url
    # The progress bar while it runs (a quick machine may already be done).
    if page.locator("#job-progress").count():
        _shot(page, shots, "reports-progress-360.png")
        _fits(page)
    page.wait_for_selector("text=Báo cáo đã sẵn sàng", timeout=120_000)  # the script reloads
    _fits(page)
    assert "Xong lúc –" not in page.inner_text("#job")
    _shot(page, shots, "reports-done-360.png")

    with page.expect_download() as info:
        page.click("text=Tải bảng tính Excel (XLSX)")
    download = info.value
    assert download.suggested_filename.startswith("bao-cao-sipas-")
    saved = tmp_path / download.suggested_filename
    download.save_as(str(saved))
    book = openpyxl.load_workbook(saved)
    assert any(
        isinstance(c.value, int | float)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
    )

    page.click("text=Xem và in trên trình duyệt")
    page.wait_for_url("**/xem")
    assert "Tóm tắt" in page.inner_text("article.report-page")
    images = page.locator("article.report-page img")
    assert images.count() >= 1
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#print-report").is_visible()  # the script shows the print button
    _fits(page)
    _shot(page, shots, "reports-view-360.png")

    desktop = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    try:
        wide = desktop.new_page()
        _login(wide, demo_server)
        _shot(wide, shots, "reports-form-1280.png")
        wide.goto(job_url)
        _shot(wide, shots, "reports-done-1280.png")
        wide.goto(job_url + "/xem")
        wide.wait_for_function("[...document.images].every(i => i.complete)")
        _fits(wide)
        # The ranking table: names get room (a line holds several words) and every header,
        # the last one included, is inside the table's wrapper.
        name, wrap, last = wide.evaluate("""() => {
            const t = document.getElementById('bang-xep_hang');
            const box = e => e.getBoundingClientRect();
            return [box(t.querySelector('td.rp-col-don_vi')).width,
                    box(t.parentElement).right, box(t.querySelector('thead th:last-child')).right];
        }""")
        assert name >= 150, f"unit names squeezed to {name}px"
        assert last <= wrap + 1, f"last header cut off: {last} > {wrap}"
        _shot(wide, shots, "reports-view-1280.png")
        wide.emulate_media(media="print")
        assert not wide.locator("header.no-print").is_visible()  # printed without navigation
        _shot(wide, shots, "reports-view-print.png")
    finally:
        desktop.close()


def test_without_javascript_the_job_page_reloads_itself(
    demo_server: LiveServer, browser: Any
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        _login(page, demo_server)
        page.check('input[name="loai"][value="nam"]')
        page.check('input[name="moc"][value="bao_cao"]')
        page.click("text=Lập báo cáo")
        page.wait_for_url("**/bao-cao/*")
        # No script runs: only the <noscript> refresh brings the finished page.
        page.wait_for_selector("text=Báo cáo đã sẵn sàng", timeout=120_000)
        assert "từ 15/12/" in page.inner_text("dl.facts")  # the 15th–14th reporting year
        page.click("text=Xem và in trên trình duyệt")
        assert "Tóm tắt" in page.inner_text("article.report-page")
        assert not page.locator("#print-report").is_visible()  # the print button needs a script
    finally:
        context.close()
