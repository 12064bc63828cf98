"""The counter tablet in a real browser (issue 15): a 1280×800 tablet with touch.

An admin enrols the tablet from the counter's page; three ratings are three ``kiosk`` rows;
offline, five more wait on the tablet, survive a reload, and are stored exactly once when
the network is back (eight rows); a double tap stores one; the dossier-code keypad makes a
verified response; a revoked tablet stops.  A second tablet, in a context that bypasses CSP
so that axe-core can be injected, walks every kiosk screen: no WCAG 2.2 AA violation.
Screenshots: ``docs/screenshots/kiosk-*.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Dossier, Invitation, Response, Unit

from ..factories import PASSWORD, make_user
from .conftest import UNIT_CODE, LiveServer, watch_page
from .test_navigation_browser import AXE_TAGS, _axe

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TABLET: dict[str, Any] = {
    "viewport": {"width": 1280, "height": 800},
    "has_touch": True,
    "locale": "vi-VN",
    "device_scale_factor": 1,
}
DOSSIER_CODE = "H15.12-261203-0001"


@pytest.fixture(scope="module")
def kiosk_server(live_server: LiveServer) -> LiveServer:
    """The live server with the quick questionnaire on the kiosk and short screens."""
    app = live_server.app
    app.config["KIOSK_THANKS_SECONDS"] = 1
    app.config["KIOSK_RESPONSE_INTERVAL_SECONDS"] = 1
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        assert unit is not None
        unit.form_start = "nhanh"
        db.session.commit()
        make_user("quan.tri", "admin")
        db.session.remove()
    return live_server


def _shoot(page: Any, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"kiosk-{name}.png"))


def _rows(server: LiveServer, counter: str) -> list[dict[str, Any]]:
    return server.responses(counter)


def _wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def admin(browser: Any, kiosk_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{kiosk_server.url}/dang-nhap")
    page.fill('input[name="username"]', "quan.tri")
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    yield page
    context.close()


def _enrolment_link(admin: Any, server: LiveServer, counter_name: str, shot: bool) -> str:
    """From the counters' page to the counter's tablets; a new code's link."""
    admin.goto(f"{server.url}/quan-tri/quay")
    item = admin.locator("li", has=admin.locator("strong", has_text=counter_name))
    with admin.expect_navigation():
        item.locator("a.kiosks").click()
    admin.fill("#kiosk-name", f"Máy tính bảng {counter_name}")
    with admin.expect_navigation():
        admin.locator("#make-code").click()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", admin.inner_text("#enrol-code"))
    if shot:
        _shoot(admin, "admin-code")
    return str(admin.get_attribute("#enrol-link", "href"))


def _screen(page: Any) -> str:
    return str(page.inner_text("#screen"))


def _answer(page: Any, step: int, double: bool = False) -> None:
    """Answer the question on the screen (a face, or the first of the large buttons)."""
    page.wait_for_selector(f"#q-text >> xpath=../p[contains(., 'Câu {step} /')]")
    page.wait_for_timeout(450)  # the kiosk ignores taps in the first 400 ms of a screen
    face = page.locator(".faces .face.f5")
    target = face if face.count() else page.locator(".choices .choice").first
    if double:
        target.dblclick()
        return
    # A tap the kiosk ignored (a screen redrawn late on a loaded machine restarts its 400 ms
    # guard) is tapped again; the screen must move on from this question.
    for _ in range(3):
        target.tap()
        try:
            page.wait_for_function(
                "n => !document.querySelector('.progress')"
                " || !document.querySelector('.progress').innerText.includes('Câu ' + n + ' /')",
                arg=step,
                timeout=3_000,
            )
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the kiosk stayed on question {step}")


def _rate(page: Any, comment: str = "", double_send: bool = False) -> None:
    total = int(re.search(r"/ (\d+)", page.inner_text(".progress")).group(1))  # type: ignore[union-attr]
    for step in range(1, total + 1):
        _answer(page, step)
    page.wait_for_selector("#comment")
    page.wait_for_timeout(450)
    if comment:
        page.fill("#comment", comment)
    if double_send:
        page.locator("#send").dblclick()
    else:
        page.locator("#send").tap()
    page.wait_for_selector("h1.thanks")
    page.wait_for_selector("#q-text", timeout=10_000)  # back to the first question


@contextmanager
def _server_down(server: LiveServer) -> Iterator[None]:
    """While inside, the server answers every kiosk rating with 503 (stores nothing)."""
    app = server.app
    inner = app.wsgi_app

    def down(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "POST" and "/kiosk/api/" in path:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "down"}']
        return inner(environ, start_response)

    app.wsgi_app = down  # type: ignore[method-assign]
    try:
        yield
    finally:
        app.wsgi_app = inner  # type: ignore[method-assign]


def _pending(page: Any) -> str:
    box = page.locator("#pending")
    return str(box.inner_text()) if box.is_visible() else ""


def test_enrol_rate_offline_reload_online_double_tap_dossier_revoke(
    browser: Any, kiosk_server: LiveServer, admin: Any, page_problems: list[str]
) -> None:
    server = kiosk_server
    link = _enrolment_link(admin, server, "Quầy số 1", shot=True)
    assert "/kiosk/?ma=" in link
    context = browser.new_context(**TABLET)
    context.set_default_timeout(15_000)
    tablet = watch_page(context.new_page(), page_problems)
    tablet.goto(link)
    tablet.wait_for_selector("#q-text")
    assert "ma=" not in tablet.url  # the code left the address bar
    assert tablet.locator(".faces .face").count() == 5
    box = tablet.locator(".face.f5").bounding_box()
    assert box["width"] >= 57 and box["height"] >= 57  # at least 15 mm at 96 px per inch
    _shoot(tablet, "question")

    for i in range(3):
        _rate(tablet, comment="Nhanh gọn" if i == 0 else "")
    _wait_for(lambda: len(_rows(server, "Q1")) == 3)
    rows = _rows(server, "Q1")
    assert {r["source"] for r in rows} == {"kiosk"}
    assert rows[0]["comment"] == "Nhanh gọn" and rows[0]["answers"]["A0"] == 5
    assert rows[0]["questionnaire_id"] == "sipas-2024-nhanh"

    # Offline, and the server down too: five ratings wait on the tablet, a reload keeps them.
    # (Chromium's offline emulation does not reliably cover a page's requests once a
    # service worker controls it, so the server also refuses ratings meanwhile.)
    tablet.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    context.set_offline(True)
    with _server_down(server):
        for _ in range(5):
            _rate(tablet)
        assert _pending(tablet).startswith("5 ")
        _shoot(tablet, "offline-queue")
        tablet.reload()
        tablet.wait_for_selector("#q-text")
        assert _pending(tablet).startswith("5 ")
        assert len(_rows(server, "Q1")) == 3
    context.set_offline(False)
    tablet.wait_for_function("() => document.getElementById('pending').hidden", timeout=30_000)
    _wait_for(lambda: len(_rows(server, "Q1")) == 8)
    time.sleep(1)
    rows = _rows(server, "Q1")
    assert len(rows) == 8 and len({r["idempotency_key"] for r in rows}) == 8

    # A double tap on a face answers one question; a double tap on "Gửi" stores one rating.
    _answer(tablet, 1, double=True)
    tablet.wait_for_selector("#q-text >> xpath=../p[contains(., 'Câu 2 /')]")
    tablet.wait_for_timeout(600)
    assert tablet.locator(".chosen").count() == 0  # the second tap did not answer question 2
    tablet.locator("#back").tap()
    tablet.wait_for_selector("#q-text >> xpath=../p[contains(., 'Câu 1 /')]")
    assert tablet.locator(".face.f5.chosen").count() == 1
    total = tablet.locator(".progress").inner_text()
    steps = int(re.search(r"/ (\d+)", total).group(1))  # type: ignore[union-attr]
    for step in range(1, steps + 1):
        _answer(tablet, step)
    tablet.wait_for_selector("#comment")
    tablet.wait_for_timeout(450)
    tablet.locator("#send").dblclick()
    tablet.wait_for_selector("#q-text", timeout=10_000)
    _wait_for(lambda: len(_rows(server, "Q1")) >= 9)
    time.sleep(1.5)
    assert len(_rows(server, "Q1")) == 9

    # "Tôi có mã hồ sơ": the keypad makes a verified response.
    with server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        assert unit is not None
        dossier = Dossier(
            code=DOSSIER_CODE,
            procedure_code="2.000889",
            receiving_unit_id=unit.id,
            resolving_unit_id=unit.id,
            received_at=datetime(2026, 12, 1, 2, tzinfo=UTC),
            due_date=date(2026, 12, 10),
            outcome="da_tra",
            fingerprint="f" * 32,
        )
        db.session.add(dossier)
        db.session.flush()
        db.session.add(
            Invitation(
                dossier_id=dossier.id,
                token="kioskinv01",
                expires_at=datetime(2027, 1, 1, tzinfo=UTC),
            )
        )
        db.session.commit()
        dossier_id = dossier.id
        db.session.remove()
    tablet.wait_for_timeout(450)
    tablet.locator("#have-code").tap()
    tablet.wait_for_selector("#keypad")
    _type_code(tablet, DOSSIER_CODE)
    assert tablet.inner_text("#code-shown") == DOSSIER_CODE
    _shoot(tablet, "keypad")
    tablet.locator("#code-ok").tap()
    tablet.wait_for_selector("#q-text")
    assert DOSSIER_CODE in tablet.inner_text("#have-code")
    total_steps = int(re.search(r"/ (\d+)", tablet.inner_text(".progress")).group(1))  # type: ignore[union-attr]
    for step in range(1, total_steps + 1):
        _answer(tablet, step)
    tablet.wait_for_selector("#comment")
    tablet.wait_for_timeout(450)
    tablet.locator("#send").tap()
    tablet.wait_for_selector("h1.thanks")
    tablet.wait_for_function(
        "() => document.getElementById('thanks-note') && "
        "document.getElementById('thanks-note').textContent.length > 0"
    )
    assert "gắn với hồ sơ" in tablet.inner_text("#thanks-note")
    _shoot(tablet, "thanks-verified")
    with server.app.app_context():
        verified = db.session.scalar(select(Response).where(Response.dossier_id == dossier_id))
        assert verified is not None and verified.source == "kiosk" and verified.device_id
        db.session.remove()
    tablet.wait_for_selector("#q-text", timeout=10_000)

    # Revoked from the counter's page: the tablet stops and says so.
    admin.goto(admin.url.split("?")[0])
    admin.reload()
    admin.locator("tr", has_text="Máy tính bảng Quầy số 1").get_by_role(
        "button", name="Thu hồi"
    ).click()
    admin.wait_for_selector("button.danger")
    with admin.expect_navigation():
        admin.locator("button.danger").click()
    assert "Đã thu hồi" in admin.inner_text("body")
    before = len(_rows(server, "Q1"))
    _rate_until_refused(tablet)
    tablet.wait_for_selector("text=đã bị thu hồi")
    _shoot(tablet, "revoked")
    tablet.reload()
    tablet.wait_for_selector("text=đã bị thu hồi")
    assert tablet.locator("#q-text").count() == 0
    time.sleep(1)
    assert len(_rows(server, "Q1")) == before
    context.close()


def _revoke(admin: Any, name: str) -> None:
    admin.locator("tr", has_text=name).get_by_role("button", name="Thu hồi").click()


def _rate_until_refused(page: Any) -> None:
    """Rate once; the server refuses the revoked tablet, which stops."""
    total = int(re.search(r"/ (\d+)", page.inner_text(".progress")).group(1))  # type: ignore[union-attr]
    for step in range(1, total + 1):
        _answer(page, step)
    page.wait_for_selector("#comment")
    page.wait_for_timeout(450)
    page.locator("#send").tap()


def _type_code(page: Any, code: str) -> None:
    mode = "digits"
    for char in code:
        wanted = "letters" if char.isalpha() else "digits"
        if wanted != mode:
            page.wait_for_timeout(300)  # a new keypad screen ignores taps for 200 ms
            page.get_by_role("button", name="ABC" if wanted == "letters" else "123").tap()
            mode = wanted
            page.wait_for_selector(f"#keypad.{mode}")
            page.wait_for_timeout(250)
        page.locator("#keypad .key", has_text=re.compile(f"^{re.escape(char)}$")).tap()


def _check(page: Any, where: str, problems: list[str]) -> None:
    results = _axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    for v in results.response["violations"]:
        targets = [", ".join(n["target"]) for n in v["nodes"]][:3]
        problems.append(f"{where}: axe {v['id']} ({v['impact']}): {targets}")


def test_every_kiosk_screen_passes_axe(browser: Any, kiosk_server: LiveServer, admin: Any) -> None:
    """Enrol, question with faces, English, Q5 buttons, keypad, comment, thank-you, idle
    countdown, revoked: axe-core WCAG 2.2 A/AA on each (a context that bypasses CSP)."""
    server = kiosk_server
    problems: list[str] = []
    context = browser.new_context(**TABLET, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{server.url}/kiosk/")
    page.wait_for_selector("#enrol-code")
    _check(page, "enrol", problems)
    _shoot(page, "enrol")
    link = _enrolment_link(admin, server, "Quầy số 2", shot=False)
    code = link.split("ma=")[1]
    page.fill("#enrol-code", code)
    page.locator("form.enrol button").tap()
    page.wait_for_selector("#q-text")
    _check(page, "question", problems)
    page.locator("#lang").click()
    page.wait_for_selector("html[lang=en]")
    assert "satisfied" in page.inner_text("#q-text")
    _check(page, "question-en", problems)
    _shoot(page, "question-en")
    page.locator("#lang").click()
    page.wait_for_selector("html[lang=vi]")
    for width, height, name in ((800, 1280, "portrait"), (360, 740, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        sizes = page.evaluate(
            "[...document.querySelectorAll('.face')].map(b => b.getBoundingClientRect())"
            ".map(r => Math.min(r.width, r.height))"
        )
        assert len(sizes) == 5 and min(sizes) >= 57, sizes  # 15 mm at 96 px per inch
        scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll[0] <= scroll[1], f"{name}: the page scrolls sideways: {scroll}"
        _check(page, f"question-{name}", problems)
        _shoot(page, f"question-{name}")
    page.set_viewport_size(TABLET["viewport"])
    for step in range(1, 6):
        _answer(page, step)
    page.wait_for_selector(".choices .choice")
    page.wait_for_timeout(450)
    _check(page, "q5", problems)
    _shoot(page, "q5")
    page.locator("#have-code").tap()
    page.wait_for_selector("#keypad")
    _check(page, "keypad", problems)
    page.locator("#code-cancel").tap()
    page.wait_for_selector(".choices .choice")
    for step in range(6, 8):
        _answer(page, step)
    page.wait_for_selector("#comment")
    _check(page, "comment", problems)
    _shoot(page, "comment")
    page.wait_for_timeout(450)
    page.locator("#send").tap()
    page.wait_for_selector("h1.thanks")
    _check(page, "thanks", problems)
    page.wait_for_selector("#q-text", timeout=10_000)

    # The idle countdown: a configuration with a short idle time (the server's is 45 s).
    def short_idle(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        body["idle"] = 17
        route.fulfill(response=response, json=body)

    page.route("**/kiosk/api/cau-hinh*", short_idle)
    page.reload()
    page.wait_for_selector("#q-text")
    _answer(page, 1)
    page.wait_for_selector("#idle:not([hidden])", timeout=10_000)
    assert "giây" in page.inner_text("#idle")
    _check(page, "idle", problems)
    _shoot(page, "idle")
    page.wait_for_selector("#q-text >> xpath=../p[contains(., 'Câu 1 /')]", timeout=25_000)
    page.wait_for_selector("#idle", state="hidden")
    assert page.locator(".chosen").count() == 0  # the unfinished rating was cleared
    page.unroute("**/kiosk/api/cau-hinh*")

    admin.reload()
    admin.locator("tr", has_text="Máy tính bảng Quầy số 2").get_by_role(
        "button", name="Thu hồi"
    ).click()
    with admin.expect_navigation():
        admin.locator("button.danger").click()
    page.reload()
    page.wait_for_selector("text=đã bị thu hồi")
    _check(page, "revoked", problems)
    context.close()
    assert problems == [], "\n".join(problems)
