"""Login, logout and password change views: parse, call the service, render or redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from survey_app.auth import sessions
from survey_app.auth.forms import ChangePasswordForm, LoginForm, LogoutForm
from survey_app.auth.navigation import landing_url
from survey_app.services import accounts

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else ``None`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = accounts.sign_in(form.username.data or "", form.password.data or "")
        except accounts.LoginFailed as exc:
            form.form_errors.append(str(exc))
            status = 429 if exc.retry_after else 401
            if exc.retry_after:
                headers["Retry-After"] = str(exc.retry_after)
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session for the signed-in user
            if lang:
                session["lang"] = lang
            login_user(user)
            sessions.start()
            if user.must_change_password:
                return redirect(url_for("auth.change_password"), code=303)
            return redirect(safe_next(form.next.data) or landing_url(user), code=303)
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/dang-xuat")
@login_required
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        accounts.end_sessions(current_user)  # a copy of the cookie no longer works either
        logout_user()
        sessions.end()
        flash(_("Đã đăng xuất."))
    return redirect(url_for("auth.login"), code=303)


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data or "", form.new.data or "")
        except ValueError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            login_user(current_user._get_current_object())  # the new stamp: this session
            # stays, every other one of the account ends
            flash(_("Đã đổi mật khẩu."))
            return redirect(landing_url(current_user), code=303)
    elif form.is_submitted():
        status = 400
    return render_template(
        "auth/change_password.html",
        form=form,
        forced=current_user.must_change_password,
        min_length=accounts.MIN_PASSWORD_LENGTH,
    ), status
