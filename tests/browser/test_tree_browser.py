"""The unit tree in a real browser, over the demo province (``sipas demo``'s data): the
office overview and the report rank the ward of Bến Hải's one-stop desk once — the ward is
the desk's subtotal, shown indented above it, never a second ranked unit — at 360 px and
1280 px.  Screenshots in /tmp/sipas-shots/ (``shots``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from survey_app.extensions import db
from survey_app.models import Base
from survey_app.services import demo

from ..conftest import make_app
from ..factories import PASSWORD, make_user, seed_questionnaires
from ..queue_helpers import InlineWorker
from .conftest import LiveServer, serving

pytestmark = pytest.mark.browser

WARD, DESK = "MC.BH", "MC.BH.MC"
SERVING = {"MC.TTHCC", "MC.VPDK", "MC.BH.MC", "MC.AT.MC"}  # the demo's units with counters
SIZES = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("tree-live")
    db_url = f"sqlite:///{folder / 'live.sqlite'}"
    app = make_app(db_url, REPORTS_DIR=str(folder / "reports"))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        seed_questionnaires()
        units = demo.create_organisation()
        demo.generate_responses(1500, seed=11)
        make_user("van.phong", "office", units["MC"], must_change=False)
        db.session.remove()
    with InlineWorker(app) as worker, serving(app, "sipas-tree") as url:
        try:
            yield LiveServer(app, url, db_url, folder / "live.sqlite")
        finally:
            assert worker.wait_idle(30)


def _login(page: Any, server: LiveServer, path: str) -> None:
    page.goto(f"{server.url}{path}")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', "van.phong")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"**{path}")


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def _shot(page: Any, shots: list[Path], name: str) -> None:
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


@pytest.mark.parametrize("size", SIZES)
def test_overview_ranks_the_wards_desk_once(
    demo_server: LiveServer, browser: Any, shots: list[Path], size: str
) -> None:
    context = browser.new_context(viewport=SIZES[size], locale="vi-VN")
    try:
        page = context.new_page()
        _login(page, demo_server, "/van-phong")
        rows = page.eval_on_selector_all(
            "table.tree-table tbody tr",
            "rs => rs.map(r => [r.dataset.unit, r.dataset.depth,"
            " r.querySelector('td.rank').innerText.trim()])",
        )
        codes = [code for code, _depth, _rank in rows]
        assert codes.count(WARD) == 1 and codes.count(DESK) == 1
        depth = {code: int(d) for code, d, _rank in rows}
        assert depth[DESK] == depth[WARD] + 1  # indented under its ward
        assert codes.index(DESK) == codes.index(WARD) + 1
        ranked = {code: rank for code, _d, rank in rows if rank.isdigit()}
        assert DESK in ranked and WARD not in ranked  # the ward is a subtotal (Σ)
        assert set(ranked) <= SERVING
        assert sorted(int(r) for r in ranked.values()) == list(range(1, len(ranked) + 1))
        assert "trực tiếp phục vụ người dân" in page.inner_text("main")  # says what is ranked
        _fits(page)
        _shot(page, shots, f"tree-overview-{size}.png")
        # The ward's drill-down lists its desk with its figures.
        page.click(f'tr[data-unit="{WARD}"] th a')
        page.wait_for_url(f"**/don-vi/{WARD}**")
        assert page.locator(f'#h-sub-units ~ * tr[data-unit="{DESK}"]').count() == 1
        assert "Đơn vị chưa có quầy nào" not in page.inner_text("main")
        _fits(page)
        _shot(page, shots, f"tree-ward-{size}.png")
    finally:
        context.close()


def test_report_ranks_the_wards_desk_once(
    demo_server: LiveServer, browser: Any, shots: list[Path]
) -> None:
    context = browser.new_context(viewport=SIZES["1280"], locale="vi-VN")
    try:
        page = context.new_page()
        _login(page, demo_server, "/bao-cao")
        page.click("text=Lập báo cáo")
        page.wait_for_url("**/bao-cao/*")
        job_url = page.url
        page.wait_for_selector("text=Báo cáo đã sẵn sàng", timeout=120_000)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(job_url + "/xem")
            page.wait_for_function("[...document.images].every(i => i.complete)")
            codes = page.eval_on_selector_all(
                "#bang-xep_hang tbody td.rp-col-ma", "cs => cs.map(c => c.innerText.trim())"
            )
            assert codes.count(DESK) == 1 and WARD not in codes
            assert set(codes[1:]) <= SERVING  # the first row: the whole province
            summary = page.inner_text("#rp-tom-tat + p + p")
            met = re.search(r"(\d+)/(\d+)", summary)
            assert met and int(met.group(2)) <= len(SERVING), summary  # each unit once
            tree = page.eval_on_selector_all(
                "#bang-cay_don_vi tbody td.rp-col-ma", "cs => cs.map(c => c.innerText.trim())"
            )
            assert tree.index(DESK) == tree.index(WARD) + 1  # the tree: the desk under its ward
            _fits(page)
            _shot(page, shots, f"tree-report-{size}.png")
        chart = page.locator("img[src*='xep_hang']").first.get_attribute("src")
        svg = page.request.get(demo_server.url + chart).text()
        assert "Phường Bến Hải (n=" not in svg and "…" not in svg  # no ward bar, names whole
    finally:
        context.close()
