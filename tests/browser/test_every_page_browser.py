"""Every page of the application in a real browser, at phone and desktop width.

The pages are GENERATED from the authorisation matrix (``tests/test_authz_matrix.RULES``):
every GET case that answers 200 for some role, except downloads (.svg, .pdf, .json, .csv,
.xlsx, .zip, .js) — so a page added to the matrix is covered here without a new test.  Each page
is opened by a role that may see it, in the matrix's world (``build_world``) plus demo-like
data: responses over the last weeks with comments, among them ``<script>alert(1)</script>``,
HTML and Vietnamese text, marked as a service complaint and as a conduct complaint.

For each page, at 360×740 (a phone) and 1280×800: it answers 200 with HTML, the document is
no wider than the window (no sideways scrolling), no console error, script error or CSP
violation, no dialog (the ``<script>`` in a comment never runs) and, where the page shows
comments, the comment appears as text.  Screenshots go to ``/tmp/sipas-shots/pages/``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import Base, Counter, Response, Unit, User
from survey_app.services import complaints, org
from survey_app.services.clock import today_local
from survey_app.services.ingest import responses

from ..conftest import make_app
from ..factories import PASSWORD, make_procedure, seed_questionnaires, token_of
from ..test_authz_matrix import RULES, build_world
from .conftest import PHONE, SHOTS_DIR, LiveServer, serving

pytestmark = pytest.mark.browser

DOWNLOADS = (".svg", ".pdf", ".json", ".csv", ".xlsx", ".zip", ".js")
# Who opens a page: anonymous when everyone may, else the first of these with a 200.
ROLE_ORDER = ("staff", "office", "unit_head", "inspector", "admin")
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": PHONE,
    "desktop": {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN"},
}
SCRIPT = "<script>alert(1)</script>"
SERVICE_COMMENT = f"{SCRIPT} <b>Phòng chờ</b> nóng quá, chờ lâu & không có nước uống"
CONDUCT_COMMENT = f"{SCRIPT} Cán bộ <i>đòi</i> tiền “bồi dưỡng” mới nhận hồ sơ"
LONG_COMMENT = (
    "Tôi đã nộp hồ sơ qua https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-"
    "chinh-chi-tiet.html?ma_thu_tuc=1.004227&tu_khoa=dat_dai_xay_dung mà không ai "
    "trả lời"
)
# Where the comments with <script> must show as text (endpoint and case label → comment).
SHOWS_COMMENT = {
    ("staff.home", ""): SERVICE_COMMENT,
    ("complaints.index", ""): SERVICE_COMMENT,
    ("inspector.index", ""): CONDUCT_COMMENT,
    ("inspector.unit", "inside"): CONDUCT_COMMENT,
}
PAGES_DIR = SHOTS_DIR / "pages"


def _template_path(case: Any) -> str:
    """The case's path with placeholder ids (to tell pages from downloads at collection)."""
    return str(case.path(defaultdict(lambda: "1", token="t")))


def _role_for(expected: dict[str, Any]) -> str | None:
    if expected.get("anonymous") == 200:
        return "anonymous"
    return next((r for r in ROLE_ORDER if expected.get(r) == 200), None)


def _pages() -> list[Any]:
    out = []
    for endpoint, cases in RULES.items():
        for index, case in enumerate(cases):
            role = _role_for(case.expected)
            path = _template_path(case).split("?")[0]
            if case.method != "GET" or role is None or path.endswith(DOWNLOADS):
                continue
            for viewport in VIEWPORTS:
                name = f"{endpoint}{'-' + case.label if case.label else ''}-{viewport}"
                out.append(pytest.param(endpoint, index, role, viewport, id=name))
    return out


def _submit(
    counter: Counter, answers: dict[str, int], when: datetime, comment: str | None = None
) -> int:
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    sub = responses.Submission(
        answers=answers, comment=comment, submitted_at=when, channel="truc_tiep"
    )
    return responses.submit(info, forms.get(info.questionnaire_id), sub).response_id


def _demo_data() -> None:
    """Six weeks of responses at IN's counter (ratings 2–5, Q5/Q6), comments of today."""
    unit = db.session.scalar(select(Unit).where(Unit.code == "IN"))
    assert unit is not None
    counter = db.session.scalar(select(Counter).where(Counter.unit_id == unit.id))
    assert counter is not None
    make_procedure(
        unit, "1.009972", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "dat_dai_xay_dung_dau_tu"
    )
    items = [c for codes in forms.get("sipas-2024-dv").factors().values() for c in codes]
    today = today_local()
    for back in range(42):
        when = datetime.combine(today - timedelta(days=back), time(2, 30), UTC)
        for i in range(3):
            answers = {code: 2 + (back + i + j) % 4 for j, code in enumerate(items)}
            answers.update(Q5=1 + (back + i) % 7 // 5, Q6=1 + (back * i) % 11 // 9)
            _submit(counter, answers, when + timedelta(minutes=i))
    now = datetime.now(UTC) - timedelta(minutes=5)
    head = db.session.scalar(select(User).where(User.username == "u.unit_head"))
    for comment, kind in (
        (SERVICE_COMMENT, "phuc_vu"),
        (CONDUCT_COMMENT, "thai_do"),
        (LONG_COMMENT, None),
    ):
        rid = _submit(counter, {"C1": 1, "C2": 2, "Q5": 3, "Q6": 2}, now, comment)
        if kind:
            complaints.mark(db.session.get(Response, rid), kind, head)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server of its own (not ``conftest``'s seeded one): the matrix's world only."""
    folder = tmp_path_factory.mktemp("pages")
    db_url = f"sqlite:///{folder / 'pages.sqlite'}"
    app = make_app(db_url)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        seed_questionnaires()
        db.session.remove()
    with serving(app, "sipas-pages") as url:
        yield LiveServer(app, url, db_url, folder / "pages.sqlite")


@pytest.fixture(scope="module")
def site(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The live server with the matrix's world and the demo-like data."""
    with live_server.app.app_context():
        world = build_world(live_server.app, tmp_path_factory.mktemp("world"))
        _demo_data()
        db.session.remove()
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    return world


@pytest.fixture(scope="module")
def contexts(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A browser context per (role, viewport), signed in once as ``u.<role>``."""
    made: dict[tuple[str, str], Any] = {}

    def get(role: str, viewport: str) -> Any:
        if (role, viewport) not in made:
            context = browser.new_context(**VIEWPORTS[viewport])
            context.set_default_timeout(15_000)
            if role != "anonymous":
                page = context.new_page()
                page.goto(f"{live_server.url}/dang-nhap")
                page.fill('input[name="username"]', f"u.{role}")
                page.fill('input[name="password"]', PASSWORD)
                page.locator("form button[type=submit]").first.click()
                page.wait_for_url(lambda url: "/dang-nhap" not in url)
                page.close()
            made[(role, viewport)] = context
        return made[(role, viewport)]

    try:
        yield get
    finally:
        for context in made.values():
            context.close()


@pytest.mark.parametrize(("endpoint", "index", "role", "viewport"), _pages())
def test_page(
    site: dict[str, str],
    contexts: Any,
    live_server: LiveServer,
    endpoint: str,
    index: int,
    role: str,
    viewport: str,
) -> None:
    case = RULES[endpoint][index]
    problems: list[str] = []
    page = contexts(role, viewport).new_page()
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    url = f"{live_server.url}{case.path(site)}"
    try:
        first = page.request.get(url, max_redirects=0)  # downloads are not pages
        kind = first.headers.get("content-type", "")
        assert first.status == 200, (role, first.status)
        if not kind.startswith("text/html") or "attachment" in first.headers.get(
            "content-disposition", ""
        ):
            pytest.skip(f"not an HTML page ({kind})")
        response = page.goto(url)
        assert response is not None and response.status == 200, (role, response.status)
        page.wait_for_load_state("load")
        name = f"{endpoint}{'-' + case.label if case.label else ''}-{viewport}.png"
        page.screenshot(path=str(PAGES_DIR / name), full_page=True)
        width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= window, f"the page scrolls sideways: {width} px in {window} px"
        assert page.locator("script", has_text="alert(1)").count() == 0
        text = page.inner_text("body")
        if (endpoint, case.label) in SHOWS_COMMENT:
            assert SHOWS_COMMENT[endpoint, case.label][:40] in text, "comment not shown as text"
        if "alert(1)" in text:
            assert SCRIPT in text, "a comment's <script> lost its text"
        assert problems == [], problems
    finally:
        page.close()
