"""The public form in a real browser, on a phone-sized screen, against a live server.

From the printed QR card to the stored response: the card is made by the real ``sipas qr``
command, rasterised with pdftoppm and decoded with zbarimg; chromium opens the decoded URL,
a citizen clicks answers and submits; the test then reads the response from the database.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from survey_app.extensions import db

from ..factories import make_counter, make_unit, token_of
from .conftest import PHONE, UNIT_CODE, UNIT_NAME, LiveServer, missing, watch_page

pytestmark = pytest.mark.browser

THANKS = re.compile(r".*/f/[^/]+/cam-on$")
NO_HSCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
COMMENT_VI = "Cán bộ hướng dẫn tận tình, chu đáo. Mong có thêm ghế ngồi chờ và nước uống!"
PROCEDURE_ERROR = "Không tìm thấy thủ tục nào của cơ quan khớp với nội dung đã nhập."


def choose(page: Any, item: str, value: int | str) -> None:
    """Click the label that holds the radio ``item`` = ``value`` (as a citizen taps it)."""
    page.locator(f'label:has(> input[type=radio][name="{item}"][value="{value}"])').click()


def checked(page: Any) -> dict[str, str]:
    """Every checked radio on the page: name → value."""
    return dict(
        page.eval_on_selector_all(
            "input[type=radio]:checked", "els => els.map(e => [e.name, e.value])"
        )
    )


def submit_and_wait_thanks(page: Any) -> None:
    with page.expect_navigation(url=THANKS):
        page.locator("button[type=submit]").click()
    assert "Cảm ơn" in page.locator("main").inner_text()


def assert_no_horizontal_scroll(page: Any) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert page.evaluate(NO_HSCROLL), f"horizontal scrolling: scrollWidth/innerWidth = {widths}"


def save_shot(page: Any, folders: list[Path], name: str) -> None:
    for folder in folders:
        page.screenshot(path=str(folder / name), full_page=True)


def _need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (apt-get install poppler-utils zbar-tools)")
    assert path is not None
    return path


def _sipas() -> str:
    script = Path(sys.executable).with_name("sipas")
    assert script.exists(), f"the sipas console script is not next to {sys.executable}"
    return str(script)


def test_qr_card_to_stored_response(live_server: LiveServer, page: Any, tmp_path: Path) -> None:
    """(a) Print the card with `sipas qr`, decode its QR, fill the form, find the response."""
    pdftoppm, zbarimg = _need_tool("pdftoppm"), _need_tool("zbarimg")
    out = tmp_path / "cards"
    run = subprocess.run(
        [_sipas(), "qr", "--unit", UNIT_CODE, "--out", str(out)],
        env=live_server.cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    pdf = out / f"{UNIT_CODE}_Q1.pdf"
    assert pdf.exists(), sorted(p.name for p in out.iterdir())
    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "card")],
        check=True,
        timeout=60,
    )
    decoded = subprocess.run(
        [zbarimg, "--raw", "-q", str(tmp_path / "card.png")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert decoded.returncode == 0, decoded.stderr
    url = decoded.stdout.strip()
    assert url == live_server.form_url("Q1")

    page.goto(url)
    assert UNIT_NAME in page.locator("header").inner_text()
    wanted = {"A1": 5, "A2": 4, "B1": 3, "C2": 2, "D3": 1, "Q5": 1}
    for item, value in wanted.items():
        choose(page, item, value)
    choose(page, "E1", "0")  # "Không có ý kiến": stored as missing
    page.locator("details > summary").click()  # the optional expectations section
    choose(page, "X5", 4)
    wanted["X5"] = 4
    page.locator("#comment").press_sequentially(COMMENT_VI)
    assert checked(page) == {**{k: str(v) for k, v in wanted.items()}, "E1": "0"}
    submit_and_wait_thanks(page)

    [stored] = live_server.responses("Q1")
    assert stored["answers"] == wanted
    assert stored["comment"] == COMMENT_VI
    assert stored["source"] == "qr"
    assert stored["questionnaire_id"] == "sipas-2024-dv"


def test_without_javascript(
    live_server: LiveServer, browser: Any, page_problems: list[str]
) -> None:
    """(b) The form needs no JavaScript: plain HTML form post, redirect, stored."""
    context = browser.new_context(java_script_enabled=False, **PHONE)
    try:
        page = watch_page(context.new_page(), page_problems)
        page.goto(live_server.form_url("Q2"))
        wanted = {"A1": 4, "A3": 5, "B2": 2, "Q6": 1}
        for item, value in wanted.items():
            choose(page, item, value)
        page.fill("#procedure", "2.000815 Chứng thực bản sao từ bản chính")
        choose(page, "channel", "truc_tiep")
        page.fill("#comment", "Không dùng JavaScript vẫn gửi được — tốt.")
        submit_and_wait_thanks(page)
    finally:
        context.close()
    assert page_problems == []
    [stored] = live_server.responses("Q2")
    assert stored["answers"] == wanted
    assert stored["procedure_id"] == live_server.procedure_ids["2.000815"]
    assert stored["channel"] == "truc_tiep"
    assert stored["comment"] == "Không dùng JavaScript vẫn gửi được — tốt."
    assert stored["source"] == "qr"


def test_error_summary_takes_the_focus_without_javascript(
    live_server: LiveServer, browser: Any, page_problems: list[str]
) -> None:
    """After a validation error the summary has the focus (autofocus, no script), so a screen
    reader reads it and Tab continues to its links."""
    context = browser.new_context(java_script_enabled=False, **PHONE)
    try:
        page = watch_page(context.new_page(), page_problems)
        page.goto(live_server.form_url("Q2"))
        assert page.evaluate("document.activeElement === document.body")
        page.fill("#procedure", "Cấp phép bay flycam")
        with page.expect_navigation() as nav:
            page.locator("button[type=submit]").click()
        assert nav.value.status == 400
        assert page.evaluate("document.activeElement.id") == "loi"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('#loi') !== null")
    finally:
        context.close()
    assert page_problems == []


def _tab_until(page: Any, predicate_js: str, limit: int = 120) -> int:
    """Press Tab until ``predicate_js(document.activeElement)`` holds; return the count."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        script = f"() => {{ const e = document.activeElement; return !!({predicate_js}); }}"
        if page.evaluate(script):
            return n
    raise AssertionError(f"not reached with {limit} Tab presses: {predicate_js}")


def test_keyboard_only(live_server: LiveServer, page: Any) -> None:
    """(c) Tab into the first radio group, choose with Space/arrows, Tab to submit, Enter."""
    page.goto(live_server.form_url("Q3"))
    tabs = _tab_until(page, "e.type === 'radio' && e.name === 'A1'")
    assert tabs <= 5, f"{tabs} Tab presses before the first question"
    page.keyboard.press("Space")  # the focused first option: 5 "Rất hài lòng"
    page.keyboard.press("Tab")  # next group
    assert page.evaluate("document.activeElement.name") == "A2"
    page.keyboard.press("ArrowDown")  # moves to and selects the second option: 4
    page.keyboard.press("ArrowDown")  # 3
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # A3: second option, 4
    assert checked(page) == {"A1": "5", "A2": "3", "A3": "4"}
    _tab_until(page, "e.type === 'submit'")
    with page.expect_navigation(url=THANKS):
        page.keyboard.press("Enter")
    assert "Cảm ơn" in page.locator("main").inner_text()
    [stored] = live_server.responses("Q3")
    assert stored["answers"] == {"A1": 5, "A2": 3, "A3": 4}


def test_english_switch(live_server: LiveServer, page: Any, shots: list[Path]) -> None:
    """(d) "English" shows the questionnaire in English; submitting still works."""
    page.goto(live_server.form_url("Q4"))
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r".*\?lang=en$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Rate the public administrative service"
    legend = page.locator("#q-A1 legend").inner_text()
    assert legend.startswith("Trung tâm Phục vụ hành chính công has clear signs"), legend
    assert "Very satisfied" in page.locator("#q-A1").inner_text()
    assert page.locator("button[type=submit]").inner_text() == "Send rating"
    assert page.get_by_role("link", name="Tiếng Việt").count() == 1
    save_shot(page, shots, "form-en-360.png")
    assert_no_horizontal_scroll(page)
    choose(page, "A1", 5)
    choose(page, "B3", 4)
    page.fill("#comment", "Clear signs, thank you.")
    with page.expect_navigation(url=THANKS):
        page.locator("button[type=submit]").click()
    assert "Thank you for your rating!" in page.locator("main").inner_text()
    [stored] = live_server.responses("Q4")
    assert stored["answers"] == {"A1": 5, "B3": 4}
    assert stored["comment"] == "Clear signs, thank you."


def test_validation_error_round_trip(live_server: LiveServer, page: Any, shots: list[Path]) -> None:
    """(e) An unknown procedure: Vietnamese message, answers kept, nothing stored; then fixed."""
    page.goto(live_server.form_url("Q5"))
    choose(page, "A1", 5)
    choose(page, "C1", 2)
    choose(page, "channel", "buu_chinh")
    page.fill("#procedure", "Cấp phép bay flycam")
    page.fill("#comment", "Xin cảm ơn")
    with page.expect_navigation() as nav:
        page.locator("button[type=submit]").click()
    assert nav.value.status == 400
    assert page.evaluate("document.activeElement.id") == "loi"  # the error summary has focus
    body = page.locator("main").inner_text()
    assert PROCEDURE_ERROR in body
    assert "Vui lòng xem lại các câu được đánh dấu." in body
    assert page.locator(".f.err #procedure").count() == 1
    assert checked(page) == {"A1": "5", "C1": "2", "channel": "buu_chinh"}
    assert page.input_value("#procedure") == "Cấp phép bay flycam"
    assert page.input_value("#comment") == "Xin cảm ơn"
    save_shot(page, shots, "form-error-360.png")
    assert_no_horizontal_scroll(page)
    assert live_server.responses("Q5") == []

    page.fill("#procedure", "khai sinh")  # a unique part of a name is enough
    submit_and_wait_thanks(page)
    [stored] = live_server.responses("Q5")
    assert stored["answers"] == {"A1": 5, "C1": 2}
    assert stored["procedure_id"] == live_server.procedure_ids["2.000889"]
    assert stored["channel"] == "buu_chinh"
    assert stored["comment"] == "Xin cảm ơn"


def test_screenshots_fit_a_phone(live_server: LiveServer, page: Any, shots: list[Path]) -> None:
    """(f) The form and the thank-you page at 360 px: screenshots, no horizontal scrolling."""
    page.goto(live_server.form_url("Q6"))
    page.locator("details > summary").click()  # show the optional section too
    assert page.evaluate("window.innerWidth") == 360
    save_shot(page, shots, "form-360.png")
    assert_no_horizontal_scroll(page)
    choose(page, "A1", 4)
    submit_and_wait_thanks(page)
    save_shot(page, shots, "thanks-360.png")
    assert_no_horizontal_scroll(page)
    for folder in shots:
        for name in ("form-360.png", "thanks-360.png", "form-error-360.png"):
            if (folder / name).exists():
                assert (folder / name).stat().st_size > 1000


def test_quick_form_first_on_a_phone(
    live_server: LiveServer, page: Any, shots: list[Path], page_problems: list[str]
) -> None:
    """The QR card of a unit with the default setting opens the quick form: scale labels of
    at least 14 px, nothing scrolls sideways, "Trả lời thêm" opens the full questionnaire."""
    with live_server.app.app_context():
        unit = make_unit("BT.NHANH", "Bộ phận Một cửa xã Thử", form_start="nhanh")
        token = token_of(make_counter(unit, "Q1", "Quầy số 1"))
        db.session.remove()
    page.goto(f"{live_server.url}/f/{token}")
    assert page.locator("fieldset[id^=q-]").count() == 7
    assert "7 câu hỏi ngắn" in page.locator(".intro").inner_text()
    sizes = page.eval_on_selector_all(
        ".o label", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 14, sizes
    assert_no_horizontal_scroll(page)
    save_shot(page, shots, "form-quick-360.png")
    with page.expect_navigation():
        page.get_by_role("link", name="Trả lời thêm").click()
    assert page.locator("fieldset[id=q-A1]").count() == 1
    assert "Quay lại phiếu nhanh" in page.locator("header").inner_text()
    choose(page, "A1", 5)
    submit_and_wait_thanks(page)
    assert page_problems == []
