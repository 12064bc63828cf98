"""Outages (issue 11, defect 10): with the database unreachable the citizen's form comes back
with the answers and a request to send again (503 + Retry-After), the API answers JSON 503 +
Retry-After, other pages a friendly 503 in the reader's language; with Redis down the rate
limits fall back to this process's memory (logged) and submissions are stored; ``/healthz``
reports each dependency.

The database is made unreachable for real: the app's engine is swapped for one pointing at a
closed port (PostgreSQL) or at a file in a folder that does not exist (SQLite).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import refresh

from survey_app.extensions import db

from ..factories import all_responses, login_as, make_counter, make_unit, open_form, token_of

CLOSED_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def token(app: Flask) -> str:
    return token_of(make_counter(make_unit()))


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Every new connection of the app fails as an unreachable server's would."""
    if db.engine.dialect.name == "sqlite":
        broken = sa.create_engine("sqlite:////nonexistent-sipas-outage/sipas.sqlite")
    else:
        broken = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/sipas")
    engines = db._app_engines[app]
    working = engines[None]
    db.session.remove()
    engines[None] = broken
    try:
        yield
    finally:
        db.session.remove()
        engines[None] = working
        broken.dispose()
        g.pop("_login_user", None)


def test_the_form_keeps_the_answers_when_the_database_is_unreachable(
    app: Flask, client: FlaskClient, token: str
) -> None:
    hidden = open_form(client, token)
    data = {**hidden, "A1": "4", "C2": "2", "comment": "Chờ <b>hơi</b> lâu"}
    with database_down(app):
        down = client.post(f"/f/{token}", data=data)
    html = down.get_data(as_text=True)
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert "câu trả lời của bạn chưa được gửi" in html
    assert re.search(r'name="A1" value="4" checked', html)
    assert re.search(r'name="C2" value="2" checked', html)
    assert "Chờ &lt;b&gt;hơi&lt;/b&gt; lâu" in html
    assert hidden["idempotency_key"] in html  # sending again cannot store it twice
    assert all_responses() == []
    assert client.post(f"/f/{token}", data=data).status_code == 303
    assert client.post(f"/f/{token}", data=data).status_code == 303
    assert [r.answers for r in all_responses()] == [{"A1": 4, "C2": 2}]


def test_a_form_post_the_process_cannot_show_keeps_the_answers_to_send_again(
    app: Flask, client: FlaskClient, token: str
) -> None:
    """A worker that never read the counter (no cache) cannot draw the form: it answers a
    page holding the same answers in hidden fields and a "send again" button."""
    hidden = open_form(client, token)
    data = {**hidden, "A1": "5", "comment": 'Tốt "lắm" & nhanh'}
    app.config["TOKEN_CACHE_SECONDS"] = 0
    refresh()  # the test's app context outlives requests: drop the cached locale
    with database_down(app):
        down = client.post(f"/f/{token}?lang=en", data=data)
    html = down.get_data(as_text=True)
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert "Send again" in html and "not been sent" in html  # the citizen's language
    kept = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert kept["A1"] == "5" and kept["idempotency_key"] == hidden["idempotency_key"]
    assert kept["comment"] == "Tốt &#34;lắm&#34; &amp; nhanh"
    assert all_responses() == []
    resent = {**data}  # what the browser posts from that page
    assert client.post(f"/f/{token}", data=resent).status_code == 303
    assert [(r.answers, r.comment) for r in all_responses()] == [({"A1": 5}, 'Tốt "lắm" & nhanh')]


def test_the_api_answers_json_503_with_retry_after(
    app: Flask, client: FlaskClient, token: str
) -> None:
    other = token_of(make_counter(make_unit("U2"), code="Q2"))
    body = {"answers": {"A1": 5}, "idempotency_key": "kiosk-1-0001"}
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/responses", json=body, headers=headers).status_code == 201
    body2 = {"answers": {"A1": 4}, "idempotency_key": "kiosk-1-0002"}
    with database_down(app):
        known = client.post("/api/v1/responses", json=body2, headers=headers)
        unknown = client.post(
            "/api/v1/responses", json=body2, headers={"Authorization": f"Bearer {other}"}
        )
    for resp in (known, unknown):
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
        assert resp.is_json and resp.json["error"]
    assert client.post("/api/v1/responses", json=body2, headers=headers).status_code == 201
    assert len(all_responses()) == 2


def test_other_pages_answer_a_friendly_503_in_the_readers_language(
    app: Flask, client: FlaskClient
) -> None:
    login_as(client, "staff", make_unit())
    refresh()  # (each request chooses its language afresh)
    client.get("/nhan-vien?lang=en")
    refresh()  # the test's app context outlives requests: drop the cached locale
    with database_down(app):
        resp = client.get("/nhan-vien")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "the database cannot be reached" in resp.get_data(as_text=True)
    g.pop("_login_user", None)
    assert client.get("/nhan-vien").status_code == 200  # the session outlived the outage


def test_healthz_reports_the_database(app: Flask, client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    with database_down(app):
        resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json == {"status": "error", "database": "unreachable"}


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_STORAGE_URI": CLOSED_REDIS, "RATELIMIT_API": "3/minute"}],
)
def test_with_redis_down_submissions_are_stored_and_limited_per_process(
    app: Flask, client: FlaskClient, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sipas.ratelimit")
    hidden = open_form(client, token)
    assert client.post(f"/f/{token}", data={**hidden, "A1": "4"}).status_code == 303
    headers = {"Authorization": f"Bearer {token}"}
    codes = [
        client.post("/api/v1/responses", json={"answers": {"A1": 5}}, headers=headers).status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]  # the limit still holds, in this process's memory
    assert len(all_responses()) == 4
    warnings = [r.getMessage() for r in caplog.records if r.name == "sipas.ratelimit"]
    assert len(warnings) == 1  # logged once, not per request
    assert "redis://127.0.0.1:1 unreachable" in warnings[0]


@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": CLOSED_REDIS}])
def test_healthz_reports_redis_down(app: Flask, client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json == {"status": "error", "database": "ok", "redis": "unreachable"}


def _redis_up() -> bool:
    try:
        with redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=1) as conn:
            return bool(conn.ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}])
def test_healthz_reports_redis_up(app: Flask, client: FlaskClient) -> None:
    resp = client.get("/healthz")
    app.extensions["sipas_ratelimit_storage"].shared.storage.close()
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_a_real_fault_is_not_called_an_outage() -> None:
    from sqlalchemy.exc import OperationalError

    from survey_app.services.storage.engine import is_unavailable

    def wrapped(message: str) -> Any:
        return OperationalError("SELECT 1", {}, Exception(message))

    assert is_unavailable(wrapped("connection failed: Connection refused"))
    assert is_unavailable(wrapped("unable to open database file"))
    assert is_unavailable(wrapped("database is locked"))
    assert not is_unavailable(wrapped("disk I/O error"))
    assert not is_unavailable(wrapped('relation "x" does not exist'))
