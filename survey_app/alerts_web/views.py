"""Alert pages: thin; rules, visibility and sending live in ``services.alerts``."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.auth import requires, staff_required
from survey_app.extensions import db
from survey_app.models import Delivery, Unit
from survey_app.services import alerts, complaints
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.access.scope import role_unit_ids, units_among
from survey_app.services.alerts import delivery
from survey_app.services.kiosk import devices
from survey_app.services.org import units

bp = Blueprint("alerts_web", __name__, url_prefix="/canh-bao")


def _managed() -> set[int] | None:
    return role_unit_ids(current_user, roles_with(Capability.MANAGE_ALERTS))


def _unit(code: str) -> Unit:
    """A unit whose rules the user may set (404 otherwise: not a hint that it exists)."""
    ids = _managed()
    unit = db.session.query(Unit).filter(Unit.code == code).one_or_none() if code else None
    if unit is None or (ids is not None and unit.id not in ids):
        abort(404)
    return unit


@bp.get("")
@staff_required
def index() -> str:
    return render_template("alerts/index.html", alerts=alerts.recent(current_user))


@bp.post("/<int:alert_id>/da-xem")
@staff_required
def acknowledge(alert_id: int) -> WerkzeugResponse:
    alert = alerts.visible(current_user, alert_id)
    if alert is None:
        abort(404)
    if alerts.acknowledge(current_user, alert):
        flash(_("Đã ghi nhận: bạn đã xem cảnh báo này."))
    back = request.form.get("quay_lai", "")
    return redirect(url_for("staff.home") if back == "nhan-vien" else url_for(".index"), 303)


def _rules_page(
    unit: Unit, status: int = 200, error: str | None = None, hours_value: str | None = None
) -> tuple[str, int]:
    units = units_among(_managed())
    return render_template(
        "alerts/rules.html",
        unit=unit,
        units=units,
        rules=alerts.rules_of(unit.id),
        defaults=alerts.DEFAULTS,
        silent_minutes=current_app.config["KIOSK_SILENT_MINUTES"],
        hours=str(devices.opening_hours(unit)),
        default_hours=current_app.config["KIOSK_OPENING_HOURS"],
        hours_value=unit.opening_hours or "" if hours_value is None else hours_value,
        webhooks=alerts.webhooks_of(unit.id),
        ack_hours=complaints.ack_working_hours(),
        error=error,
    ), status


def _first_unit() -> Unit:
    units = units_among(_managed())
    if not units:
        abort(404)
    return units[0]


@bp.get("/quy-tac")
@requires(Capability.MANAGE_ALERTS)
def rules() -> tuple[str, int]:
    code = request.args.get("don_vi", "")
    return _rules_page(_unit(code) if code else _first_unit())


@bp.post("/quy-tac")
@requires(Capability.MANAGE_ALERTS)
def save_rule() -> WerkzeugResponse | tuple[str, int]:
    unit = _unit(request.form.get("don_vi", ""))
    form = request.form
    try:
        data = alerts.RuleInput(
            kind=form.get("loai", ""),
            active=form.get("bat") == "1",
            threshold_percent=float(form.get("nguong", "40").replace(",", ".")),
            window_minutes=int(form.get("phut", "60")),
            min_responses=int(form.get("toi_thieu", "5")),
            emails=form.get("email", "")[:5000],
        )
        alerts.save_rule(current_user, unit.id, data)
    except alerts.RuleError as error:  # (an InputError, itself a ValueError: first)
        db.session.rollback()
        return _rules_page(unit, 400, str(error))
    except ValueError:
        db.session.rollback()
        return _rules_page(unit, 400, _("Ngưỡng, số phút và số phản hồi phải là số."))
    flash(_("Đã lưu quy tắc cảnh báo."))
    return redirect(url_for(".rules", don_vi=unit.code), 303)


@bp.post("/gio-lam-viec")
@requires(Capability.MANAGE_ALERTS)
def save_opening_hours() -> WerkzeugResponse | tuple[str, int]:
    """The unit's opening hours (when a silent tablet counts), for its head and admins."""
    unit = _unit(request.form.get("don_vi", ""))
    value = request.form.get("gio", "")[:500]
    try:
        changed = units.set_opening_hours(current_user, unit, value)
    except units.OrgError as error:
        db.session.rollback()
        return _rules_page(unit, 400, str(error), hours_value=value)
    if changed:
        flash(_("Đã lưu giờ làm việc của đơn vị."))
    return redirect(url_for(".rules", don_vi=unit.code), 303)


@bp.post("/phan-anh-tu-dong")
@requires(Capability.MANAGE_ALERTS)
def save_auto_complaints() -> WerkzeugResponse:
    unit = _unit(request.form.get("don_vi", ""))
    complaints.set_auto(current_user, unit, request.form.get("bat") == "1")
    flash(_("Đã lưu cài đặt tự động mở phản ánh."))
    return redirect(url_for(".rules", don_vi=unit.code), 303)


@bp.post("/webhook")
@requires(Capability.MANAGE_ALERTS)
def add_webhook() -> WerkzeugResponse | tuple[str, int]:
    unit = _unit(request.form.get("don_vi", ""))
    try:
        hook, secret = alerts.add_webhook(current_user, unit.id, request.form.get("url", ""))
    except alerts.RuleError as error:
        db.session.rollback()
        return _rules_page(unit, 400, str(error))
    flash(
        _(
            "Đã thêm webhook %(url)s. Khoá bí mật (chỉ hiện một lần): %(secret)s",
            url=hook.url,
            secret=secret,
        )
    )
    return redirect(url_for(".rules", don_vi=unit.code), 303)


@bp.get("/gui")
@requires(Capability.MANAGE_ALERTS)
def deliveries() -> str:
    return render_template("alerts/deliveries.html", rows=delivery.log(_managed()))


@bp.post("/gui/<int:delivery_id>/gui-lai")
@requires(Capability.MANAGE_ALERTS)
def send_again(delivery_id: int) -> WerkzeugResponse:
    row = db.session.get(Delivery, delivery_id)
    ids = _managed()
    if row is None or (ids is not None and row.unit_id not in ids):
        abort(404)
    try:
        delivery.send_again(current_user, row)
    except Exception:  # the queue is away: the periodic sweep sends it once it is back
        flash(_("Hàng đợi công việc tạm thời không hoạt động; thư sẽ được gửi khi có lại."))
        return redirect(url_for(".deliveries"), 303)
    flash(_("Đã xếp lại vào hàng gửi."))
    return redirect(url_for(".deliveries"), 303)
