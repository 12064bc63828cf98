"""Administration of the unit tree (``/quan-tri/don-vi``): thin views over ``services.orgadmin``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.admin.views import bp
from survey_app.auth import requires
from survey_app.auth.confirm import ask, confirmed
from survey_app.models import Unit
from survey_app.models.org import TARGET_GROUPS
from survey_app.services import org
from survey_app.services.access.capabilities import Capability
from survey_app.services.org import units as orgadmin
from survey_app.services.org.units import OrgError

NEW_UNIT = {
    "code": "",
    "name": "",
    "kind": "",
    "place_name": "",
    "parent": "",
    "target_group": "chung",
    "questionnaire": "sipas-2024-dv",
    "form_start": "nhanh",
    "open_qr": "1",
}


@bp.errorhandler(OrgError)
def bad_unit_change(error: OrgError) -> tuple[str, int]:
    return render_template(
        "errors/error.html", title=_("Yêu cầu không hợp lệ"), message=str(error)
    ), 400


def _unit(unit_id: int) -> Unit:
    found = orgadmin.get(unit_id)
    if found is None:
        abort(404)
    return found


def _page(error: str | None = None, form: dict[str, str] | None = None) -> str:
    nodes = orgadmin.tree()
    return render_template(
        "admin/units.html",
        nodes=nodes,
        children=orgadmin.branches(nodes),
        questionnaires=orgadmin.questionnaires(),
        groups=TARGET_GROUPS,
        error=error,
        form=form or NEW_UNIT,
    )


def _edit_page(unit: Unit, error: str | None = None, form: dict[str, str] | None = None) -> str:
    below = set(org.subtree_ids([unit.id]))  # itself and its sub-units: not a parent
    nodes = [n for n in orgadmin.tree() if n.unit.id not in below]
    return render_template(
        "admin/unit_edit.html",
        unit=unit,
        nodes=nodes,
        questionnaires=orgadmin.questionnaires(),
        groups=TARGET_GROUPS,
        error=error,
        form=form or orgadmin.form_of(unit),
    )


def _form() -> dict[str, str]:
    return {k: request.form.get(k, "") for k in orgadmin.FIELDS}


@bp.get("/don-vi")
@requires(Capability.ADMIN_ORG)
def units_page() -> str:
    return _page()


@bp.post("/don-vi")
@requires(Capability.ADMIN_ORG)
def add_unit() -> WerkzeugResponse | tuple[str, int]:
    form = _form()
    try:
        unit = orgadmin.add_unit(current_user, form)
    except OrgError as error:
        return _page(str(error), form), 400
    flash(_("Đã thêm đơn vị %(name)s.", name=unit.name))
    return redirect(url_for("admin.units_page", _anchor=f"don-vi-{unit.id}"), 303)


@bp.get("/don-vi/<int:unit_id>")
@requires(Capability.ADMIN_ORG)
def edit_unit(unit_id: int) -> str:
    return _edit_page(_unit(unit_id))


@bp.post("/don-vi/<int:unit_id>")
@requires(Capability.ADMIN_ORG)
def save_unit(unit_id: int) -> WerkzeugResponse | tuple[str, int]:
    unit, form = _unit(unit_id), _form()
    try:
        changed = orgadmin.update_unit(current_user, unit, form)
    except OrgError as error:
        return _edit_page(unit, str(error), form), 400
    flash(_("Đã lưu đơn vị %(name)s.", name=unit.name) if changed else _("Không có gì thay đổi."))
    return redirect(url_for("admin.units_page", _anchor=f"don-vi-{unit.id}"), 303)


def _toggle(unit_id: int, active: bool) -> WerkzeugResponse:
    unit = _unit(unit_id)
    orgadmin.set_active(current_user, unit, active)  # OrgError: see bad_unit_change
    flash(
        _("Đã mở lại đơn vị %(name)s.", name=unit.name)
        if active
        else _("Đã ngừng đơn vị %(name)s.", name=unit.name)
    )
    return redirect(url_for("admin.units_page", _anchor=f"don-vi-{unit.id}"), 303)


@bp.post("/don-vi/<int:unit_id>/ngung")
@requires(Capability.ADMIN_ORG)
def deactivate_unit(unit_id: int) -> WerkzeugResponse | tuple[str, int]:
    if not confirmed():
        unit = _unit(unit_id)
        return ask(
            title=_("Ngừng đơn vị này?"),
            thing=_("Đơn vị: %(name)s (%(code)s)", name=unit.name, code=unit.code),
            consequence=_(
                "Mọi quầy của đơn vị ngừng nhận phiếu ngay (mã QR báo không còn hiệu lực); các "
                "đơn vị cấp dưới không bị ảnh hưởng. Các phiếu đã nhận vẫn được giữ; có thể mở "
                "lại đơn vị sau."
            ),
            button=_("Ngừng đơn vị"),
            back=url_for("admin.units_page", _anchor=f"don-vi-{unit.id}"),
        )
    return _toggle(unit_id, False)


@bp.post("/don-vi/<int:unit_id>/kich-hoat")
@requires(Capability.ADMIN_ORG)
def activate_unit(unit_id: int) -> WerkzeugResponse:
    return _toggle(unit_id, True)
