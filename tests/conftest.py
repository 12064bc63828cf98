"""Shared fixtures: an app per test on SQLite and on PostgreSQL, clients, data factories.

Each test process runs the real migrations once per database: on SQLite into a template file
that every test gets a copy of, on PostgreSQL into the process's own database, which is put
back to its migrated state after each test.  (``tests/test_migrations.py`` moves the schema
down and up on both.)  A dataset several tests of a module read is built once per module
and database kind and copied into each test's database (:class:`BuiltDatabase`); passwords
are hashed at the lowest argon2 cost (see ``FAST_PASSWORD_HASHER``).

PostgreSQL tests use ``SIPAS_TEST_POSTGRES_URL`` (default: the local server at
127.0.0.1:5432, user postgres).  Without a reachable server they skip and say why — except
under CI (``CI=true``), where a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Base
from survey_app.services import accounts
from survey_app.services.storage.schema import upgrade_database

PG_ADMIN_URL = os.environ.get(
    "SIPAS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Tables holding at least this many rows after a test are emptied by TRUNCATE, the others by
# DELETE (on a handful of rows, DELETE is several times faster than TRUNCATE).
_TRUNCATE_FROM_ROWS = 5000


class _PostgresDatabase:
    """One throw-away PostgreSQL database per test process, migrated once; after each test it
    is put back to the state the migrations left (rows deleted, sequences restarted, the rows
    the upgrade wrote inserted again), which is much cheaper than migrating again."""

    def __init__(self, admin_url: sa.URL) -> None:
        self.admin_url = admin_url
        self.name = ""
        self.url = ""
        self.seed_rows: dict[str, list[dict[str, Any]]] = {}
        self._engine: sa.Engine | None = None
        # True from a reset until the database is handed to the next test: a test whose app
        # fixture already put the database back is not reset a second time before the next.
        self._clean = False

    def create(self) -> str:
        """The database's URL; creates and migrates it on first use (or after a failed reset).
        Every test starts from the migrated state: the database is put back here too, not
        only after a test that used the ``app`` fixture (a test that took ``db_url`` alone,
        or wrote through an app or process of its own, is cleaned up after)."""
        if self.url:
            if not self._clean:
                self.reset()
            self._clean = False
            return self.url
        name = f"sipas_test_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.name = name
        url = self.admin_url.set(database=name).render_as_string(hide_password=False)
        app = make_app(url)
        with app.app_context():
            upgrade_database()  # the real migrations, once per test process
            db.session.remove()
            db.engine.dispose()
        self._engine = sa.create_engine(url)
        with self._engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in conn.execute(table.select())]
                if rows:
                    self.seed_rows[table.name] = rows
        self.url = url
        return url

    @property
    def engine(self) -> sa.Engine:
        assert self._engine is not None, "create() first"
        return self._engine

    def reset(self) -> None:
        """Back to the migrated state; on failure the database is dropped, and the next test
        gets a new one."""
        assert self._engine is not None
        tables = Base.metadata.sorted_tables
        sizes = " UNION ALL ".join(
            f"SELECT '{t.name}', count(*) FROM "
            f'(SELECT 1 FROM "{t.name}" LIMIT {_TRUNCATE_FROM_ROWS}) AS s'
            for t in tables
        )
        try:
            with self._engine.begin() as conn:
                rows: dict[str, int] = dict(conn.execute(sa.text(sizes)).all())
                big = [t.name for t in tables if rows[t.name] >= _TRUNCATE_FROM_ROWS]
                if big:
                    names = ", ".join(f'"{name}"' for name in big)
                    conn.execute(sa.text(f"TRUNCATE {names} CASCADE"))
                for table in reversed(tables):
                    if 0 < rows[table.name] < _TRUNCATE_FROM_ROWS:
                        conn.execute(table.delete())
                conn.execute(
                    sa.text(
                        "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, "
                        "start_value, false) FROM pg_sequences "
                        "WHERE schemaname = current_schema()"
                    )
                )
                for table in tables:
                    if table.name in self.seed_rows:
                        conn.execute(table.insert(), self.seed_rows[table.name])
                        if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                            # seeded rows (the holidays of migration 0019) keep their ids:
                            # the next row is numbered after them
                            conn.execute(
                                sa.text(
                                    "SELECT setval(pg_get_serial_sequence(:t, 'id')::regclass, "
                                    f'(SELECT max(id) FROM "{table.name}"))'
                                ),
                                {"t": table.name},
                            )
        except Exception:
            self.drop()
            raise
        self._clean = True

    def drop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.name:
            admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()
        self.name = self.url = ""
        self.seed_rows = {}
        self._clean = False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[_PostgresDatabase]:
    """This process's PostgreSQL database (skips, or fails under CI, without a server)."""
    admin_url = sa.make_url(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        engine = sa.create_engine(admin_url)
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as exc:
        reason = (
            f"PostgreSQL not reachable at {admin_url.render_as_string()} "
            f"({type(exc.orig).__name__}); set SIPAS_TEST_POSTGRES_URL to run these tests"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    database = _PostgresDatabase(admin_url)
    yield database
    database.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file upgraded by the real migrations, once per test process; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade_database()
        db.session.remove()
        db.engine.dispose()  # the last connection closed: the WAL is checkpointed and removed
    assert not path.with_name(path.name + "-wal").exists()
    return path


def migrated_sqlite(template: Path, path: Path) -> str:
    """A migrated SQLite database at ``path`` (a copy of ``template``); returns its URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def make_app(database_url: str, **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "HASH_KEY": "test-hash-key",
        "DATABASE_URL": database_url,
        "BASE_URL": "https://sipas.test",
        "RATELIMIT_STORAGE_URI": "memory://",
        "QUEUE_URL": "memory://",  # tasks wait in this process's memory; none runs unless a
        # test sets QUEUE_IMMEDIATE or runs a worker (tests/queue_helpers.py)
        **extra,
    }
    return create_app(config)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database for one test: a copy of the migrated SQLite file, or this
    process's PostgreSQL database (put back to its migrated state after the test)."""
    if request.param == "sqlite":
        return migrated_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "test.sqlite")
    return str(request.getfixturevalue("postgres_database").create())


def database_kind(request: pytest.FixtureRequest) -> str:
    """The test's database parameter ("sqlite" or "postgresql"), for a module's cache of
    objects built once per database kind (see ``report`` in tests/reports/test_golden.py)."""
    kind = request.node.callspec.params["db_url"]
    assert isinstance(kind, str)
    return kind


@pytest.fixture(autouse=True)
def _locale_and_port_of_the_machine_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks English when LC_ALL/LC_MESSAGES/LANG ask for it, and the
    public address follows PORT/HOST (survey_app/i18n.py, config.py): the suite expects the
    defaults — Vietnamese, 127.0.0.1:8000 — whatever the machine's environment."""
    for name in ("LC_ALL", "LC_MESSAGES", "PORT", "HOST", "SIPAS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


# argon2 at the production cost (argon2-cffi's defaults: 64 MiB, 3 passes, 4 lanes) takes
# 0.1 s per hash on an idle core and about 1 s on this shared 2-core machine, and most page
# tests create accounts and sign in.  Tests hash with the same algorithm (argon2id, a real
# salted hash that verifies) at its lowest cost, from the start of the session (module-scoped
# fixtures and built databases too); the production parameters are pinned by
# tests/services/test_accounts.py, and a test marked ``production_password_cost`` keeps them.
PRODUCTION_PASSWORD_HASHER = accounts._hasher
FAST_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", FAST_PASSWORD_HASHER)
        yield


@pytest.fixture(autouse=True)
def _production_password_cost_when_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("production_password_cost") is not None:
        monkeypatch.setattr(accounts, "_hasher", PRODUCTION_PASSWORD_HASHER)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override per test module to change settings."""
    return {}


@pytest.fixture
def app(request: pytest.FixtureRequest, db_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(db_url, **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if db_url.startswith("postgresql"):
        request.getfixturevalue("postgres_database").reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class BuiltDatabase:
    """A database built once per test module by ``build`` (for example ``sipas demo``), handed
    to each test as a fresh copy: on SQLite a copy of the built file, on PostgreSQL the built
    rows (and sequence positions) inserted into this process's migrated database.

    Use from a module-scoped fixture, and call :meth:`copy_into` with the test's ``db_url``
    before the ``app`` fixture is made (see ``demo`` in tests/cli/test_cli.py).  ``build`` gets
    an app (with an app context pushed) on a migrated database; it runs once per database
    kind, on first use, so a module run on one kind never builds the other.
    """

    def __init__(
        self,
        request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory,
        build: Callable[[Flask], None],
        **app_config: Any,
    ) -> None:
        self._request = request
        self._tmp = tmp_path_factory
        self._build = build
        self._app_config = app_config
        self._sqlite: Path | None = None
        self._pg_rows: dict[str, list[dict[str, Any]]] | None = None
        self._pg_sequences: list[tuple[str, int | None]] = []

    def _run_build(self, url: str) -> None:
        app = make_app(url, **self._app_config)
        with app.app_context():
            self._build(app)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    def copy_into(self, db_url: str) -> None:
        """Make the (fresh, migrated) database at ``db_url`` a copy of the built one."""
        if db_url.startswith("sqlite:///"):
            if self._sqlite is None:
                template = self._request.getfixturevalue("sqlite_template")
                path = self._tmp.mktemp("built") / "built.sqlite"
                self._run_build(migrated_sqlite(template, path))
                assert not path.with_name(path.name + "-wal").exists()
                self._sqlite = path
            shutil.copyfile(self._sqlite, db_url.removeprefix("sqlite:///"))
            return
        database: _PostgresDatabase = self._request.getfixturevalue("postgres_database")
        assert db_url == database.url, "copy_into takes this test's db_url"
        tables = Base.metadata.sorted_tables
        if self._pg_rows is None:
            self._run_build(db_url)
            with database.engine.connect() as conn:
                self._pg_rows = {
                    t.name: [dict(row._mapping) for row in conn.execute(t.select())] for t in tables
                }
                self._pg_sequences = [
                    (name, last)
                    for name, last in conn.execute(
                        sa.text(
                            "SELECT format('%I.%I', schemaname, sequencename), last_value "
                            "FROM pg_sequences WHERE schemaname = current_schema()"
                        )
                    )
                ]
            database.reset()
            database.create()  # handed out again (to this test)
        with database.engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(table.delete())
            for table in tables:
                if self._pg_rows[table.name]:
                    conn.execute(table.insert(), self._pg_rows[table.name])
            for name, last in self._pg_sequences:  # the others are at their start (reset)
                if last is not None:
                    conn.execute(sa.text("SELECT setval(:n, :v, true)"), {"n": name, "v": last})
