"""A newcomer's command line: only sipas commands in --help, one language rule, a lost password
reset, links on the port really served, demo responses never later than now."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import refresh
from gunicorn.app.base import BaseApplication
from sqlalchemy import func, select

from survey_app import config, create_app
from survey_app.cli import main
from survey_app.extensions import db
from survey_app.i18n import cli_locale, cli_text
from survey_app.models import AuditEntry, Response, User
from survey_app.services import accounts, demo

from ..factories import login, make_counter, make_unit, make_user


def _commands(help_text: str) -> list[str]:
    block = help_text.split("Commands:", 1)[1]
    return re.findall(r"^  (\S+)", block, re.M)


def test_help_lists_only_sipas_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = _commands(result.output)
    assert {"run", "shell", "routes"}.isdisjoint(listed)
    for name in ("init", "demo", "serve", "links", "qr", "export", "import", "score", "report"):
        assert name in listed
    assert {"users", "db"} <= set(listed)


@pytest.mark.parametrize(
    ("environ", "locale"),
    [
        ({}, "vi"),
        ({"LANG": "C.UTF-8"}, "vi"),
        ({"LANG": "vi_VN.UTF-8"}, "vi"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_GB"}, "en"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "vi_VN.UTF-8"}, "en"),  # LC_ALL first
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "vi"),  # the first one set decides
        ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "vi_VN"}, "en"),
        ({"LC_ALL": "", "LANG": "en_US.UTF-8"}, "en"),  # empty counts as not set
    ],
)
def test_one_language_rule(environ: dict[str, str], locale: str) -> None:
    assert cli_locale(environ) == locale


@pytest.mark.parametrize(
    ("lang", "message"),
    [("C.UTF-8", "không có đơn vị mã 'NOPE'"), ("en_US.UTF-8", "no unit has the code 'NOPE'")],
)
def test_messages_follow_the_rule(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, lang: str, message: str
) -> None:
    monkeypatch.setenv("LANG", lang)
    refresh()  # the test's application context outlives one command
    result = runner.invoke(args=["links", "--unit", "NOPE"])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("lang", "message"),
    [("C.UTF-8", "chưa đặt SECRET_KEY"), ("en_US.UTF-8", "SECRET_KEY not set")],
)
def test_start_up_errors_follow_the_rule_too(lang: str, message: str) -> None:
    error = config.ConfigurationError(
        "chưa đặt %(names)s: hãy chạy `sipas init` (ghi khoá ngẫu nhiên vào %(path)s) hoặc "
        "đặt SIPAS_SECRET_KEY và SIPAS_HASH_KEY.",
        names="SECRET_KEY",
        path="instance",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LANG", lang)
        assert message in cli_text(error.template, **error.values)


# --- sipas users reset-password -------------------------------------------------------------


def _last_entry() -> AuditEntry:
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    return entry


def test_reset_password_prints_a_new_one_and_ends_sessions(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    unit = make_unit("U1")
    make_user("nv.mot", "staff", unit)
    assert login(client, "nv.mot").status_code == 303
    g.pop("_login_user", None)
    assert client.get("/nhan-vien").status_code == 200
    result = runner.invoke(args=["users", "reset-password", "nv.mot"])
    assert result.exit_code == 0, result.output
    found = re.search(r": (\S{14})$", result.output.strip())
    assert found, result.output
    db.session.expire_all()
    user = accounts.authenticate("nv.mot", found.group(1))
    assert user.must_change_password
    g.pop("_login_user", None)
    assert client.get("/nhan-vien").status_code in (302, 303)  # the old session has ended
    entry = _last_entry()
    assert (entry.action, entry.actor_id, entry.target_id) == (
        "account.reset_password",
        None,
        str(user.id),
    )
    assert entry.after == {
        "password_reset": True,
        "must_change_password": True,
        "locked": False,
        "by": "command_line",
    }
    assert found.group(1) not in str(entry.before) + str(entry.after)


def test_reset_password_takes_a_typed_one(app: Flask, runner: FlaskCliRunner) -> None:
    make_user("nv.hai", "admin")
    result = runner.invoke(
        args=["users", "reset-password", "nv.hai", "--ask"], input="mật khẩu mới dài\n"
    )
    assert result.exit_code == 0, result.output
    assert "mật khẩu mới dài" not in result.output
    assert accounts.authenticate("nv.hai", "mật khẩu mới dài").username == "nv.hai"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["nobody"], None, "Không có tài khoản “nobody”"),
        (["nv.ba", "--ask"], "ngắn\n", "10"),
    ],
)
def test_reset_password_refuses_with_a_message(
    app: Flask, runner: FlaskCliRunner, args: list[str], stdin: str | None, message: str
) -> None:
    make_user("nv.ba", "admin")
    before = db.session.scalar(select(User.password_hash).where(User.username == "nv.ba"))
    result = runner.invoke(args=["users", "reset-password", *args], input=stdin)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).where(User.username == "nv.ba")) == before


def test_the_audit_log_names_the_command_line(app: Flask, client: FlaskClient) -> None:
    make_user("nv.bon", "staff", make_unit("U1"))
    accounts.reset_password_from_command_line("nv.bon")
    make_user("quan.tri", "admin")
    assert login(client, "quan.tri").status_code == 303
    g.pop("_login_user", None)
    html = client.get("/quan-tri/nhat-ky").get_data(as_text=True)
    assert "dòng lệnh sipas" in html and "Đặt lại mật khẩu" in html


# --- the port the demo serves on ------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "9123"}, "http://127.0.0.1:9123"),
        ({"PORT": "9123", "HOST": "127.0.0.1"}, "http://127.0.0.1:9123"),
        ({"PORT": "8080", "HOST": "0.0.0.0"}, "http://192.168.1.23:8080"),  # noqa: S104
    ],
)
def test_default_public_address_follows_port_and_host(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], url: str
) -> None:
    monkeypatch.setattr(config, "network_address", lambda: "192.168.1.23")
    assert config.default_base_url(environ) == url


@pytest.mark.parametrize("port", ["abc", "0", "70000"])
def test_a_bad_port_says_so(port: str) -> None:
    with pytest.raises(config.ConfigurationError, match="PORT"):
        config.default_base_url({"PORT": port})


def _app_without_base_url(db_url: str) -> Flask:
    """The test application, but with the public address left to its default."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "HASH_KEY": "test-hash-key",
            "DATABASE_URL": db_url,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def test_links_use_the_port_served(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    app = _app_without_base_url(db_url)
    with app.app_context():
        make_counter(make_unit("U1"))
        result = app.test_cli_runner().invoke(args=["links"])
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1:9123/f/" in result.output
        assert ":8000" not in result.output
        db.session.remove()
        db.engine.dispose()  # this second app's connections, not left to the collector


def test_serve_warns_when_the_public_address_names_another_port(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BaseApplication, "run", lambda self: None)
    app = _app_without_base_url(db_url)  # http://127.0.0.1:8000
    with app.app_context():
        runner = app.test_cli_runner()
        result = runner.invoke(args=["serve", "--port", "9000", "--workers", "1"])
        assert result.exit_code == 0, result.output
        assert "cổng 8000" in result.output and "PORT=9000" in result.output
        quiet = runner.invoke(args=["serve", "--port", "8000", "--workers", "1"])
        assert quiet.exit_code == 0 and "cổng 8000" not in quiet.output
        db.session.remove()
        db.engine.dispose()  # this second app's connections, not left to the collector


# --- demo responses are never later than now ------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 4, 9, 0, tzinfo=UTC),  # Wednesday 16:00 in Hà Nội
        datetime(2026, 3, 4, 2, 0, tzinfo=UTC),  # 09:00
        datetime(2026, 3, 4, 0, 40, tzinfo=UTC),  # 07:40: just after the counters open
        datetime(2026, 3, 3, 23, 0, tzinfo=UTC),  # 06:00: before they open
    ],
)
def test_demo_responses_are_never_later_than_now(
    app: Flask, monkeypatch: pytest.MonkeyPatch, now: datetime
) -> None:
    monkeypatch.setattr(demo, "utcnow", lambda: now)
    demo.create_organisation()
    assert demo.generate_responses(3000, seed=11) == 3000
    latest = db.session.scalar(select(func.max(Response.submitted_at)))
    assert latest is not None
    assert latest.replace(tzinfo=latest.tzinfo or UTC) <= now
    today = now.astimezone(demo.VN_TZ).date()
    on_today = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.local_day == today)
    )
    if now.astimezone(demo.VN_TZ).hour >= 16:
        assert on_today  # today still gets its responses, up to now
    assert db.session.scalar(select(func.max(Response.local_day))) <= today
