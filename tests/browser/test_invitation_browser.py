"""A dossier's invitation in a real browser, on a phone (360 px), against a live server —
with JavaScript on and off (issue 13).

The slip is printed by the real ``sipas invitations slip`` command, rasterised with pdftoppm
and its QR code decoded with zbarimg; chromium opens the decoded link, the citizen answers and
sees the thank-you; the same link opened again says "already rated"; the stored response
carries the dossier, and ``sipas export`` has its row (source ``invitation``, ``verified`` 1).
"""

from __future__ import annotations

import csv
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Response, Unit

from ..factories import make_dossier
from .conftest import PHONE, UNIT_CODE, UNIT_NAME, LiveServer, watch_page
from .test_public_form_browser import (
    _need_tool,
    _sipas,
    assert_no_horizontal_scroll,
    checked,
    choose,
    save_shot,
)

pytestmark = pytest.mark.browser

PROCEDURE = "2.000889"  # Đăng ký khai sinh


def _dossier(live_server: LiveServer, code: str, counter: str) -> int:
    with live_server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        desk = db.session.scalar(
            select(Counter).where(Counter.unit_id == unit.id, Counter.code == counter)
        )
        procedure = db.session.scalar(select(Procedure).where(Procedure.code == PROCEDURE))
        received = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
        dossier = make_dossier(
            unit,
            code,
            counter=desk,
            procedure=procedure,
            received_at=received,
            returned_at=datetime.now(UTC) - timedelta(hours=2),
            channel="truc_tiep",
        )
        dossier_id = int(dossier.id)
        db.session.remove()
    return dossier_id


def _run(live_server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [_sipas(), *args], env=live_server.cli_env(), capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return run


def _slip_url(live_server: LiveServer, code: str, tmp_path: Path) -> str:
    pdftoppm, zbarimg = _need_tool("pdftoppm"), _need_tool("zbarimg")
    pdf = tmp_path / "slip.pdf"
    _run(live_server, "invitations", "slip", code, "--format", "a6", "--out", str(pdf))
    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "slip")],
        check=True,
        timeout=60,
    )
    decoded = subprocess.run(
        [zbarimg, "--raw", "-q", str(tmp_path / "slip.png")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert decoded.returncode == 0, decoded.stderr
    return decoded.stdout.strip()


def _stored(live_server: LiveServer, dossier_id: int) -> list[Response]:
    with live_server.app.app_context():
        db.session.expire_all()
        rows = list(db.session.scalars(select(Response).where(Response.dossier_id == dossier_id)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def _export_rows(live_server: LiveServer, tmp_path: Path, name: str) -> list[dict[str, str]]:
    out = tmp_path / name
    _run(live_server, "export", "--unit", UNIT_CODE, "--out", str(out))
    return list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_slip_to_verified_response(
    live_server: LiveServer,
    browser: Any,
    page_problems: list[str],
    tmp_path: Path,
    shots: list[Path],
    js: bool,
) -> None:
    code = f"BT.01-261008-{1 if js else 2:04d}"
    counter = "Q5" if js else "Q6"
    dossier_id = _dossier(live_server, code, counter)
    before = _export_rows(live_server, tmp_path, "before.csv")
    url = _slip_url(live_server, code, tmp_path)
    assert url.startswith(f"{live_server.url}/ho-so/")

    context = browser.new_context(java_script_enabled=js, **PHONE)
    try:
        page = watch_page(context.new_page(), page_problems)
        page.goto(url)
        header = page.locator("header").inner_text()
        assert "Đánh giá việc giải quyết hồ sơ" in header
        assert "Đăng ký khai sinh, nộp ngày 08/10/2026" in header
        assert UNIT_NAME in header and f"Quầy số {counter[1]}" in header
        assert page.locator("#procedure").count() == 0  # the dossier says it
        assert "được gắn với mã hồ sơ" in page.locator("#rieng-tu").inner_text()
        assert_no_horizontal_scroll(page)
        save_shot(page, shots, f"invitation-{'js' if js else 'nojs'}.png")
        wanted = {"A1": 5, "B2": 4, "D1": 2}
        for item, value in wanted.items():
            choose(page, item, value)
        assert checked(page) == {k: str(v) for k, v in wanted.items()}
        page.fill("#comment", "Trả kết quả đúng hẹn.")
        with page.expect_navigation(url=f"{url}/cam-on"):
            page.locator("button[type=submit]").click()
        assert "Cảm ơn Ông/Bà đã đánh giá!" in page.locator("main").inner_text()
        assert_no_horizontal_scroll(page)

        page.goto(url)  # the same link again
        assert "Hồ sơ này đã được đánh giá" in page.locator("main").inner_text()
        assert page.locator("input[type=radio]").count() == 0
        assert_no_horizontal_scroll(page)
        page.goto(url.replace("/ho-so/", "/h/"))  # the SMS link too
        assert "Hồ sơ này đã được đánh giá" in page.locator("main").inner_text()
    finally:
        context.close()
    assert page_problems == []

    [stored] = _stored(live_server, dossier_id)
    assert stored.answers == wanted and stored.source == "invitation"
    assert stored.comment == "Trả kết quả đúng hẹn."
    after = _export_rows(live_server, tmp_path, "after.csv")
    assert len(after) == len(before) + 1
    [new] = [row for row in after if row["response_id"] == str(stored.id)]
    assert (new["source"], new["counter_code"], new["procedure_code"], new["verified"]) == (
        "invitation",
        counter,
        PROCEDURE,
        "1",
    )
    verified_rows = [row for row in after if row["verified"] == "1"]
    assert len(verified_rows) == sum(row["verified"] == "1" for row in before) + 1
    assert code not in (tmp_path / "after.csv").read_text(encoding="utf-8-sig")


def test_dossier_code_typed_on_the_counter_form(
    live_server: LiveServer, browser: Any, page_problems: list[str]
) -> None:
    """Without a link: "Tôi có mã hồ sơ" on the counter's form, JavaScript off."""
    code = "BT.01-261008-0003"
    dossier_id = _dossier(live_server, code, "Q4")
    context = browser.new_context(java_script_enabled=False, **PHONE)
    try:
        page = watch_page(context.new_page(), page_problems)
        page.goto(live_server.form_url("Q4"))
        page.get_by_role("link", name="Tôi có mã hồ sơ").click()
        page.fill("#code", "H0-000000-1")  # unknown: a neutral answer
        page.locator("button[type=submit]").click()
        assert "Không thể dùng mã hồ sơ này" in page.locator("main").inner_text()
        assert_no_horizontal_scroll(page)
        page.fill("#code", code.lower())
        with page.expect_navigation(url="**/ho-so/*"):
            page.locator("button[type=submit]").click()
        choose(page, "A1", 4)
        with page.expect_navigation(url="**/cam-on"):
            page.locator("button[type=submit]").click()
        assert "Cảm ơn Ông/Bà đã đánh giá!" in page.locator("main").inner_text()
    finally:
        context.close()
    assert page_problems == []
    [stored] = _stored(live_server, dossier_id)
    assert stored.answers == {"A1": 4}
