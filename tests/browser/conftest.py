"""Real-browser fixtures: a live sipas server on a SQLite file, Debian's chromium via Playwright.

The server is the real application (``tests.conftest.make_app``) served by werkzeug in a
daemon thread on 127.0.0.1 and a free port; its database is a SQLite file that the tests (and
the ``sipas`` CLI, run as a subprocess) read as well.

Without chromium (or the playwright package) the tests skip and say why — except under CI
(``CI=true``), where that is a failure.  ``playwright install`` is never needed nor run: the
browser is the system's ``chromium``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from survey_app.extensions import db
from survey_app.models import Counter, Response, Unit

from ..conftest import make_app, migrated_sqlite
from ..factories import make_counter, make_procedure, make_unit, seed_questionnaires, token_of

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A phone: what a citizen scanning the counter's QR code holds.
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "vi-VN",
    "device_scale_factor": 2,
}

SECRET_KEY = "test-secret"  # the values tests.conftest.make_app uses
HASH_KEY = "test-hash-key"
UNIT_CODE = "BT"
UNIT_NAME = "Trung tâm Phục vụ hành chính công huyện Bình Thử"
PLACE_NAME = "Trung tâm Phục vụ hành chính công"
# One counter per test, so each test looks only at its own responses.
COUNTERS = ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6")
PROCEDURES = (
    ("2.000889", "Đăng ký khai sinh", "chung"),
    ("2.000815", "Chứng thực bản sao từ bản chính", "chung"),
    ("1.004227", "Đăng ký đất đai, tài sản gắn liền với đất lần đầu", "dat_dai_xay_dung_dau_tu"),
)
SHOTS_DIR = Path("/tmp/sipas-shots")


def missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run in CI)")
    pytest.skip(reason)


@dataclass
class LiveServer:
    """The running app: its URL, database and the counters' tokens."""

    app: Flask
    url: str
    db_url: str
    db_path: Path
    tokens: dict[str, str] = field(default_factory=dict)
    procedure_ids: dict[str, int] = field(default_factory=dict)

    def form_url(self, counter: str) -> str:
        return f"{self.url}/f/{self.tokens[counter]}"

    def responses(self, counter: str) -> list[dict[str, Any]]:
        """The stored responses of one counter, oldest first, as plain dicts."""
        with self.app.app_context():
            db.session.expire_all()
            rows = db.session.scalars(
                select(Response)
                .join(Counter, Counter.id == Response.counter_id)
                .join(Unit, Unit.id == Counter.unit_id)
                .where(Unit.code == UNIT_CODE, Counter.code == counter)
                .order_by(Response.id)
            ).all()
            out = [
                {
                    "answers": dict(r.answers),
                    "comment": r.comment,
                    "source": r.source,
                    "channel": r.channel,
                    "procedure_id": r.procedure_id,
                    "questionnaire_id": r.questionnaire_id,
                    "target_group": r.target_group,
                    "idempotency_key": r.idempotency_key,
                }
                for r in rows
            ]
            db.session.remove()
        return out

    def cli_env(self) -> dict[str, str]:
        """Environment for running the real ``sipas`` CLI against this server's database."""
        env = dict(os.environ)
        env.update(
            SIPAS_DATABASE_URL=self.db_url,
            SIPAS_SECRET_KEY=SECRET_KEY,
            SIPAS_HASH_KEY=HASH_KEY,
            SIPAS_BASE_URL=self.url,
        )
        return env


def _seed(app: Flask) -> tuple[dict[str, str], dict[str, int]]:
    with app.app_context():
        seed_questionnaires()
        unit = make_unit(UNIT_CODE, UNIT_NAME, place_name=PLACE_NAME)
        procedure_ids = {}
        for code, name, group in PROCEDURES:
            procedure_ids[code] = make_procedure(unit, code, name, group).id
        tokens = {}
        for i, code in enumerate(COUNTERS, start=1):
            tokens[code] = token_of(make_counter(unit, code, f"Quầy số {i}"))
        db.session.remove()
    return tokens, procedure_ids


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    db_path = tmp_path_factory.mktemp("live") / "live.sqlite"
    db_url = migrated_sqlite(sqlite_template, db_path)  # the migrated schema, as in production
    app = make_app(db_url)
    tokens, procedure_ids = _seed(app)
    with serving(app, "sipas-live") as url:
        yield LiveServer(app, url, db_url, db_path, tokens, procedure_ids)


@contextmanager
def serving(app: Flask, name: str) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yields its URL (also set as
    ``BASE_URL``, read per request for public URLs and QR cards).  Afterwards the server
    stops and the app's engine is disposed."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        missing(
            "chromium is not installed (apt-get install chromium); "
            "browser tests use the system chromium, never `playwright install`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def watch_page(page: Any, problems: list[str]) -> Any:
    """Record script errors and Content-Security-Policy violations of ``page``."""
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    return page


def open_menu(page: Any) -> None:
    """Open the header menu where it is a closed <details> (a phone); on a wide screen its
    links are shown already (templates/layout/_menu.html)."""
    summary = page.locator("details.menu > summary")
    if summary.count() and summary.is_visible() and page.locator("details.menu[open]").count() == 0:
        summary.click()


@pytest.fixture
def page_problems() -> list[str]:
    return []


@pytest.fixture
def phone_context(browser: Any, page_problems: list[str]) -> Iterator[Any]:
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()
    assert page_problems == [], "the page had script errors or CSP violations"


@pytest.fixture
def page(phone_context: Any, page_problems: list[str]) -> Any:
    """A phone-sized page (360×740, mobile, touch, vi-VN); script errors and CSP violations
    fail the test."""
    return watch_page(phone_context.new_page(), page_problems)


@pytest.fixture
def shots(tmp_path: Path) -> list[Path]:
    """Folders for screenshots: the test's tmp_path and /tmp/sipas-shots for a human."""
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    return [tmp_path, SHOTS_DIR]
