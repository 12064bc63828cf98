"""Inspector views: thin, read-only (GET only).

Access: the ``inspector`` role (its unit and the units below) and ``admin`` (every unit); any
other signed-in user gets 403 — counter staff, unit heads and the office never see integrity
signals — and a unit outside the scope 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from survey_app.auth import requires
from survey_app.office.views import bad_parameter as office_bad_parameter
from survey_app.services import analytics
from survey_app.services.access.capabilities import Capability
from survey_app.services.errors import OverviewError


def _filters() -> Any:
    """The period and its cut-off (the period picker's fields, or the ``ky`` label of the
    page's own links; the office's other filters do not apply)."""
    keys = ("ky", "moc", "loai", "nam", "thang", "quy", "nua", "tu", "den")
    return analytics.office.parse_filters({key: request.args.get(key, "") for key in keys})


bp = Blueprint("inspector", __name__, url_prefix="/thanh-tra")


# The same friendly 400 as the office pages, whose period pickers these are.
bp.register_error_handler(OverviewError, office_bad_parameter)


def _threshold() -> float:
    return float(current_app.config["INTEGRITY_FLAG_PERCENT"])


def _triage_choice() -> tuple[str, str]:
    """The triage table's ranking key (``xep``) and what it ranks (``muc``)."""
    key = request.args.get("xep", "can_duoi") or "can_duoi"
    level = request.args.get("muc", "don_vi") or "don_vi"
    if key not in analytics.integrity.TRIAGE_KEYS:
        raise OverviewError("xep")
    if level not in analytics.integrity.TRIAGE_LEVELS:
        raise OverviewError("muc")
    return key, level


@bp.get("")
@requires(Capability.VIEW_INTEGRITY)
def index() -> str:
    filters = _filters()
    key, level = _triage_choice()
    threshold = _threshold()
    if level == "quay":
        ranked = analytics.integrity.scope_counter_lines(current_user, filters, threshold)
    else:
        ranked = analytics.integrity.serving_lines(current_user, filters, threshold)
    return render_template(
        "inspector/index.html",
        filters=filters,
        params=filters.params(),
        lines=analytics.integrity.unit_lines(current_user, filters, threshold),
        triage=analytics.integrity.triage(ranked, key),
        triage_key=key,
        triage_level=level,
        threshold=threshold,
        complaints=analytics.integrity.conduct_complaints(current_user, filters),
        limit=analytics.integrity.COMPLAINT_LIMIT,
    )


@bp.get("/don-vi/<code>")
@requires(Capability.VIEW_INTEGRITY)
def unit(code: str) -> str:
    found = analytics.integrity.unit_in_scope(current_user, code)
    filters = _filters()
    threshold = _threshold()
    return render_template(
        "inspector/unit.html",
        filters=filters,
        params=filters.params(),
        unit=found,
        threshold=threshold,
        line=analytics.integrity.unit_line(found, filters, threshold),
        sub_units=analytics.integrity.sub_unit_lines(found, filters, threshold),
        lines=analytics.integrity.counter_lines(found, filters, threshold),
        complaints=analytics.integrity.conduct_complaints(current_user, filters, found),
        limit=analytics.integrity.COMPLAINT_LIMIT,
    )
