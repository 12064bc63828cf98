"""Shared fixtures: an app per test on SQLite and on PostgreSQL, clients, data factories.

PostgreSQL tests use ``SIPAS_TEST_POSTGRES_URL`` (default: the local server at
127.0.0.1:5432, user postgres).  Without a reachable server they skip and say why — except
under CI (``CI=true``), where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Base
from survey_app.services.storage.schema import upgrade_database

PG_ADMIN_URL = os.environ.get(
    "SIPAS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_pg_state: dict[str, Any] = {}


def _pg_database() -> str:
    """Create one throw-away PostgreSQL database for this test process; return its URL."""
    if "url" in _pg_state:
        return str(_pg_state["url"])
    if "error" in _pg_state:
        pytest.skip(str(_pg_state["error"]))
    admin_url = sa.make_url(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"sipas_test_{uuid.uuid4().hex[:10]}"
    try:
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        reason = (
            f"PostgreSQL not reachable at {admin_url.render_as_string()} "
            f"({type(exc.orig).__name__}); set SIPAS_TEST_POSTGRES_URL to run these tests"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        _pg_state["error"] = reason
        pytest.skip(reason)
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    _pg_state.update(url=url, name=name, admin=admin_url, fresh=True)
    return url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if "name" in _pg_state:
        engine = sa.create_engine(_pg_state["admin"], isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{_pg_state["name"]}" WITH (FORCE)'))
        engine.dispose()


def make_app(database_url: str, **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "HASH_KEY": "test-hash-key",
        "DATABASE_URL": database_url,
        "BASE_URL": "https://sipas.test",
        "RATELIMIT_STORAGE_URI": "memory://",
        **extra,
    }
    return create_app(config)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return _pg_database()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override per test module to change settings."""
    return {}


@pytest.fixture
def app(db_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(db_url, **app_config)
    with app.app_context():
        upgrade_database()  # the real migrations, not create_all
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
