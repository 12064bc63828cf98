"""Application set-up: configuration, secrets, migrations, SQLite pragmas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from survey_app import config, create_app
from survey_app.extensions import db
from survey_app.models import Base

ROOT = Path(__file__).parents[1]


def test_migrations_match_the_models(app: Flask) -> None:
    """The app fixture upgraded an empty database with the migrations; nothing may differ."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_settings_come_from_sipas_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SIPAS_BASE_URL", "https://hailong.example.vn/")
    monkeypatch.setenv("SIPAS_RATELIMIT_FORM", "5/hour")
    monkeypatch.setenv("SIPAS_DATABASE_URL", "postgres://u@h/db")
    app = create_app({"SECRET_KEY": "s", "HASH_KEY": "h"})
    assert app.config["BASE_URL"] == "https://hailong.example.vn"
    assert app.config["RATELIMIT_FORM"] == "5/hour"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_serving_without_secrets_fails_fast(tmp_path: Path) -> None:
    app = Flask("x", instance_path=str(tmp_path))
    with pytest.raises(config.ConfigurationError, match="sipas init"):
        config.require_secrets(app)


def test_instance_secrets_are_random_and_private(tmp_path: Path) -> None:
    path = config.write_instance_secrets(str(tmp_path))
    first = config.load_instance_secrets(str(tmp_path))
    assert len(first["SECRET_KEY"]) > 40 and first["SECRET_KEY"] != first["HASH_KEY"]
    assert path.stat().st_mode & 0o077 == 0
    config.write_instance_secrets(str(tmp_path))  # idempotent: keys are kept
    assert config.load_instance_secrets(str(tmp_path)) == first


def test_every_setting_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in config.DEFAULTS:
        assert f"SIPAS_{name}" in readme, f"SIPAS_{name} is not documented in README.md"


def test_instance_folder_is_never_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "instance/" in ignored
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [t for t in tracked if t.endswith("secrets.json") or t.startswith("instance/")]


def test_init_is_idempotent_on_an_empty_database(tmp_path: Path) -> None:
    app = create_app(
        {"SECRET_KEY": "s", "HASH_KEY": "h", "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite'}"}
    )
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"responses", "day_blocks", "units", "alembic_version"} <= tables
    assert "daily_counts" not in tables  # dropped by migration 0009


def test_commands_start_without_the_numeric_stack() -> None:
    """Every `sipas` command builds the app: numpy, scipy, matplotlib and pyarrow load only
    where they are used (the export of 20,000 responses must finish within a second)."""
    code = (
        "import sys, survey_app.cli as c; c.create_app({'SECRET_KEY': 's', 'HASH_KEY': 'h'});"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'numpy', 'scipy', 'matplotlib', 'pyarrow', 'alembic'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"
