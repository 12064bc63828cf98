"""Office views: thin, read-only (GET only — no response can be edited here).

Access: ``office`` and ``unit_head`` roles (their units and the units below) and ``admin``
(every unit); any other signed-in user gets 403, a unit outside the scope 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.auth import requires
from survey_app.public.formbuilder import CHANNEL_LABELS
from survey_app.services import analytics
from survey_app.services.access.capabilities import Capability
from survey_app.services.errors import OverviewError, PeriodError

bp = Blueprint("office", __name__, url_prefix="/van-phong")


# The other filters a period page keeps when it shows its period picker again.
KEPT = ("nhom", "hinh_thuc", "thu_tuc", "phieu", "sap_xep", "chieu")


@bp.errorhandler(OverviewError)
def bad_parameter(error: OverviewError) -> tuple[str, int]:
    if isinstance(error, PeriodError):
        # The page's own title, the message and the picker with the values as typed.
        title = (
            _("Thanh tra: dấu hiệu liêm chính")
            if request.blueprint == "inspector"
            else _("Tổng quan các đơn vị")
        )
        keep = {k: request.args[k][:40] for k in KEPT if request.args.get(k)}
        return render_template(
            "period/invalid.html", title=title, message=str(error), choice=error.choice, keep=keep
        ), 400
    message = _("Tham số lọc hoặc sắp xếp không hợp lệ: %(name)s.", name=str(error))
    return render_template(
        "errors/error.html", title=_("Yêu cầu không hợp lệ"), message=message
    ), 400


def _locale() -> str:
    return str(get_locale() or "vi")


def _excluded(ids: set[int] | None, filters: Any) -> int:
    """The scope's excluded responses in the period, kept while the data are the same (a
    count over the period's responses: seconds for a province's quarter)."""
    scope = None if ids is None else frozenset(ids)
    return analytics.overview_cache.cached(
        ("excluded", scope, filters.start, filters.end),
        lambda: analytics.exclusions.excluded_count(ids, filters.start, filters.end),
    )


def _page(template: str, **context: Any) -> str:
    filters = context["filters"]
    ids = analytics.office.office_unit_ids(current_user)
    return render_template(
        template,
        procedures=analytics.office.procedures_in_scope(ids),
        factors=analytics.office.FACTORS,
        channel_labels=CHANNEL_LABELS,
        params=filters.params(),
        excluded=_excluded(ids, filters),
        min_rate=analytics.coverage.min_rate(),
        **context,
    )


@bp.get("")
@requires(Capability.VIEW_OFFICE)
def index() -> str:
    filters = analytics.office.parse_filters(request.args)
    key, descending = analytics.office.parse_sort(request.args)
    levels = analytics.office.parse_levels(request.args)
    rows = analytics.office.sort_unit_rows(
        analytics.office.unit_rows(current_user, filters), key, descending
    )
    return _page(
        "office/overview.html",
        filters=filters,
        rows=analytics.office.visible_rows(rows, levels),
        depth=max((r.depth for r in rows), default=0) + 1,
        levels=levels,
        sort_key=key,
        descending=descending,
    )


@bp.get("/don-vi/<code>")
@requires(Capability.VIEW_OFFICE)
def unit(code: str) -> str:
    found = analytics.office.unit_in_scope(current_user, code)
    filters = analytics.office.parse_filters(request.args)
    key, descending = analytics.office.parse_sort(request.args)
    rows = analytics.office.sort_rows(
        analytics.office.counter_rows(found, filters), key, descending
    )
    score = analytics.office.unit_score(found, filters)
    return _page(
        "office/unit.html",
        filters=filters,
        unit=found,
        rows=rows,
        sub_units=analytics.office.sort_unit_rows(
            analytics.office.sub_unit_rows(found, filters), key, descending
        ),
        score=score,
        coverage=analytics.office.unit_coverage(found, filters, score),
        items=analytics.office.item_lines(score, found, _locale()),
        sort_key=key,
        descending=descending,
    )


@bp.get("/don-vi/<code>/quay/<counter>")
@requires(Capability.VIEW_OFFICE)
def counter(code: str, counter: str) -> str:
    found = analytics.office.unit_in_scope(current_user, code)
    desk = analytics.office.counter_of(found, counter)
    filters = analytics.office.parse_filters(request.args)
    score = analytics.office.counter_score(found, desk, filters)
    return _page(
        "office/counter.html",
        filters=filters,
        unit=found,
        counter=desk,
        score=score,
        items=analytics.office.item_lines(score, found, _locale()),
    )


@bp.get("/chi-so-ho-so")
@requires(Capability.VIEW_OFFICE)
def indicators() -> str:
    """Indicators 5.4 and 5.2 (Quyết định 766/QĐ-TTg) of the user's units, per resolving
    unit, the units that cost the most points first (services/indicators)."""
    from survey_app.services.indicators import late, measures

    filters = analytics.office.parse_filters(request.args)
    ids = analytics.office.office_unit_ids(current_user)
    result = measures.compute(filters.start, filters.end, "unit", ids)
    # Late against on time reads the period's verified responses row by row: on request.
    gaps = (
        late.late_gaps(filters.start, filters.end, ids, filters.cutoff)
        if request.args.get("tre_han") == "1"
        else None
    )
    return render_template("office/indicators.html", filters=filters, result=result, gaps=gaps)
