"""Defect 3 through the real server: ``sipas serve`` (gunicorn) answers a body over the limit
with the friendly 413 page (HTML in the reader's language, JSON under ``/api/``), never its
bare 500 — and the limits and headers of the Flask test client hold there too."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from survey_app.extensions import db

from ..conftest import make_app, migrated_sqlite
from ..factories import make_counter, make_unit, seed_questionnaires, token_of

HOST = "127.0.0.1"
BIG = 70_000  # over the 64 KB of the public routes


@dataclass
class Served:
    port: int
    token: str

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace")
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    db_url = migrated_sqlite(sqlite_template, folder / "live.sqlite")
    app = make_app(db_url)
    with app.app_context():
        seed_questionnaires()
        token = token_of(make_counter(make_unit()))
        db.session.remove()
        db.engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": db_url,
        "SIPAS_SECRET_KEY": "test-secret",
        "SIPAS_HASH_KEY": "test-hash-key",
        "SIPAS_BASE_URL": f"http://{HOST}:{port}",
    }
    sipas = Path(sys.executable).with_name("sipas")
    log = (folder / "serve.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 - our own console script, local port
        [str(sipas), "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if Served(port, token).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sipas serve did not start: {(folder / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield Served(port, token)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_big_form_is_the_friendly_413_page(served: Served) -> None:
    status, headers, html = served.request("POST", "/dang-nhap", b"a=" + b"x" * BIG, FORM)
    assert status == 413
    assert headers["Content-Type"].startswith("text/html")
    assert "Dữ liệu quá lớn" in html and '<html lang="vi">' in html


def test_big_form_in_english(served: Served) -> None:
    status, _headers, html = served.request(
        "POST", f"/f/{served.token}?lang=en", b"a=" + b"x" * BIG, FORM
    )
    assert status == 413 and '<html lang="en">' in html and "Too much data" in html


def test_big_api_body_is_json_413(served: Served) -> None:
    body = json.dumps({"answers": {"A1": 5}, "comment": "x" * BIG}).encode()
    status, headers, text = served.request(
        "POST",
        "/api/v1/responses",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {served.token}"},
    )
    assert status == 413 and headers["Content-Type"] == "application/json"
    assert json.loads(text)["error"]


def test_405_and_allow_through_gunicorn(served: Served) -> None:
    status, headers, _text = served.request("GET", "/api/v1/responses")
    assert status == 405 and "POST" in headers["Allow"]
