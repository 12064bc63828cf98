"""Every role finds its way by clicking, and no click slips (issue 12, items 1 and 4).

In chromium, at 360×740 (a phone) and 1280×800, each demo role of the matrix's world signs in
(the only typed address is the sign-in page), lands on its own page, and reaches every page
it may use by clicking only: each entry of the header menu, the drill-downs (office overview →
unit → counter, inspector → unit, complaints → one complaint, reports → a report → its view,
administration → each section → an account) and back by the breadcrumbs.  On every page
reached, axe-core (``axe-playwright-python``, which bundles axe.min.js: no network) finds no
WCAG 2.0/2.1/2.2 A/AA violation, and the keyboard focus ring has at least 3:1 contrast
against what is behind it (WCAG 1.4.11, which axe does not check).

Then every destructive step — rotate or revoke a QR code, deactivate a counter, a unit or a
procedure, disable an account, reset a password, remove a role, mark a comment as a complaint —
shows its confirmation page and changes nothing until confirmed, with JavaScript on and off.
Screenshots of the navigation: ``/tmp/sipas-shots/nav/`` (the ones in docs/screenshots/ come
from there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.auth.navigation import ADMIN_SECTIONS, MENU
from survey_app.extensions import db
from survey_app.models import (
    Complaint,
    Counter,
    CounterToken,
    KioskDevice,
    Procedure,
    Unit,
    User,
)
from survey_app.services.access.capabilities import can

from ..factories import PASSWORD
from .conftest import PHONE, SHOTS_DIR, LiveServer, open_menu
from .test_every_page_browser import LONG_COMMENT, live_server, site  # noqa: F401

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "360": PHONE,
    "1280": {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN"},
}
ROLES = ("staff", "unit_head", "office", "inspector", "admin")
LANDING = {
    "staff": "/nhan-vien",
    "unit_head": "/nhan-vien",
    "office": "/van-phong",
    "inspector": "/thanh-tra",
    "admin": "/quan-tri",
}
NAV_SHOTS = SHOTS_DIR / "nav"

# The focus ring's contrast against the nearest opaque background behind the element.
FOCUS_CONTRAST_JS = """
() => {
  const el = document.activeElement;
  // not focused: the document itself lost the focus (headless artefact), nothing is drawn
  if (!el || el === document.body || !el.matches(":focus")) return null;
  const cs = getComputedStyle(el);
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el.parentElement, bg = [255, 255, 255];
  while (node) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3] > 0)) { bg = c.slice(0, 3); break; }
    node = node.parentElement;
  }
  const ring = parse(cs.outlineColor).slice(0, 3);
  const a = lum(ring), b = lum(bg);
  return {
    tag: el.outerHTML.slice(0, 80),
    style: cs.outlineStyle,
    width: parseFloat(cs.outlineWidth),
    ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}
"""


def _axe() -> Any:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.fail("axe-playwright-python is missing (pip install -e '.[test]')")
    return Axe()


def check_page(page: Any, problems: list[str], where: str, tabs: int = 6) -> None:
    """axe-core WCAG 2.2 AA on the page, then the focus ring of the first ``tabs`` stops."""
    results = _axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    for v in results.response["violations"]:
        targets = [", ".join(n["target"]) for n in v["nodes"]][:3]
        problems.append(f"{where}: axe {v['id']} ({v['impact']}): {targets}")
    page.bring_to_front()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(tabs):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_CONTRAST_JS)
        if ring is None:
            continue
        if ring["style"] == "none" or ring["width"] < 2 or ring["ratio"] < 3:
            problems.append(f"{where}: focus ring of {ring['tag']}: {ring}")


def path_of(page: Any) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0].split("?")[0]


def click_menu(page: Any, name: str) -> None:
    open_menu(page)
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator(f"nav.main-menu a.nav-{name}").click()


def click(page: Any, selector: str) -> None:
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator(selector).first.click()


def sign_in(context: Any, url: str, role: str) -> Any:
    page = context.new_page()
    page.goto(f"{url}/dang-nhap")  # the only typed address
    page.fill('input[name="username"]', f"u.{role}")
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator("form button[type=submit]").first.click()
    return page


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[Callable[..., Any]]:
    """Browser contexts, reused: one per (role, viewport, JavaScript on/off)."""
    made: dict[tuple[str, str, bool], Any] = {}

    def get(role: str, viewport: str, js: bool = True) -> Any:
        key = (role, viewport, js)
        if key not in made:
            context = browser.new_context(**VIEWPORTS[viewport], java_script_enabled=js)
            context.set_default_timeout(15_000)
            made[key] = context
        return made[key]

    try:
        yield get
    finally:
        for context in made.values():
            context.close()


def _user(live: LiveServer, role: str) -> User:
    with live.app.app_context():
        user = db.session.scalar(select(User).where(User.username == f"u.{role}"))
        assert user is not None
        user.roles  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return user


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("role", ROLES)
def test_role_reaches_its_pages_by_clicking(
    site: dict[str, str],  # noqa: F811
    live_server: LiveServer,  # noqa: F811
    contexts: Callable[..., Any],
    role: str,
    viewport: str,
) -> None:
    context = contexts(role, viewport)
    page = sign_in(context, live_server.url, role)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    assert path_of(page) == LANDING[role]
    reached = {LANDING[role]}
    check_page(page, problems, f"{role}@{viewport} {LANDING[role]}", tabs=10)
    user = _user(live_server, role)
    expected = [e for e in MENU if e.capability is None or can(user, e.capability)]
    NAV_SHOTS.mkdir(parents=True, exist_ok=True)
    if viewport == "360":
        open_menu(page)
    page.screenshot(path=str(NAV_SHOTS / f"{role}-{viewport}.png"))

    def visit(where: str) -> None:
        reached.add(path_of(page))
        check_page(page, problems, f"{role}@{viewport} {where} {path_of(page)}")

    for entry in expected:  # every page of the menu, from wherever we are
        click_menu(page, entry.name)
        assert path_of(page) == entry.prefix, entry
        visit(entry.name)
        if entry.name == "office":  # overview → unit → counter, and back by the breadcrumbs
            click(page, "table.overview tbody th a")
            assert path_of(page).startswith("/van-phong/don-vi/")
            visit("office unit")
            for _level in range(4):  # down the tree (sub-units are listed first) to a counter
                if page.locator('table tbody th a[href*="/quay/"]').count():
                    break
                click(page, "table.overview tbody th a")
            click(page, 'table tbody th a[href*="/quay/"]')
            assert "/quay/" in path_of(page)
            visit("office counter")
            click(page, "nav.crumbs a")
            assert path_of(page) == "/van-phong"
        elif entry.name == "inspector":
            click(page, "table.integrity tbody th a")
            assert path_of(page).startswith("/thanh-tra/don-vi/")
            visit("inspector unit")
        elif entry.name == "complaints":
            click(page, "ul.complaints li a")
            assert re.fullmatch(r"/phan-anh/\d+", path_of(page))
            visit("complaint")
        elif entry.name == "reports" and role == "office":  # the office's own report
            click(page, 'a[href^="/bao-cao/"]')
            assert re.fullmatch(r"/bao-cao/\d+", path_of(page))
            visit("report job")
            click(page, 'a[href$="/xem"]')
            visit("report view")
        elif entry.name == "admin":
            for section in ADMIN_SECTIONS:
                click(page, f"main a.nav-{section.name}")
                assert path_of(page) == section.prefix
                visit(section.name)
                if section.name == "admin-accounts":
                    click(page, f'a[href="/quan-tri/tai-khoan/{site["HEAD_OUT"]}"]')
                    visit("account")
                    click(page, 'nav.crumbs[aria-label="Vị trí"] a >> nth=1')
                    assert path_of(page) == "/quan-tri/tai-khoan"
                click(page, "nav.admin-nav a >> nth=0")  # back to the administration's index
                assert path_of(page) == "/quan-tri"
    # home link: back to the landing page
    click(page, "a.brand")
    assert path_of(page) == LANDING[role]
    page.close()
    assert problems == [], "\n".join(problems)
    assert {e.prefix for e in expected} <= reached


def test_error_pages_offer_the_way_back(
    site: dict[str, str],  # noqa: F811
    live_server: LiveServer,  # noqa: F811
    contexts: Callable[..., Any],
) -> None:
    page = sign_in(contexts("office", "360"), live_server.url, "office")
    problems: list[str] = []
    page.goto(f"{live_server.url}/quan-tri")  # an address the office may not open
    assert "Không có quyền truy cập" in page.locator("h1").inner_text()
    check_page(page, problems, "403")
    click(page, "#home-link")
    assert path_of(page) == "/van-phong"
    page.goto(f"{live_server.url}/van-phong/khong-co")
    assert "không tồn tại" in page.locator("main").inner_text()
    check_page(page, problems, "404")
    page.goto(f"{live_server.url}/f/khong-co-ma")
    assert "quét mã QR" in page.locator("main").inner_text()
    check_page(page, problems, "public 404")
    page.close()
    assert problems == [], "\n".join(problems)


# --- no slips -------------------------------------------------------------------------------


def _state(live: LiveServer, site: dict[str, str]) -> tuple[Any, ...]:  # noqa: F811
    with live.app.app_context():
        db.session.expire_all()
        counter = db.session.get(Counter, int(site["counter_in"]))
        user = db.session.get(User, int(site["HEAD_OUT"]))
        assert counter is not None and user is not None
        tokens = db.session.scalars(
            select(CounterToken.token).where(
                CounterToken.counter_id == counter.id, CounterToken.revoked_at.is_(None)
            )
        ).all()
        state = (
            counter.active,
            sorted(tokens),
            db.session.get(Unit, int(site["unit_in"])).active,  # type: ignore[union-attr]
            db.session.get(Procedure, int(site["procedure_in"])).active,  # type: ignore[union-attr]
            user.active,
            user.password_hash,
            len(user.roles),
            db.session.scalar(select(db.func.count()).select_from(Complaint)),
            db.session.get(KioskDevice, int(site["device_in"])).revoked_at,  # type: ignore[union-attr]
        )
        db.session.remove()
        return state


def _to_admin(page: Any, section: str) -> None:
    click_menu(page, "admin")
    click(page, f"main a.nav-{section}")


# action name → (role, how to reach the page by clicking, the button, words of the question)
STEPS: dict[str, tuple[str, Callable[[Any, dict[str, str]], None], str, str]] = {
    "rotate": (
        "admin",
        lambda p, s: _to_admin(p, "admin-counters"),
        'form[action$="/quay/{counter_in}/doi-ma"] button',
        "Đổi mã QR",
    ),
    "revoke": (
        "admin",
        lambda p, s: _to_admin(p, "admin-counters"),
        'form[action$="/quay/{counter_in}/thu-hoi"] button',
        "Thu hồi mã QR",
    ),
    "counter": (
        "admin",
        lambda p, s: _to_admin(p, "admin-counters"),
        'form[action$="/quay/{counter_in}/ngung"] button',
        "Ngừng quầy",
    ),
    "unit": (
        "admin",
        lambda p, s: _to_admin(p, "admin-units"),
        'form[action$="/don-vi/{unit_in}/ngung"] button',
        "Ngừng đơn vị",
    ),
    "procedure": (
        "admin",
        lambda p, s: _to_admin(p, "admin-procedures"),
        'form[action$="/thu-tuc/{procedure_in}/ngung"] button',
        "Ngừng áp dụng thủ tục",
    ),
    "disable": (
        "admin",
        lambda p, s: (
            _to_admin(p, "admin-accounts"),
            click(p, f'a[href="/quan-tri/tai-khoan/{s["HEAD_OUT"]}"]'),
        ),
        'form[action$="/vo-hieu"] button',
        "Vô hiệu hoá tài khoản",
    ),
    "reset": (
        "admin",
        lambda p, s: (
            _to_admin(p, "admin-accounts"),
            click(p, f'a[href="/quan-tri/tai-khoan/{s["HEAD_OUT"]}"]'),
        ),
        'form[action$="/dat-lai-mat-khau"] button',
        "Đặt lại mật khẩu",
    ),
    "role": (
        "admin",
        lambda p, s: (
            _to_admin(p, "admin-accounts"),
            click(p, f'a[href="/quan-tri/tai-khoan/{s["HEAD_OUT"]}"]'),
        ),
        'form[action$="/go-vai-tro"] button',
        "Gỡ vai trò",
    ),
    "mark": ("staff", lambda p, s: click_menu(p, "staff"), "form.mark button", "phản ánh"),
    "tablet": (
        "admin",
        lambda p, s: (
            _to_admin(p, "admin-counters"),
            click(p, f"li#quay-{s['counter_in']} a.kiosks"),
        ),
        'form[action$="/thiet-bi/{device_in}/thu-hoi"] button',
        "Thu hồi thiết bị",
    ),
}


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("action", list(STEPS))
def test_destructive_steps_ask_first(
    site: dict[str, str],  # noqa: F811
    live_server: LiveServer,  # noqa: F811
    contexts: Callable[..., Any],
    action: str,
    js: bool,
) -> None:
    role, reach, button, question = STEPS[action]
    page = sign_in(contexts(role, "1280", js), live_server.url, role)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    reach(page, site)
    back = path_of(page)
    before = _state(live_server, site)
    click(page, button.format(**site))
    assert question in page.locator("h1").inner_text()
    assert page.locator("#confirm-thing").inner_text().strip()
    assert page.locator("#confirm-consequence").inner_text().strip()
    assert _state(live_server, site) == before  # asked, nothing done
    problems: list[str] = []
    if js:  # axe runs as a script: on the confirmation page of the JavaScript context
        check_page(page, problems, f"confirm {action}")
    click(page, "a.cancel")
    assert path_of(page) == back
    assert _state(live_server, site) == before
    if action in ("rotate", "mark"):  # confirmed: done (repeatable, harmless to the others)
        click(page, button.format(**site))
        click(page, "button.danger")
        assert _state(live_server, site) != before
    assert dialogs == []
    page.close()
    assert problems == [], "\n".join(problems)


def test_nav_screenshots_for_the_docs(
    site: dict[str, str],  # noqa: F811
    live_server: LiveServer,  # noqa: F811
    browser: Any,
) -> None:
    """Small screenshots of the header: a phone with the menu open, a desktop's header."""
    NAV_SHOTS.mkdir(parents=True, exist_ok=True)
    for name, options in (
        ("nav-360", {**PHONE, "device_scale_factor": 1}),
        ("nav-1280", VIEWPORTS["1280"]),
    ):
        context = browser.new_context(**options)
        page = sign_in(context, live_server.url, "admin")
        if name == "nav-360":
            open_menu(page)
            page.screenshot(path=str(NAV_SHOTS / f"{name}.png"))
        else:
            page.locator("header").first.screenshot(path=str(NAV_SHOTS / f"{name}.png"))
        context.close()
    assert (NAV_SHOTS / "nav-360.png").stat().st_size > 1000
