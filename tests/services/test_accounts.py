"""Accounts service: hashing, validation, lockout, password change, scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import Type, extract_parameters
from flask import Flask

from survey_app.extensions import db
from survey_app.models import utcnow
from survey_app.services import accounts
from survey_app.services.access import scope

from ..conftest import FAST_PASSWORD_HASHER
from ..factories import PASSWORD, make_counter, make_unit, make_user


@pytest.mark.production_password_cost
def test_password_is_hashed_with_argon2(app: Flask) -> None:
    user = make_user(unit=make_unit())
    assert user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash
    assert user.must_change_password is False


@pytest.mark.production_password_cost
def test_production_hashes_are_argon2id_at_full_cost(app: Flask) -> None:
    """The rest of the suite hashes at the lowest cost (tests/conftest.py): the production
    parameters are pinned here, and a cheaper hash is replaced at the next sign-in."""
    unit = make_unit()
    params = extract_parameters(make_user(unit=unit).password_hash)
    assert params.type is Type.ID
    assert params.time_cost >= 3 and params.memory_cost >= 65536 and params.parallelism >= 4
    cheap = make_user("nv.re", unit=unit)
    cheap.password_hash = FAST_PASSWORD_HASHER.hash(PASSWORD)
    db.session.commit()
    assert accounts.authenticate("nv.re", PASSWORD).id == cheap.id
    assert extract_parameters(cheap.password_hash) == params


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ab", PASSWORD, "staff", "U1"), "3–40"),
        (("Nguyen Van A", PASSWORD, "staff", "U1"), "3–40"),
        (("nv.hai", "short", "staff", "U1"), "10"),
        (("nv.hai", PASSWORD, "boss", "U1"), "boss"),
        (("nv.hai", PASSWORD, "staff", "NOPE"), "NOPE"),
        (("nv.hai", PASSWORD, "office", None), "đơn vị"),
    ],
)
def test_create_user_refuses_bad_input(app: Flask, args: tuple, message: str) -> None:
    make_unit()
    with pytest.raises(ValueError, match=message):
        accounts.create_user(*args)


def test_admin_needs_no_unit_and_usernames_are_unique(app: Flask) -> None:
    accounts.create_user("quan.tri", PASSWORD, "admin")
    with pytest.raises(ValueError, match="quan.tri"):
        accounts.create_user("quan.tri", PASSWORD, "admin")


def test_unknown_user_and_wrong_password_fail_alike(app: Flask) -> None:
    make_user(unit=make_unit())
    with pytest.raises(accounts.LoginFailed) as wrong:
        accounts.authenticate("nv.mot", "wrong password!")
    with pytest.raises(accounts.LoginFailed) as unknown:
        accounts.authenticate("nobody", "wrong password!")
    assert str(wrong.value) == str(unknown.value)
    assert accounts.authenticate("nv.mot", PASSWORD).last_login_at is not None


def test_lockout_after_five_failures_and_unlock_after_the_period(app: Flask) -> None:
    user = make_user(unit=make_unit())
    for _ in range(5):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate("nv.mot", "wrong password!")
    assert user.locked_until is not None
    assert user.locked_until > utcnow() + timedelta(minutes=14)
    with pytest.raises(accounts.LoginFailed) as locked:  # even the right password
        accounts.authenticate("nv.mot", PASSWORD)
    assert locked.value.locked_until is not None
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert accounts.authenticate("nv.mot", PASSWORD) is user
    assert user.locked_until is None and user.failed_logins == 0


def test_a_success_resets_the_failure_count(app: Flask) -> None:
    user = make_user(unit=make_unit())
    for _ in range(4):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate("nv.mot", "wrong password!")
    accounts.authenticate("nv.mot", PASSWORD)
    assert user.failed_logins == 0 and user.locked_until is None


def test_change_password(app: Flask) -> None:
    user = make_user(unit=make_unit(), must_change=True)
    with pytest.raises(ValueError):
        accounts.change_password(user, "wrong password!", "a new password")
    with pytest.raises(ValueError):
        accounts.change_password(user, PASSWORD, "short")
    accounts.change_password(user, PASSWORD, "a new password")
    assert user.must_change_password is False
    assert accounts.authenticate("nv.mot", "a new password") is user


def test_scope_covers_the_unit_and_the_units_below(app: Flask) -> None:
    province = make_unit("P", "Tỉnh")
    centre = make_unit("P.C", "Trung tâm", parent=province)
    desk = make_unit("P.C.D", "Bộ phận", parent=centre)
    other = make_unit("O", "Tỉnh khác")
    head = make_user("lanh.dao", "unit_head", centre)
    assert scope.visible_unit_ids(head) == {centre.id, desk.id}
    assert scope.visible_unit_ids(make_user("quan.tri", "admin")) is None
    scope.require_unit(head, desk.id)
    with pytest.raises(Exception) as outside:
        scope.require_unit(head, other.id)
    assert getattr(outside.value, "code", None) == 404
    make_counter(other)
    assert scope.visible_unit_ids(make_user("thanh.tra", "inspector", province)) == {
        province.id,
        centre.id,
        desk.id,
    }
