"""Inspector views: thin; read-only but for the trust page's exclude and restore (POST,
CSRF, ``EXCLUDE_RESPONSES``: inspectors only, audited).

Access: the ``inspector`` role (its unit and the units below) and ``admin`` (every unit); any
other signed-in user gets 403 — counter staff, unit heads and the office never see integrity
signals — and a unit outside the scope 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
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
        excluded=analytics.exclusions.excluded_count(
            analytics.integrity.inspector_unit_ids(current_user), filters.start, filters.end
        ),
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


# --- trust signals (issue 14) ---------------------------------------------------------------


@bp.get("/tin-cay")
@requires(Capability.VIEW_INTEGRITY)
def trust() -> str:
    filters = _filters()
    burst_min, burst_seconds = analytics.trust.settings()
    rows = analytics.trust.counter_days(current_user, filters)
    ids = analytics.integrity.inspector_unit_ids(current_user)
    return render_template(
        "inspector/trust.html",
        filters=filters,
        params=filters.params(),
        rows=rows,
        limit=analytics.trust.ROW_LIMIT,
        burst_min=burst_min,
        burst_seconds=int(burst_seconds),
        exclusions=analytics.exclusions.exclusions(current_user, filters),
        excluded=analytics.exclusions.excluded_count(ids, filters.start, filters.end),
        error=request.args.get("loi", ""),
    )


def _back(error: str = "") -> ResponseReturnValue:
    params: dict[str, Any] = {k: v for k, v in request.form.items() if k in _PERIOD_KEYS and v}
    if error:
        params["loi"] = error
    return redirect(url_for("inspector.trust", **params), code=303)


_PERIOD_KEYS = ("ky", "moc", "loai", "nam", "thang", "quy", "nua", "tu", "den")


def _form_int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        raise OverviewError(name) from None


def _form_moment(name: str) -> datetime | None:
    raw = request.form.get(name, "")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise OverviewError(name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@bp.post("/tin-cay/loai")
@requires(Capability.EXCLUDE_RESPONSES)
def exclude() -> ResponseReturnValue:
    try:
        day = date.fromisoformat(request.form.get("ngay", ""))
    except ValueError:
        raise OverviewError("ngay") from None
    client = request.form.get("khach") or None
    try:
        analytics.exclusions.exclude(
            current_user,
            _form_int("quay"),
            day,
            request.form.get("ly_do"),
            client=client,
            first_at=_form_moment("tu_luc"),
            last_at=_form_moment("den_luc"),
        )
    except analytics.exclusions.ExclusionError as exc:
        return _back(str(exc))
    return _back()


@bp.post("/tin-cay/khoi-phuc/<int:exclusion_id>")
@requires(Capability.EXCLUDE_RESPONSES)
def restore(exclusion_id: int) -> ResponseReturnValue:
    try:
        analytics.exclusions.restore(current_user, exclusion_id, request.form.get("ly_do"))
    except analytics.exclusions.ExclusionError as exc:
        return _back(str(exc))
    return _back()
