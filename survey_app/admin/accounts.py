"""Administration of accounts and roles (``/quan-tri/tai-khoan``): thin views over the
administration functions of ``services.accounts``.

A temporary password (new account, reset) is shown once, in the answer to the POST that made
it — never flashed (the session cookie is signed, not encrypted) and never logged.
"""

from __future__ import annotations

from flask import (
    abort,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.admin.views import bp
from survey_app.auth import requires
from survey_app.auth.confirm import ask, confirmed
from survey_app.extensions import db
from survey_app.models import ROLES, Unit, User
from survey_app.services import accounts
from survey_app.services.access.capabilities import Capability
from survey_app.services.clock import VN_TZ


def _user(user_id: int) -> User:
    found = db.session.get(User, user_id)
    if found is None:
        abort(404)
    return found


def _units() -> list[Unit]:
    return list(db.session.scalars(db.select(Unit).order_by(Unit.code)))


def _page(
    error: str | None = None,
    form: dict[str, str] | None = None,
    created: tuple[User, str] | None = None,
) -> str:
    return render_template(
        "admin/accounts.html",
        users=accounts.all_accounts(),
        roles=ROLES,
        units=_units(),
        error=error,
        form=form or {},
        created=created,
        is_locked=accounts.is_locked,
    )


def _detail(user: User, error: str | None = None, password: str | None = None) -> str:
    return render_template(
        "admin/account.html",
        user=user,
        roles=ROLES,
        units=_units(),
        vn_tz=VN_TZ,
        error=error,
        password=password,
        locked=accounts.is_locked(user),
        form={k: request.form.get(k, "") for k in ("role", "unit", "counter")},
    )


def _back(user: User, message: str) -> WerkzeugResponse:
    flash(message)
    return redirect(url_for("admin.account", user_id=user.id), 303)


@bp.get("/tai-khoan")
@requires(Capability.ADMIN_ACCOUNTS)
def accounts_page() -> str:
    return _page()


@bp.post("/tai-khoan")
@requires(Capability.ADMIN_ACCOUNTS)
def add_account() -> str | tuple[str, int]:
    form = {k: request.form.get(k, "") for k in ("username", "role", "unit", "counter")}
    try:
        created = accounts.admin_create_user(
            current_user, form["username"], form["role"], form["unit"], form["counter"]
        )
    except ValueError as error:
        return _page(str(error), form), 400
    return _page(created=created)


@bp.get("/tai-khoan/<int:user_id>")
@requires(Capability.ADMIN_ACCOUNTS)
def account(user_id: int) -> str:
    return _detail(_user(user_id))


def _ask(user: User, change: str) -> tuple[str, int]:
    """The confirmation of a step that cannot be simply undone (``auth.confirm``)."""
    thing = _("Tài khoản: %(name)s", name=user.username)
    if change == "role_remove":
        raw = request.form.get("assignment", "")
        found = next((a for a in user.roles if str(a.id) == raw), None)
        if found is None:
            abort(404)
        title = _("Gỡ vai trò này?")
        label = get_template_attribute("admin/_roles.html", "assignment")(found)
        thing = _("Tài khoản: %(name)s · vai trò: %(role)s", name=user.username, role=label)
        consequence = _(
            "Người dùng mất ngay quyền của vai trò này (các trang và đơn vị mà vai trò cho phép). "
            "Muốn trả lại phải thêm lại vai trò."
        )
        button = _("Gỡ vai trò")
    elif change == "disable":
        title = _("Vô hiệu hoá tài khoản này?")
        consequence = _(
            "Người dùng không đăng nhập được nữa và mọi phiên đang mở kết thúc ở lần bấm tiếp "
            "theo. Có thể mở lại tài khoản sau."
        )
        button = _("Vô hiệu hoá tài khoản")
    else:
        title = _("Đặt lại mật khẩu của tài khoản này?")
        consequence = _(
            "Mật khẩu hiện tại hết hiệu lực ngay, mọi phiên đăng nhập của tài khoản kết thúc; "
            "một mật khẩu tạm thời mới được tạo (hiện một lần) và người dùng phải đổi khi đăng "
            "nhập."
        )
        button = _("Đặt lại mật khẩu")
    back = url_for("admin.account", user_id=user.id)
    return ask(title=title, thing=thing, consequence=consequence, button=button, back=back)


def _change(user_id: int, change: str) -> WerkzeugResponse | tuple[str, int]:
    user = _user(user_id)
    if change in ("role_remove", "disable") and not confirmed():
        return _ask(user, change)
    try:
        if change == "role_add":
            accounts.add_role(
                current_user,
                user,
                request.form.get("role", ""),
                request.form.get("unit", ""),
                request.form.get("counter", ""),
            )
            message = _("Đã thêm vai trò.")
        elif change == "role_remove":
            raw = request.form.get("assignment", "")
            accounts.remove_role(current_user, user, int(raw) if raw.isdigit() else -1)
            message = _("Đã gỡ vai trò.")
        elif change in ("disable", "enable"):
            accounts.set_active(current_user, user, change == "enable")
            message = (
                _("Đã mở lại tài khoản %(name)s.", name=user.username)
                if change == "enable"
                else _("Đã vô hiệu hoá tài khoản %(name)s.", name=user.username)
            )
        else:
            accounts.unlock(current_user, user)
            message = _("Đã mở khoá tài khoản %(name)s.", name=user.username)
    except LookupError:
        abort(404)
    except ValueError as error:
        db.session.rollback()
        return _detail(user, str(error)), 400
    return _back(user, message)


@bp.post("/tai-khoan/<int:user_id>/vai-tro")
@requires(Capability.ADMIN_ACCOUNTS)
def add_role(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _change(user_id, "role_add")


@bp.post("/tai-khoan/<int:user_id>/go-vai-tro")
@requires(Capability.ADMIN_ACCOUNTS)
def remove_role(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _change(user_id, "role_remove")


@bp.post("/tai-khoan/<int:user_id>/vo-hieu")
@requires(Capability.ADMIN_ACCOUNTS)
def disable_account(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _change(user_id, "disable")


@bp.post("/tai-khoan/<int:user_id>/kich-hoat")
@requires(Capability.ADMIN_ACCOUNTS)
def enable_account(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _change(user_id, "enable")


@bp.post("/tai-khoan/<int:user_id>/mo-khoa")
@requires(Capability.ADMIN_ACCOUNTS)
def unlock_account(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _change(user_id, "unlock")


@bp.post("/tai-khoan/<int:user_id>/dat-lai-mat-khau")
@requires(Capability.ADMIN_ACCOUNTS)
def reset_password(user_id: int) -> str | tuple[str, int]:
    user = _user(user_id)
    if not confirmed():
        return _ask(user, "reset")
    password = accounts.reset_password(current_user, user)
    return _detail(user, password=password)
