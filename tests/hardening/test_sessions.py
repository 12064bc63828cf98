"""Sessions and sign-in (issue 11, defects 11–13): sign-out and disabling end sessions on the
server, sessions end when idle and after a fixed lifetime; failed logins are throttled per
client and per account with the same answer for usernames that have no account; a revoked
counter token stops working in every server process at once."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from survey_app.auth import sessions
from survey_app.config import ConfigurationError
from survey_app.extensions import db
from survey_app.services import accounts

from ..conftest import make_app
from ..factories import (
    PASSWORD,
    counter_of,
    csrf_of,
    login,
    make_counter,
    make_unit,
    make_user,
    token_of,
)


@pytest.fixture
def user(app: Flask) -> Any:
    return make_user(unit=make_unit())


def _fresh(client: FlaskClient, path: str = "/nhan-vien") -> int:
    """GET ``path`` as a new request would (the test's shared ``g`` forgets the user)."""
    g.pop("_login_user", None)
    return client.get(path).status_code


def _saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    other = app.test_client()
    other.set_cookie("session", value)
    return other


# -- 11. sessions end on the server ----------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_works(
    app: Flask, client: FlaskClient, user: Any
) -> None:
    assert login(client, "nv.mot").status_code == 303
    saved = _saved_cookie(client)
    assert _fresh(_with_cookie(app, saved)) == 200  # a copy works while signed in
    token = csrf_of(client, "/nhan-vien")
    assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 303
    assert _fresh(client) == 302
    assert _fresh(_with_cookie(app, saved)) == 302  # the copy ended with the sign-out


def test_disabling_then_enabling_does_not_revive_old_sessions(
    app: Flask, client: FlaskClient, user: Any
) -> None:
    admin = make_user("qt.mot", role="admin")
    assert login(client, "nv.mot").status_code == 303
    saved = _saved_cookie(client)
    accounts.set_active(admin, user, False)
    assert _fresh(_with_cookie(app, saved)) == 302
    accounts.set_active(admin, user, True)
    assert _fresh(_with_cookie(app, saved)) == 302
    g.pop("_login_user", None)
    assert login(app.test_client(), "nv.mot").status_code == 303  # a new login works


def test_a_session_ends_after_the_idle_time(
    client: FlaskClient, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = time.time()
    assert login(client, "nv.mot").status_code == 303
    monkeypatch.setattr(sessions, "now", lambda: start + 29 * 60)
    assert _fresh(client) == 200  # renews the last-request time
    monkeypatch.setattr(sessions, "now", lambda: start + 58 * 60)
    assert _fresh(client) == 200  # 29 minutes after the last request
    monkeypatch.setattr(sessions, "now", lambda: start + 89 * 60)
    assert _fresh(client) == 302  # 31 minutes idle: signed out
    assert "/dang-nhap" in client.get("/nhan-vien").headers["Location"]


@pytest.mark.parametrize("app_config", [{"SESSION_MAX_HOURS": 2, "SESSION_IDLE_MINUTES": 30}])
def test_a_session_ends_after_its_lifetime_however_active(
    client: FlaskClient, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = time.time()
    assert login(client, "nv.mot").status_code == 303
    codes = []
    times = (20, 40, 60, 80, 100, 118, 138)  # a request every 20 minutes
    for minutes in times:
        monkeypatch.setattr(sessions, "now", lambda m=minutes: start + m * 60)
        codes.append((minutes, _fresh(client)))
    assert codes == [(m, 200 if m < 120 else 302) for m in times]


@pytest.mark.parametrize("app_config", [{"SESSION_MAX_HOURS": 1}])
def test_changing_ones_password_does_not_restart_the_lifetime(
    client: FlaskClient, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = time.time()
    assert login(client, "nv.mot").status_code == 303
    monkeypatch.setattr(sessions, "now", lambda: start + 25 * 60)
    g.pop("_login_user", None)
    token = csrf_of(client, "/doi-mat-khau")
    new = {"current": PASSWORD, "new": "a new password", "confirm": "a new password"}
    assert client.post("/doi-mat-khau", data={"csrf_token": token, **new}).status_code == 303
    monkeypatch.setattr(sessions, "now", lambda: start + 50 * 60)
    assert _fresh(client) == 200
    monkeypatch.setattr(sessions, "now", lambda: start + 61 * 60)
    assert _fresh(client) == 302  # an hour after the login, not after the new password


def test_a_removed_role_applies_at_the_next_request(client: FlaskClient) -> None:
    """Roles are read on every request: a role change needs no new session stamp."""
    unit = make_unit()
    admin = make_user("qt.mot", role="admin")
    office = make_user("vp.mot", role="office", unit=unit)
    assert login(client, "vp.mot").status_code == 303
    assert _fresh(client, "/van-phong") == 200
    accounts.add_role(admin, office, "staff", unit.code)
    accounts.remove_role(admin, office, office.roles[0].id)
    assert _fresh(client, "/van-phong") == 403
    assert _fresh(client) == 200  # the session goes on with the role it still has


@pytest.mark.parametrize("name", ["SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS"])
def test_session_settings_must_be_positive(db_url: str, name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"SIPAS_{name}"):
        make_app(db_url, **{name: "0"})


# -- 12. login throttles ---------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN": "100/minute"}])
def test_the_lockout_does_not_tell_whether_an_account_exists(
    client: FlaskClient, user: Any
) -> None:
    answers = {}
    for name in ("nv.mot", "khong.co.ai"):
        seen = []
        for _ in range(6):
            resp = login(client, name, "wrong password!")
            messages = re.findall(r'<p class="msg">([^<]*)</p>', resp.get_data(as_text=True))
            seen.append((resp.status_code, " ".join(messages), "Retry-After" in resp.headers))
        answers[name] = seen
    assert answers["nv.mot"] == answers["khong.co.ai"]
    assert [code for code, _m, _r in answers["nv.mot"]] == [401, 401, 401, 401, 429, 429]
    assert "tạm khoá" in answers["nv.mot"][-1][1] and answers["nv.mot"][-1][2]
    locked = login(client, "nv.mot")  # the right password: still locked
    assert locked.status_code == 429 and 800 <= int(locked.headers["Retry-After"]) <= 900


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN": "100/minute"}])
def test_each_failure_costs_the_same_password_work(
    client: FlaskClient, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = accounts._verify

    def counted(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", counted)
    for name in ("nv.mot", "khong.co.ai"):
        for _ in range(6):  # failures, the locking one, and one while locked
            login(client, name, "wrong password!")
    assert len(calls) == 12


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN": "3/minute"}])
def test_a_client_with_too_many_failures_waits_before_any_password_work(
    app: Flask, client: FlaskClient, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.one", "b.two", "c.three"):  # a spray over usernames: no account locks
        assert login(client, name, "wrong password!").status_code == 401
    calls: list[str] = []
    monkeypatch.setattr(accounts, "_verify", lambda h, p: calls.append(h) or False)
    throttled = login(client, "nv.mot")  # even the right password
    assert throttled.status_code == 429 and calls == []
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert "thiết bị hoặc mạng này" in throttled.get_data(as_text=True)
    monkeypatch.undo()
    other = app.test_client()  # another client address is not affected
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert login(other, "nv.mot").status_code == 303
    storage = app.extensions["sipas_ratelimit_storage"].local
    keys = " ".join(storage.storage)
    assert "127.0.0.1" not in keys and "10.0.0.2" not in keys  # only keyed hashes


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN": "2/minute"}])
def test_a_successful_login_is_not_counted_against_the_client(
    app: Flask, client: FlaskClient, user: Any
) -> None:
    for _ in range(3):  # more than the failures a client may make
        assert login(client, "nv.mot").status_code == 303
        g.pop("_login_user", None)


# -- 13. a revoked counter token stops working in every server process at once ---------------


def test_a_token_revoked_by_another_process_stops_working_at_once(
    app: Flask, client: FlaskClient, db_url: str
) -> None:
    token = token_of(make_counter(make_unit()))
    counter_id = counter_of(token).id
    assert client.get(f"/f/{token}").status_code == 200  # now in this process's cache
    script = (
        "from survey_app import create_app\n"
        "from survey_app.extensions import db\n"
        "from survey_app.models import Counter\n"
        "from survey_app.services import org\n"
        f"app = create_app({{'SECRET_KEY': 's', 'HASH_KEY': 'h', 'DATABASE_URL': {db_url!r}}})\n"
        "with app.app_context():\n"
        f"    org.revoke_tokens(db.session.get(Counter, {counter_id}))\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    db.session.remove()  # a new request's transaction (the test's app context outlives requests)
    assert client.get(f"/f/{token}").status_code == 404
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.post("/api/v1/responses", json={"answers": {"A1": 5}}, headers=headers)
    assert resp.status_code == 401


def test_two_app_instances_share_revocations_and_changes(
    app: Flask, client: FlaskClient, db_url: str
) -> None:
    token = token_of(make_counter(make_unit()))
    other = make_app(db_url)
    other_client = other.test_client()
    assert other_client.get(f"/f/{token}").status_code == 200
    assert other.extensions["sipas_token_cache"] is not app.extensions.get("sipas_token_cache")
    counter = counter_of(token)
    from survey_app.services import org

    org.revoke_tokens(counter)
    db.session.commit()
    assert other_client.get(f"/f/{token}").status_code == 404
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
