"""Staff accounts: argon2 password hashes, creation, login with lockout, password change.

Messages of :class:`ValueError` and :class:`LoginFailed` are written for the person at the
keyboard (Vietnamese, translated through the catalogue).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..extensions import db
from ..models import ROLES, RoleAssignment, Unit, User, utcnow

USERNAME_RE = re.compile(r"[a-z0-9._-]{3,40}")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte on every login attempt is a denial of service

_hasher = PasswordHasher()


class LoginFailed(Exception):
    """Login refused; ``locked_until`` is set when the account is locked."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown: the same work either way."""
    return _hasher.hash("no such user: this hash is never matched")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(_("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(_("Mật khẩu quá dài."))


def create_user(username: str, password: str, role: str, unit_code: str | None = None,
                must_change: bool = True) -> User:
    """Create an account holding one role (at a unit, except ``admin``) and commit."""
    if not USERNAME_RE.fullmatch(username):
        raise ValueError(_("Tên đăng nhập phải dài 3–40 ký tự, chỉ gồm chữ thường không dấu, "
                           "chữ số và các dấu . _ -"))
    _check_password(password)
    if role not in ROLES:
        raise ValueError(_("Vai trò %(role)s không tồn tại; chọn một trong: %(roles)s.",
                           role=role, roles=", ".join(ROLES)))
    unit: Unit | None = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise ValueError(_("Không có đơn vị nào mang mã %(code)s.", code=unit_code))
    elif role != "admin":
        raise ValueError(_("Vai trò %(role)s cần một đơn vị (--unit MÃ).", role=role))
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValueError(_("Tên đăng nhập %(name)s đã có.", name=username))
    user = User(username=username, password_hash=hash_password(password),
                must_change_password=must_change, active=True, failed_logins=0)
    user.roles.append(RoleAssignment(role=role, unit=unit))
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User:
    """The active account with this username and password, or :class:`LoginFailed`.

    A wrong password and an unknown username give the same message after the same work.
    ``LOGIN_MAX_FAILURES`` failures in a row lock the account for ``LOGIN_LOCK_MINUTES``.
    """
    generic = _("Tên đăng nhập hoặc mật khẩu không đúng.")
    user = None
    if USERNAME_RE.fullmatch(username or "") and len(password) <= MAX_PASSWORD_LENGTH:
        user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        raise LoginFailed(generic)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        _verify(_dummy_hash(), password)
        raise LoginFailed(_locked_message(user.locked_until), user.locked_until)
    if not _verify(user.password_hash, password):
        _record_failure(user, now)
        if user.locked_until is not None and user.locked_until > now:
            raise LoginFailed(_locked_message(user.locked_until), user.locked_until)
        raise LoginFailed(generic)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    return user


def _record_failure(user: User, now: datetime) -> None:
    # One UPDATE, so concurrent failures all count.
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_logins=User.failed_logins + 1))
    db.session.refresh(user)
    if user.failed_logins >= int(current_app.config["LOGIN_MAX_FAILURES"]):
        user.failed_logins = 0
        user.locked_until = now + timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
    db.session.commit()


def _locked_message(until: datetime) -> str:
    minutes = max(1, int((until - utcnow()).total_seconds() + 59) // 60)
    return _("Tài khoản tạm khoá do nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau "
             "%(minutes)d phút.", minutes=minutes)


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; clears the forced change."""
    if not _verify(user.password_hash, current[:MAX_PASSWORD_LENGTH]):
        raise ValueError(_("Mật khẩu hiện tại không đúng."))
    _check_password(new)
    if new == current:
        raise ValueError(_("Mật khẩu mới phải khác mật khẩu hiện tại."))
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.commit()


def load_user(user_id: str) -> User | None:
    """The active account behind a session's user id (Flask-Login's user loader)."""
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None
