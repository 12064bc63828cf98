"""A database held by another writer (on SQLite, a long import) for longer than the busy
timeout: the citizen's form comes back with the answers kept and a 503 asking to send again,
the API answers 503 with Retry-After, other pages a friendly 503 — never a 500, nothing lost,
and the same submission sent again is stored once."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db

from ..factories import all_responses, login_as, make_counter, make_unit, open_form, token_of


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SQLITE_BUSY_TIMEOUT_MS": 200}


@pytest.fixture
def token(app: Flask) -> str:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL takes concurrent writers")
    return token_of(make_counter(make_unit()))


@contextmanager
def held(app: Flask) -> Iterator[None]:
    """Another process's long write transaction (as ``sipas import`` holds it)."""
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO questionnaire_versions (id, title, created_at) "
            "VALUES ('held', 'held', '2026-01-01 00:00:00')"
        )
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_the_form_keeps_the_answers_and_asks_to_send_again(
    app: Flask, client: FlaskClient, token: str
) -> None:
    hidden = open_form(client, token)
    data = {**hidden, "A1": "4", "C2": "2", "comment": "Chờ hơi lâu"}
    with held(app):
        busy = client.post(f"/f/{token}", data=data)
    html = busy.get_data(as_text=True)
    assert busy.status_code == 503
    assert "Hệ thống đang bận nên câu trả lời của bạn chưa được gửi" in html
    assert re.search(r'name="A1" value="4" checked', html)
    assert re.search(r'name="C2" value="2" checked', html)
    assert "Chờ hơi lâu" in html
    assert hidden["idempotency_key"] in html  # sending again cannot store it twice
    assert all_responses() == []
    again = client.post(f"/f/{token}", data=data)
    assert again.status_code == 303
    twice = client.post(f"/f/{token}", data=data)  # a second tap after all
    assert twice.status_code == 303
    assert [r.answers for r in all_responses()] == [{"A1": 4, "C2": 2}]


def test_the_api_answers_503_with_retry_after(app: Flask, client: FlaskClient, token: str) -> None:
    body = {"answers": {"A1": 5}, "idempotency_key": "kiosk-1-0001"}
    headers = {"Authorization": f"Bearer {token}"}
    with held(app):
        busy = client.post("/api/v1/responses", json=body, headers=headers)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert "bận" in busy.json["error"]
    assert all_responses() == []
    assert client.post("/api/v1/responses", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/responses", json=body, headers=headers).status_code == 200
    assert len(all_responses()) == 1


def test_other_pages_answer_a_friendly_503(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from survey_app.services.analytics import staff as dashboard

    unit = make_unit()
    login_as(client, "staff", unit)

    def locked(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError(
            "INSERT INTO day_blocks …", {}, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr(dashboard, "today", locked)
    resp = client.get("/nhan-vien")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "Hệ thống đang bận" in resp.get_data(as_text=True)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("SELECT …", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(dashboard, "today", broken)
    assert client.get("/nhan-vien").status_code == 500  # a real fault stays a fault
