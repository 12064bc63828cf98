"""`sipas users add` and the demo accounts."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import User
from survey_app.services import accounts

from ..factories import make_counter, make_unit


def test_users_add_reads_the_password_from_stdin(runner: FlaskCliRunner) -> None:
    make_unit("U1")
    result = runner.invoke(
        args=["users", "add", "nv.mot", "--role", "staff", "--unit", "U1"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "nv.mot"))
    assert user is not None and user.must_change_password
    assert user.password_hash.startswith("$argon2")
    assert [(r.role, r.unit.code if r.unit else None) for r in user.roles] == [("staff", "U1")]
    assert accounts.authenticate("nv.mot", "a long password") == user


@pytest.mark.parametrize(
    ("args", "password", "expected"),
    [
        (["nv.mot", "--role", "boss", "--unit", "U1"], "a long password", "boss"),
        (["nv.mot", "--role", "staff", "--unit", "NOPE"], "a long password", "NOPE"),
        (["nv.mot", "--role", "staff"], "a long password", "--unit"),
        (["nv.mot", "--role", "staff", "--unit", "U1"], "short", "10"),
        (["Bad Name", "--role", "staff", "--unit", "U1"], "a long password", "3–40"),
        (
            ["nv.mot", "--role", "office", "--unit", "U1", "--counter", "Q1"],
            "a long password",
            "Chỉ vai trò staff",
        ),
        (
            ["nv.mot", "--role", "staff", "--unit", "U1", "--counter", "Q9"],
            "a long password",
            "không có quầy nào mang mã Q9",
        ),
    ],
)
def test_users_add_bad_input_exits_2(
    runner: FlaskCliRunner, args: list[str], password: str, expected: str
) -> None:
    make_counter(make_unit("U1"), "Q1")
    result = runner.invoke(args=["users", "add", *args], input=password + "\n")
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(User.id)) is None


def test_users_add_narrows_a_staff_role_to_a_counter(runner: FlaskCliRunner) -> None:
    from survey_app.services.analytics import staff as dashboard

    unit = make_unit("U1")
    counter = make_counter(unit, "Q2")
    make_counter(unit, "Q1")
    result = runner.invoke(
        args=["users", "add", "nv.quay", "--role", "staff", "--unit", "U1", "--counter", "Q2"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "quầy Q2" in result.output
    user = db.session.scalar(select(User).where(User.username == "nv.quay"))
    assert [(r.role, r.unit.code, r.counter_id) for r in user.roles] == [
        ("staff", "U1", counter.id)
    ]
    assert dashboard.scope_ids(user) == (set(), {counter.id})


def test_demo_prints_one_account_per_role(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--responses", "50"])
    assert result.exit_code == 0, result.output
    printed = dict(re.findall(r"^  (demo\.[a-z]+)  (\S+)  \(", result.output, re.MULTILINE))
    assert set(printed) == {
        "demo.staff",
        "demo.unithead",
        "demo.office",
        "demo.inspector",
        "demo.admin",
    }
    assert len(set(printed.values())) == 5
    for username, password in printed.items():
        user = accounts.authenticate(username, password)
        assert user.must_change_password is False
    again = runner.invoke(args=["demo", "--responses", "50"])
    assert "demo.staff" not in again.output  # printed once
