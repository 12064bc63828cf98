"""Access decorators, stacked under ``@bp.route``; what each role may do is the table in
:mod:`survey_app.services.access.capabilities`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, url_for
from flask_login import current_user, login_required

from survey_app.services.access.capabilities import Capability, can


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in, and the forced password change done (else redirect to it)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return view(*args, **kwargs)

    return login_required(wrapper)


def requires(capability: Capability) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in (see :func:`staff_required`) and holding a role that has ``capability``,
    else 403. The capability is kept on the view as ``required_capability``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        guarded = staff_required(wrapper)
        guarded.required_capability = capability  # type: ignore[attr-defined]
        return guarded

    return decorator


def current_user_can(capability: Capability | str) -> bool:
    """``can`` in the templates: ``{% if can("make_reports") %}`` (a name that is not a
    capability raises ``ValueError``, so a typo fails loudly instead of hiding a link)."""
    return can(current_user, Capability(capability))
