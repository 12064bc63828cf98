"""Import in a real browser: an office user uploads a file, sees the preview, confirms; a file
with bad rows shows every error in a table. Phone and desktop widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Response, Unit

from ..factories import PASSWORD, make_user
from ..imports.helpers import row, write_csv
from .conftest import UNIT_CODE, LiveServer, watch_page

pytestmark = pytest.mark.browser


def _fits(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def _shoot(page: Any, shots: list[Path], name: str) -> None:
    for folder in shots:
        page.screenshot(path=str(folder / name), full_page=True)


def _sign_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/nhap-du-lieu")
    page.wait_for_url("**/dang-nhap**")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/nhap-du-lieu")


def _paper(server: LiveServer) -> int:
    with server.app.app_context():
        n = db.session.scalar(
            select(func.count()).select_from(Response).where(Response.source == "paper")
        )
        db.session.remove()
    return int(n or 0)


def test_office_imports_a_file(
    live_server: LiveServer,
    browser: Any,
    page: Any,
    page_problems: list[str],
    shots: list[Path],
    tmp_path: Path,
) -> None:
    with live_server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        make_user("van.phong.nhap", "office", unit)
        db.session.remove()
    good = write_csv(
        tmp_path / "phieu-giay-thang-3.csv",
        [
            row(
                unit_code=UNIT_CODE,
                counter_code="Q2",
                A1="5",
                B1="4",
                C1="5",
                comment="Cán bộ hướng dẫn tận tình, dễ hiểu",
            ),
            row(unit_code=UNIT_CODE, procedure_code="2.000889", A1="4", D1="3", Q5="1"),
            row(unit_code=UNIT_CODE, channel="buu_chinh", A1="3", X8="4"),
        ],
    )
    bad = write_csv(
        tmp_path / "phieu-loi.csv",
        [
            row(unit_code=UNIT_CODE, A1="5"),
            row(unit_code=UNIT_CODE, A1="6"),
            row(unit_code="KHAC", A1="4"),
            row(unit_code=UNIT_CODE, counter_code="Q99", A1="4"),
            row(unit_code=UNIT_CODE, submitted_at="02/03/2026", A1="4"),
        ],
    )

    _sign_in(page, live_server, "van.phong.nhap")
    assert page.get_by_role("link", name="Tải mẫu nhập phiếu (.xlsx)").count() == 1
    _fits(page)
    _shoot(page, shots, "import-start-360.png")

    page.set_input_files("#import-file", str(bad))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    page.wait_for_selector("#errors")
    assert "có 4 lỗi; chưa nhập phiếu nào" in page.inner_text("h2#h-errors")
    lines = page.locator("#errors tbody tr td:first-child").all_inner_texts()
    assert lines == ["3", "4", "5", "6"]
    _fits(page)
    _shoot(page, shots, "import-errors-360.png")
    assert _paper(live_server) == 0

    page.set_input_files("#import-file", str(good))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    page.wait_for_selector("#n-new")
    assert page.inner_text("#n-new") == "3" and page.inner_text("#n-skipped") == "0"
    _fits(page)
    _shoot(page, shots, "import-preview-360.png")
    assert _paper(live_server) == 0  # the preview stores nothing

    page.get_by_role("button", name="Xác nhận nhập 3 phiếu").click()
    page.wait_for_url("**/nhap-du-lieu")
    assert "Đã nhập 3 phản hồi mới từ tệp “phieu-giay-thang-3.csv”" in page.inner_text("body")
    assert _paper(live_server) == 3
    _fits(page)
    _shoot(page, shots, "import-done-360.png")

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        wide = watch_page(desktop.new_page(), page_problems)
        _sign_in(wide, live_server, "van.phong.nhap")
        wide.set_input_files("#import-file", str(good))
        wide.get_by_role("button", name="Kiểm tra tệp").click()
        wide.wait_for_selector("#n-skipped")
        assert wide.inner_text("#n-skipped") == "3"  # the same file again: nothing new
        assert "Mọi phiếu trong tệp đều đã có" in wide.inner_text("body")
        _fits(wide)
        _shoot(wide, shots, "import-again-1280.png")
        wide.set_input_files("#import-file", str(bad))
        wide.get_by_role("button", name="Kiểm tra tệp").click()
        wide.wait_for_selector("#errors")
        _fits(wide)
        _shoot(wide, shots, "import-errors-1280.png")
    finally:
        desktop.close()
    assert _paper(live_server) == 3
    assert page_problems == []
