"""Administration views: thin; changes and their audit entries live in ``admin.counters``.

Access: the ``admin`` role only — any other signed-in user gets 403, a signed-out visitor
the login page. Every change is a CSRF-protected POST that redirects (303) to the list.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.auth import requires
from survey_app.auth.confirm import ask, confirmed
from survey_app.models import Counter
from survey_app.services import accounts, org
from survey_app.services.access.capabilities import Capability
from survey_app.services.clock import VN_TZ
from survey_app.services.kiosk import devices as kiosk_devices
from survey_app.services.org import audit, counters, procedures
from survey_app.services.org import units as orgadmin
from survey_app.services.org.counters import CounterError

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")


@bp.errorhandler(CounterError)
def bad_change(error: CounterError) -> tuple[str, int]:
    return render_template(
        "errors/error.html", title=_("Yêu cầu không hợp lệ"), message=str(error)
    ), 400


def _counter(counter_id: int) -> Counter:
    found = counters.get(counter_id)
    if found is None:
        abort(404)
    return found


def _back(counter: Counter, message: str) -> WerkzeugResponse:
    flash(message)
    return redirect(url_for("admin.counters_page", _anchor=f"quay-{counter.id}"), 303)


def _ask(counter: Counter, title: str, consequence: str, button: str) -> tuple[str, int]:
    return ask(
        title=title,
        thing=_(
            "Quầy: %(name)s (%(code)s), %(unit)s",
            name=counter.name,
            code=counter.code,
            unit=counter.unit.name,
        ),
        consequence=consequence,
        button=button,
        back=url_for("admin.counters_page", _anchor=f"quay-{counter.id}"),
    )


def _list(error: str | None = None, form: dict[str, str] | None = None) -> str:
    return render_template(
        "admin/counters.html", groups=counters.grouped(), error=error, form=form or {}
    )


@bp.get("/quay")
@requires(Capability.ADMIN_ORG)
def counters_page() -> str:
    return _list()


@bp.post("/quay")
@requires(Capability.ADMIN_ORG)
def add_counter() -> WerkzeugResponse | tuple[str, int]:
    form = {k: request.form.get(k, "") for k in ("unit", "code", "name")}
    try:
        counter = counters.add_counter(current_user, form["unit"], form["code"], form["name"])
    except CounterError as error:
        return _list(str(error), form), 400
    return _back(counter, _("Đã thêm quầy %(name)s.", name=counter.name))


@bp.post("/quay/<int:counter_id>/ngung")
@requires(Capability.ADMIN_ORG)
def deactivate(counter_id: int) -> WerkzeugResponse | tuple[str, int]:
    counter = _counter(counter_id)
    if not confirmed():
        return _ask(
            counter,
            _("Ngừng quầy này?"),
            _(
                "Quầy ngừng nhận phiếu ngay: người dân quét mã QR của quầy sẽ thấy trang báo mã "
                "không còn hiệu lực. Các phiếu đã nhận vẫn được giữ; có thể mở lại quầy sau."
            ),
            _("Ngừng quầy"),
        )
    counters.set_active(current_user, counter, False)
    return _back(counter, _("Đã ngừng quầy %(name)s.", name=counter.name))


@bp.post("/quay/<int:counter_id>/kich-hoat")
@requires(Capability.ADMIN_ORG)
def activate(counter_id: int) -> WerkzeugResponse:
    counter = _counter(counter_id)
    counters.set_active(current_user, counter, True)
    return _back(counter, _("Đã mở lại quầy %(name)s.", name=counter.name))


@bp.post("/quay/<int:counter_id>/cap-ma")
@requires(Capability.ADMIN_ORG)
def issue_token(counter_id: int) -> WerkzeugResponse:
    counter = _counter(counter_id)
    counters.issue(current_user, counter)
    return _back(counter, _("Đã cấp mã QR cho quầy %(name)s.", name=counter.name))


@bp.post("/quay/<int:counter_id>/thu-hoi")
@requires(Capability.ADMIN_ORG)
def revoke_tokens(counter_id: int) -> WerkzeugResponse | tuple[str, int]:
    counter = _counter(counter_id)
    if not confirmed():
        return _ask(
            counter,
            _("Thu hồi mã QR của quầy này?"),
            _(
                "Mã QR đang dán tại quầy ngừng hoạt động ngay và không dùng lại được: người dân "
                "quét mã sẽ thấy trang báo mã không còn hiệu lực cho đến khi quầy được cấp mã mới "
                "và in thẻ mới."
            ),
            _("Thu hồi mã QR"),
        )
    counters.revoke(current_user, counter)
    return _back(counter, _("Đã thu hồi mã QR của quầy %(name)s.", name=counter.name))


@bp.post("/quay/<int:counter_id>/doi-ma")
@requires(Capability.ADMIN_ORG)
def rotate_token(counter_id: int) -> WerkzeugResponse | tuple[str, int]:
    counter = _counter(counter_id)
    if not confirmed():
        return _ask(
            counter,
            _("Đổi mã QR của quầy này?"),
            _(
                "Mã QR cũ ngừng hoạt động ngay và không dùng lại được; quầy nhận một mã mới. "
                "Thẻ đang dán tại quầy phải được thay bằng thẻ in mã mới."
            ),
            _("Đổi mã QR"),
        )
    counters.rotate(current_user, counter)
    return _back(counter, _("Đã đổi mã QR của quầy %(name)s; hãy in lại thẻ.", name=counter.name))


def _card(counter_id: int) -> org.qrcards.Card:
    counter = _counter(counter_id)
    live = org.live_token(counter)
    if live is None:
        abort(404)
    return org.qrcards.Card(
        counter.unit.code, counter.unit.name, counter.code, counter.name, org.public_url(live.token)
    )


@bp.get("/quay/<int:counter_id>/the.pdf")
@requires(Capability.ADMIN_ORG)
def card_pdf(counter_id: int) -> WerkzeugResponse:
    body = org.qrcards.render_pdf(_card(counter_id))
    return WerkzeugResponse(body, mimetype="application/pdf")


@bp.get("/quay/<int:counter_id>/the.svg")
@requires(Capability.ADMIN_ORG)
def card_svg(counter_id: int) -> WerkzeugResponse:
    body = org.qrcards.render_svg(_card(counter_id))
    return WerkzeugResponse(body, mimetype="image/svg+xml")


@bp.get("")
@requires(Capability.ADMIN_ORG)
def index() -> str:
    """The administration's index: each section with one line (``auth.navigation``)."""
    return render_template("admin/index.html")


@bp.get("/nhat-ky")
@requires(Capability.ADMIN_ORG)
def log() -> str:
    raw = request.args.get("trang", "1")
    number = int(raw) if raw.isdigit() and len(raw) < 7 else 1
    found = audit.page(number)
    names = counters.labels([e.target_id for e in found.entries if e.target_type == "counter"])
    label = {
        "unit": orgadmin.labels,
        "procedure": procedures.labels,
        "user": accounts.usernames,
        "device": kiosk_devices.labels,
    }
    others = {
        kind: describe([e.target_id for e in found.entries if e.target_type == kind])
        for kind, describe in label.items()
    }
    labels = {
        "action": audit.action_label,
        "key": audit.key_label,
        "target": audit.target_label,
        "value": audit.value_label,
    }
    return render_template(
        "admin/log.html", page=found, names=names, others=others, vn_tz=VN_TZ, labels=labels
    )
