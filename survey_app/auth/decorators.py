"""Access decorators, stacked under ``@bp.route``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import redirect, url_for
from flask_login import current_user, login_required


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in, and the forced password change done (else redirect to it)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return view(*args, **kwargs)

    return login_required(wrapper)
