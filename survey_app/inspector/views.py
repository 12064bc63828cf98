"""Inspector views: thin, read-only (GET only).

Access: the ``inspector`` role (its unit and the units below) and ``admin`` (every unit); any
other signed-in user gets 403 — counter staff, unit heads and the office never see integrity
signals — and a unit outside the scope 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from survey_app.auth import staff_required
from survey_app.office.views import bad_parameter as office_bad_parameter
from survey_app.services import analytics
from survey_app.services.errors import OverviewError


def _filters() -> Any:
    """The period and its cut-off (the office pickers; its other filters do not apply)."""
    return analytics.office.parse_filters({key: request.args.get(key, "") for key in ("ky", "moc")})


bp = Blueprint("inspector", __name__, url_prefix="/thanh-tra")


def inspector_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in (see ``staff_required``) and holding an inspector or admin role."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not analytics.integrity.may_inspect(current_user):
            abort(403)
        return view(*args, **kwargs)

    return staff_required(wrapper)


# The same friendly 400 as the office pages, whose period pickers these are.
bp.register_error_handler(OverviewError, office_bad_parameter)


@bp.get("")
@inspector_required
def index() -> str:
    filters = _filters()
    lines = analytics.integrity.unit_lines(current_user, filters)
    found = analytics.integrity.conduct_complaints(current_user, filters)
    return render_template(
        "inspector/index.html",
        filters=filters,
        params=filters.params(),
        lines=lines,
        complaints=found,
        limit=analytics.integrity.COMPLAINT_LIMIT,
    )


@bp.get("/don-vi/<code>")
@inspector_required
def unit(code: str) -> str:
    found = analytics.integrity.unit_in_scope(current_user, code)
    filters = _filters()
    return render_template(
        "inspector/unit.html",
        filters=filters,
        params=filters.params(),
        unit=found,
        line=analytics.integrity.unit_line(found, filters),
        lines=analytics.integrity.counter_lines(found, filters),
        complaints=analytics.integrity.conduct_complaints(current_user, filters, found),
        limit=analytics.integrity.COMPLAINT_LIMIT,
    )
