"""Login and password forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập.")), Length(max=40)],
    )
    password = PasswordField(
        _l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=1024)]
    )
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST from a button."""


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại."))]
    )
    new = PasswordField(
        _l("Mật khẩu mới (ít nhất 10 ký tự)"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới."))],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[EqualTo("new", _l("Hai lần nhập mật khẩu mới không khớp."))],
    )
