"""Security headers on every kind of answer."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .factories import make_counter, make_unit, token_of


@pytest.fixture
def token(app: Flask) -> str:
    return token_of(make_counter(make_unit()))


@pytest.mark.parametrize(
    "path", ["/", "/f/{token}", "/f/unknown", "/healthz", "/api/v1/openapi.json"]
)
def test_headers(client: FlaskClient, token: str, path: str) -> None:
    resp = client.get(path.format(token=token))
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers


def test_hsts_over_https(client: FlaskClient) -> None:
    resp = client.get("/", base_url="https://sipas.test")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_static_files_are_cacheable(client: FlaskClient) -> None:
    resp = client.get("/static/public.css")
    assert "no-store" not in resp.headers.get("Cache-Control", "")
    resp.close()


def test_form_page_has_no_inline_script_or_style(client: FlaskClient, token: str) -> None:
    html = client.get(f"/f/{token}").get_data(as_text=True)
    assert "<script" not in html and "style=" not in html and "<style" not in html
