"""Staff accounts: argon2 password hashes, creation, login with lockout, password change,
ending an account's sessions.

Why this module is long: it is one account's whole life — creation, sign-in with its two
lockouts (the account's, and the same one kept for usernames without an account) and the
per-client throttle, the session stamp, and the administration that disables, resets and
unlocks — and the halves share their rules (the lockout that ``unlock`` lifts, the stamp that
``set_active`` and ``reset_password`` change). Each function is short.

Messages of :class:`ValueError` and :class:`LoginFailed` are written for the person at the
keyboard (Vietnamese, translated through the catalogue).
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.models import ROLES, Counter, RoleAssignment, Unit, User, utcnow
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.ingest import ratelimit
from survey_app.services.org import audit

USERNAME_RE = re.compile(r"[a-z0-9._-]{3,40}")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte on every login attempt is a denial of service

_hasher = PasswordHasher()


class LoginFailed(Exception):
    """Login refused; ``locked_until`` is set when the account is locked (or the client
    made too many failed attempts): then ``retry_after`` is the seconds to wait."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until

    @property
    def retry_after(self) -> int | None:
        if self.locked_until is None:
            return None
        return max(1, int((self.locked_until - utcnow()).total_seconds() + 0.999))


LOGIN_LIMIT = "RATELIMIT_LOGIN"


def sign_in(username: str, password: str) -> User:
    """:func:`authenticate`, first refusing a client (keyed hash of its address) that made
    ``RATELIMIT_LOGIN`` failed attempts — before any password work, whatever the username —
    and counting each failure against it."""
    wait = ratelimit.wait_seconds(LOGIN_LIMIT, "login")
    if wait:
        raise LoginFailed(
            _(
                "Có quá nhiều lần đăng nhập không thành công từ thiết bị hoặc mạng này. "
                "Vui lòng thử lại sau %(minutes)d phút.",
                minutes=max(1, (wait + 59) // 60),
            ),
            utcnow() + timedelta(seconds=wait),
        )
    try:
        return authenticate(username, password)
    except LoginFailed:
        ratelimit.count(LOGIN_LIMIT, "login")
        raise


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


def create_user(
    username: str,
    password: str,
    role: str,
    unit_code: str | None = None,
    must_change: bool = True,
    counter_code: str = "",
) -> User:
    """Create an account holding one role (at a unit, except ``admin``; a ``staff`` role
    may be narrowed to the counter ``counter_code`` of the unit) and commit."""
    user = _new_user(username, password, role, unit_code, must_change)
    try:
        user.roles[0].counter = _admin_counter(role, user.roles[0].unit, counter_code)
    except ValueError:
        db.session.rollback()  # the account added to the session goes too
        raise
    db.session.commit()
    return user


def _new_user(
    username: str, password: str, role: str, unit_code: str | None, must_change: bool
) -> User:
    """Check and add an account to the session (the caller commits)."""
    if not USERNAME_RE.fullmatch(username):
        raise ValueError(
            _(
                "Tên đăng nhập phải dài 3–40 ký tự, chỉ gồm chữ thường không dấu, "
                "chữ số và các dấu . _ -"
            )
        )
    _check_password(password)
    if role not in ROLES:
        raise ValueError(
            _(
                "Vai trò %(role)s không tồn tại; chọn một trong: %(roles)s.",
                role=role,
                roles=", ".join(ROLES),
            )
        )
    unit: Unit | None = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise ValueError(_("Không có đơn vị nào mang mã %(code)s.", code=unit_code))
    elif role != "admin":
        raise ValueError(_("Vai trò %(role)s cần một đơn vị (--unit MÃ).", role=role))
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValueError(_("Tên đăng nhập %(name)s đã có.", name=username))
    user = User(
        username=username,
        password_hash=hash_password(password),
        must_change_password=must_change,
        active=True,
        failed_logins=0,
    )
    user.roles.append(RoleAssignment(role=role, unit=unit))
    db.session.add(user)
    return user


def authenticate(username: str, password: str) -> User:
    """The active account with this username and password, or :class:`LoginFailed`.

    A wrong password and an unknown username give the same message after the same work.
    ``LOGIN_MAX_FAILURES`` failures in a row lock the account for ``LOGIN_LOCK_MINUTES`` —
    and a username with no (active) account is "locked" the same way, in the rate-limit
    storage, so that the lockout message does not tell whether an account exists.
    """
    generic = _("Tên đăng nhập hoặc mật khẩu không đúng.")
    user = None
    if USERNAME_RE.fullmatch(username or "") and len(password) <= MAX_PASSWORD_LENGTH:
        user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        _no_account_failure(username or "", generic)
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


def _no_account_failure(username: str, generic: str) -> NoReturn:
    """A failed login for a username with no active account, answered as an account's
    would be: the same message, and after ``LOGIN_MAX_FAILURES`` the same lockout message
    for ``LOGIN_LOCK_MINUTES`` (counted under a keyed hash of the name, never the name)."""
    name = ratelimit.keyed_hash("login-name", username[:MAX_PASSWORD_LENGTH])[:32]
    lock_seconds = int(current_app.config["LOGIN_LOCK_MINUTES"]) * 60
    left = ratelimit.expires_in(f"login-lock/{name}")
    if left <= 0 and ratelimit.tally(f"login-failures/{name}", 24 * 3600) >= int(
        current_app.config["LOGIN_MAX_FAILURES"]
    ):
        ratelimit.forget(f"login-failures/{name}")
        ratelimit.tally(f"login-lock/{name}", lock_seconds)
        left = float(lock_seconds)
    if left > 0:
        until = utcnow() + timedelta(seconds=left)
        raise LoginFailed(_locked_message(until), until)
    raise LoginFailed(generic)


def _record_failure(user: User, now: datetime) -> None:
    # One UPDATE, so concurrent failures all count.
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user)
    if user.failed_logins >= int(current_app.config["LOGIN_MAX_FAILURES"]):
        user.failed_logins = 0
        user.locked_until = now + timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
    db.session.commit()


def _locked_message(until: datetime) -> str:
    minutes = max(1, int((until - utcnow()).total_seconds() + 59) // 60)
    return _(
        "Tài khoản tạm khoá do nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau %(minutes)d phút.",
        minutes=minutes,
    )


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


def end_sessions(user: User) -> None:
    """End every session of the account, on every device (sign-out): its stamp changes."""
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.commit()


def load_user(user_id: str) -> User | None:
    """The active account behind a session's user id (for Flask-Login's user loader,
    :func:`survey_app.auth.sessions.load_user`): ``None`` — signed out — when the account is
    disabled or its password changed, or it signed out or was disabled and enabled, since
    the session began (:meth:`User.get_id`)."""
    number, _dot, stamp = user_id.partition(".")
    try:
        user = db.session.get(User, int(number))
    except ValueError:
        return None
    if user is None or not user.active or not hmac.compare_digest(stamp, user.session_stamp):
        return None
    return user


# -- administration of accounts (``/quan-tri/tai-khoan``): each change audited ---------------
# The audit log never holds a password or a hash: only the facts that changed.

UNAMBIGUOUS_CHARACTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 14


def temporary_password() -> str:
    """A random password to hand over once (no 0/O, 1/l/I to misread); ~80 bits."""
    return "".join(secrets.choice(UNAMBIGUOUS_CHARACTERS) for _i in range(TEMPORARY_LENGTH))


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def role_label(assignment: RoleAssignment) -> str:
    """``role`` or ``role@UNIT`` (``/COUNTER`` when narrowed to a counter), as logged."""
    if assignment.unit is None:
        return assignment.role
    label = f"{assignment.role}@{assignment.unit.code}"
    return f"{label}/{assignment.counter.code}" if assignment.counter is not None else label


def account_state(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "active": user.active,
        "must_change_password": user.must_change_password,
        "locked": is_locked(user),
        "roles": [role_label(a) for a in user.roles],
    }


def _admin_unit(role: str, unit_code: str) -> Unit | None:
    if role not in ROLES:
        raise ValueError(
            _(
                "Vai trò %(role)s không tồn tại; chọn một trong: %(roles)s.",
                role=role,
                roles=", ".join(ROLES),
            )
        )
    if role == "admin":
        return None
    if not unit_code:
        raise ValueError(_("Vai trò %(role)s cần một đơn vị.", role=role))
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise ValueError(_("Không có đơn vị nào mang mã %(code)s.", code=unit_code))
    return unit


def _admin_counter(role: str, unit: Unit | None, counter_code: str) -> Counter | None:
    """The counter of ``unit`` that narrows a ``staff`` role, or ``None`` when no code is
    given; a code with another role, or one the unit has no counter for, is refused."""
    if not counter_code:
        return None
    if role != "staff" or unit is None:  # a staff role always has its unit
        raise ValueError(
            _(
                "Chỉ vai trò staff (công chức một cửa) mới giới hạn được ở một "
                "quầy: với vai trò %(role)s, hãy để trống ô mã quầy.",
                role=role,
            )
        )
    counter = db.session.scalar(
        select(Counter).where(Counter.unit_id == unit.id, Counter.code == counter_code)
    )
    if counter is None:
        raise ValueError(
            _(
                "Đơn vị %(unit)s không có quầy nào mang mã %(code)s.",
                unit=unit.code,
                code=counter_code,
            )
        )
    return counter


def admin_create_user(
    actor: User, username: str, role: str, unit_code: str = "", counter_code: str = ""
) -> tuple[User, str]:
    """Create an account with a temporary password (changed at first login); return both.

    The role may be narrowed to one counter of the unit (``staff`` only).
    The password is shown to the administrator once and stored only as its hash.
    """
    unit = _admin_unit(role, unit_code.strip())
    counter = _admin_counter(role, unit, counter_code.strip())
    password = temporary_password()
    user = _new_user(
        username.strip(), password, role, unit.code if unit else None, must_change=True
    )
    user.roles[0].counter = counter
    db.session.flush()
    audit.record(actor, "account.add", "user", user.id, None, account_state(user))
    db.session.commit()
    return user, password


def add_role(
    actor: User, user: User, role: str, unit_code: str = "", counter_code: str = ""
) -> RoleAssignment:
    """Give the account a role at a unit (none for ``admin``), a ``staff`` role possibly
    narrowed to one counter of the unit; the same role × unit × counter twice is refused."""
    unit = _admin_unit(role, unit_code.strip())
    counter = _admin_counter(role, unit, counter_code.strip())
    before = account_state(user)
    unit_id = unit.id if unit else None
    counter_id = counter.id if counter else None
    if any(
        a.role == role and a.unit_id == unit_id and a.counter_id == counter_id for a in user.roles
    ):
        raise ValueError(_("Tài khoản đã có vai trò này."))
    assignment = RoleAssignment(role=role, unit=unit, counter=counter)
    user.roles.append(assignment)
    audit.record(
        actor,
        "account.role_add",
        "user",
        user.id,
        {"roles": before["roles"]},
        {"roles": account_state(user)["roles"]},
    )
    db.session.commit()
    return assignment


def remove_role(actor: User, user: User, assignment_id: int) -> RoleAssignment:
    """Remove one role; an administrator cannot remove their own last role that
    administers accounts (``Capability.ADMIN_ACCOUNTS``: ``admin``)."""
    assignment = next((a for a in user.roles if a.id == assignment_id), None)
    if assignment is None:
        raise LookupError(assignment_id)
    admins = roles_with(Capability.ADMIN_ACCOUNTS)
    if (
        user.id == actor.id
        and assignment.role in admins
        and sum(a.role in admins for a in user.roles) == 1
    ):
        raise ValueError(
            _(
                "Bạn không thể gỡ vai trò quản trị cuối cùng của chính mình: hãy "
                "nhờ một quản trị viên khác."
            )
        )
    before = account_state(user)["roles"]
    user.roles.remove(assignment)
    audit.record(
        actor,
        "account.role_remove",
        "user",
        user.id,
        {"roles": before},
        {"roles": account_state(user)["roles"]},
    )
    db.session.commit()
    return assignment


def set_active(actor: User, user: User, active: bool) -> None:
    """Enable or disable an account (a disabled account cannot sign in; its sessions end)."""
    if not active and user.id == actor.id:
        raise ValueError(_("Bạn không thể tự khoá tài khoản của chính mình."))
    if user.active == active:
        raise ValueError(
            _("Tài khoản đang hoạt động.") if active else _("Tài khoản đã bị vô hiệu hoá.")
        )
    user.active = active
    user.session_epoch = (user.session_epoch or 0) + 1  # sessions from before stay ended
    audit.record(
        actor,
        "account.enable" if active else "account.disable",
        "user",
        user.id,
        {"active": not active},
        {"active": active},
    )
    db.session.commit()


def reset_password(actor: User, user: User) -> str:
    """Give the account a new temporary password, to change at next login; lift any lockout.

    Returns the password (shown once). The log records only that it was reset.
    """
    return _reset(actor, user, temporary_password(), {})


def reset_password_from_command_line(username: str, password: str | None = None) -> str:
    """``sipas users reset-password``: as :func:`reset_password` (or with the password typed),
    audited with no actor; the sessions end as the session stamp follows the hash."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise ValueError(_("Không có tài khoản “%(name)s”.", name=username))
    if password is not None:
        _check_password(password)
    return _reset(None, user, password or temporary_password(), {"by": "command_line"})


def _reset(actor: User | None, user: User, password: str, note: dict[str, str]) -> str:
    before = {
        "password_reset": False,
        "must_change_password": user.must_change_password,
        "locked": is_locked(user),
    }
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    after = {"password_reset": True, "must_change_password": True, "locked": False, **note}
    audit.record(actor, "account.reset_password", "user", user.id, before, after)
    db.session.commit()
    return password


def unlock(actor: User, user: User) -> None:
    if not is_locked(user):
        raise ValueError(_("Tài khoản không bị tạm khoá."))
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "account.unlock", "user", user.id, {"locked": True}, {"locked": False})
    db.session.commit()


def all_accounts() -> list[User]:
    """Every account by username, with roles, units and counters loaded."""
    return list(
        db.session.scalars(
            select(User)
            .options(
                selectinload(User.roles).joinedload(RoleAssignment.unit),
                selectinload(User.roles).joinedload(RoleAssignment.counter),
            )
            .order_by(User.username)
        )
    )


def usernames(user_ids: list[str]) -> dict[str, str]:
    """User id (as logged) → username, for the audit log page."""
    ids = [int(i) for i in user_ids if i.isdigit()]
    return {
        str(uid): name
        for uid, name in db.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    }
