"""Counter tablets from the counter's page: make a one-time enrolment code (shown once, with
its QR code), list the counter's tablets, rename and revoke them.

``Capability.MANAGE_KIOSKS``: the admin for every counter, a unit head for the counters of
their units (``access.scope.role_unit_ids``); any other counter answers 404.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.admin.views import bp
from survey_app.auth import requires
from survey_app.auth.confirm import ask, confirmed
from survey_app.models import Counter, KioskDevice
from survey_app.services import org
from survey_app.services.access import scope
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.clock import VN_TZ
from survey_app.services.kiosk import devices
from survey_app.services.org import counters


def _in_scope(counter: Counter | None) -> Counter:
    if counter is None:
        abort(404)
    ids = scope.role_unit_ids(current_user, roles_with(Capability.MANAGE_KIOSKS))
    if ids is not None and counter.unit_id not in ids:
        abort(404)
    return counter


def _device(device_id: int) -> KioskDevice:
    device = devices.get(device_id)
    if device is None:
        abort(404)
    _in_scope(device.counter)
    return device


def _page(counter: Counter, new: devices.NewCode | None = None, error: str | None = None) -> str:
    link = qr = None
    if new is not None:
        link = current_app.config["BASE_URL"] + url_for("kiosk.page", ma=new.shown)
        qr = org.qrcards.qr_data_uri(link)
    return render_template(
        "admin/kiosks.html",
        counter=counter,
        devices=devices.for_counter(counter.id),
        new=new,
        link=link,
        qr=qr,
        error=error,
        minutes=devices.ENROL_MINUTES,
        vn_tz=VN_TZ,
    )


@bp.get("/quay/<int:counter_id>/thiet-bi")
@requires(Capability.MANAGE_KIOSKS)
def kiosk_devices(counter_id: int) -> str:
    return _page(_in_scope(counters.get(counter_id)))


@bp.post("/quay/<int:counter_id>/thiet-bi")
@requires(Capability.MANAGE_KIOSKS)
def kiosk_code(counter_id: int) -> str | tuple[str, int]:
    """A new enrolment code, shown once on the answer (200, not a redirect)."""
    counter = _in_scope(counters.get(counter_id))
    try:
        new = devices.create_code(current_user, counter, request.form.get("name", ""))
    except devices.KioskError as error:
        return _page(counter, error=str(error)), 400
    return _page(counter, new=new)


def _back(device: KioskDevice, message: str) -> WerkzeugResponse:
    flash(message)
    return redirect(url_for("admin.kiosk_devices", counter_id=device.counter_id), 303)


@bp.post("/thiet-bi/<int:device_id>/doi-ten")
@requires(Capability.MANAGE_KIOSKS)
def kiosk_rename(device_id: int) -> WerkzeugResponse | tuple[str, int]:
    device = _device(device_id)
    try:
        devices.rename(current_user, device, request.form.get("name", ""))
    except devices.KioskError as error:
        return _page(device.counter, error=str(error)), 400
    return _back(device, _("Đã đổi tên thiết bị thành %(name)s.", name=device.name))


@bp.post("/thiet-bi/<int:device_id>/thu-hoi")
@requires(Capability.MANAGE_KIOSKS)
def kiosk_revoke(device_id: int) -> WerkzeugResponse | tuple[str, int]:
    device = _device(device_id)
    if not confirmed():
        return ask(
            title=_("Thu hồi thiết bị này?"),
            thing=_(
                "Thiết bị: %(name)s, %(counter)s (%(unit)s)",
                name=device.name,
                counter=device.counter.name,
                unit=device.counter.unit.name,
            ),
            consequence=_(
                "Máy tính bảng ngừng nhận đánh giá ngay và báo đã bị thu hồi; những đánh giá còn "
                "chờ gửi trên máy sẽ không được nhận. Muốn dùng lại phải kết nối bằng mã mới."
            ),
            button=_("Thu hồi thiết bị"),
            back=url_for("admin.kiosk_devices", counter_id=device.counter_id),
        )
    devices.revoke(current_user, device)
    return _back(device, _("Đã thu hồi thiết bị %(name)s.", name=device.name))
