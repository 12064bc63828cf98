"""Staff views: thin, every query scoped through ``services.scope``."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import lazy_loader as lazy
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.auth import staff_required
from survey_app.models import utcnow
from survey_app.services import alerts, analytics
from survey_app.services.access import scope
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.clock import local_day
from survey_app.services.formatting import clock_time, day, short_day
from survey_app.services.kiosk import devices as kiosk

if TYPE_CHECKING:
    import scoring
else:
    scoring = lazy.load("scoring")  # numpy, scipy: loaded on first use, not at start-up

bp = Blueprint("staff", __name__)


# ``phieu``: the indices of every response, of verified or of open ones only (issue 13)
PHIEU = {"": "all", "xac_thuc": "verified", "mo": "open"}


class BadDay(ValueError):
    """``ngay`` is not a date (YYYY-MM-DD)."""


def _day() -> date:
    raw = request.args.get("ngay", "").strip()
    if not raw:
        return local_day(utcnow())
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return scoring.check_day(date.fromisoformat(raw))
    except ValueError as exc:
        raise BadDay(raw) from exc


@bp.errorhandler(BadDay)
def bad_day(_exc: BadDay) -> tuple[str, int]:
    return render_template(
        "errors/error.html",
        title=_("Ngày không hợp lệ"),
        message=_("Vui lòng chọn ngày theo dạng năm-tháng-ngày, ví dụ 2026-03-15."),
    ), 400


def _seen() -> int | None:
    """``da_xem``: the last response id the reader has seen (new low ratings are counted
    after it); absent on a page the reader opened themselves."""
    raw = request.args.get("da_xem", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise BadDay(raw)  # not a response id: the same friendly 400
    return int(raw)


@bp.get("/nhan-vien")
@staff_required
def home() -> str:
    shown = _day()
    phieu = request.args.get("phieu", "").strip()
    if phieu not in PHIEU:
        abort(400)
    today = analytics.staff.today(current_user, shown, responses=PHIEU[phieu])
    is_today = shown == local_day(utcnow())
    seen = _seen()
    return render_template(
        "staff/home.html",
        today=today,
        is_today=is_today,
        seen=today.last_id if seen is None else seen,
        new_low=analytics.staff.new_low(today, seen),
        min_n=analytics.staff.MIN_N,
        refresh=int(current_app.config["STAFF_REFRESH_SECONDS"]),
        tablets=_tablets(),
        kiosk_counters=kiosk.counters_in(
            scope.role_unit_ids(current_user, roles_with(Capability.MANAGE_KIOSKS))
        ),
        silent_minutes=int(current_app.config["KIOSK_SILENT_MINUTES"]),
        alerts=alerts.unacknowledged(current_user),
        phieu=phieu or None,
        excluded=analytics.exclusions.excluded_count(
            scope.visible_unit_ids(current_user), shown, shown
        ),
    )


def _tablets() -> list[kiosk.Tablet]:
    """The scope's counter tablets; for a user who sees every unit (an admin: a province may
    have thousands), only the silent ones."""
    ids = scope.visible_unit_ids(current_user)
    found = kiosk.tablets(ids)
    return found if ids is not None else [t for t in found if t.silent]


def _entry(obj: Any) -> dict[str, Any]:
    out = asdict(obj)
    out["at"] = clock_time(obj.at)
    return out


@bp.get("/nhan-vien/moi")
@staff_required
def news() -> Response:
    after = request.args.get("sau", "0").strip()
    if not re.fullmatch(r"[0-9]{1,18}", after):
        raise BadDay(after)  # not a response id: the same friendly 400
    found = analytics.staff.news(current_user, _day(), int(after))
    return jsonify(
        total=found.total,
        last_id=found.last_id,
        comments=[_entry(c) for c in found.comments],
        low=[_entry(r) for r in found.low],
    )


@bp.get("/nhan-vien/xu-huong.svg")
@staff_required
def trend_chart() -> Response:
    last = _day()
    first = last - timedelta(days=analytics.staff.TREND_DAYS - 1)
    labels = analytics.charts.TrendLabels(
        title=_(
            "Chỉ số SIPAS theo ngày, %(first)s – %(last)s",
            first=short_day(first),
            last=day(last),
        ),
        y_axis=_("SIPAS (%)"),
        target=_("Mục tiêu %(target)d", target=90),
        interval=_("Khoảng tin cậy %(p)d%%", p=95),
        enough=_("Đủ dữ liệu (n ≥ 30)"),
        few=_("Chưa đủ dữ liệu (n < 30)"),
        empty=_("Chưa có phản hồi trong 30 ngày"),
    )
    svg = analytics.charts.trend_svg(analytics.staff.trend(current_user, last), first, last, labels)
    return Response(svg, mimetype="image/svg+xml")
