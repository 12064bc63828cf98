"""Integration keys (``/quan-tri/khoa-tich-hop``): the source systems' keys for
``/api/v1/dossiers`` — list, create (the key shown once, in the answer to the POST that made
it: never flashed, never logged), revoke after the confirmation step. Audited in
``services.dossiers.keys``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.admin.views import bp
from survey_app.auth import requires
from survey_app.auth.confirm import ask, confirmed
from survey_app.extensions import db
from survey_app.models import IntegrationKey, Unit
from survey_app.services.access.capabilities import Capability
from survey_app.services.clock import VN_TZ
from survey_app.services.dossiers import keys


def _page(
    error: str | None = None, form: dict[str, str] | None = None, made: keys.NewKey | None = None
) -> str:
    units = list(db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.code)))
    return render_template(
        "admin/keys.html",
        keys=keys.listing(),
        units=units,
        error=error,
        form=form or {},
        made=made,
        vn_tz=VN_TZ,
    )


@bp.get("/khoa-tich-hop")
@requires(Capability.ADMIN_ORG)
def keys_page() -> str:
    return _page()


@bp.post("/khoa-tich-hop")
@requires(Capability.ADMIN_ORG)
def add_key() -> str | tuple[str, int]:
    form = {k: request.form.get(k, "").strip() for k in ("name", "unit")}
    unit = db.session.scalar(select(Unit).where(Unit.code == form["unit"]))
    if unit is None:
        return _page(_("Vui lòng chọn một đơn vị."), form), 400
    try:
        made = keys.create(form["name"][:100], unit, current_user)
    except keys.KeyProblem as problem:
        db.session.rollback()
        return _page(_(str(problem)), form), 400
    db.session.commit()
    return _page(made=made)


@bp.post("/khoa-tich-hop/<int:key_id>/thu-hoi")
@requires(Capability.ADMIN_ORG)
def revoke_key(key_id: int) -> WerkzeugResponse | tuple[str, int]:
    key = db.session.get(IntegrationKey, key_id)
    if key is None:
        abort(404)
    if not confirmed():
        return ask(
            title=_("Thu hồi khoá tích hợp này?"),
            thing=_(
                "Khoá: %(name)s (%(prefix)s…), đơn vị %(unit)s",
                name=key.name,
                prefix=key.prefix,
                unit=key.unit.code,
            ),
            consequence=_(
                "Hệ thống dùng khoá này không gửi được hồ sơ nữa (HTTP 401) ngay lập tức; "
                "không mở lại được. Muốn gửi tiếp phải tạo khoá mới và cài vào hệ thống đó."
            ),
            button=_("Thu hồi khoá"),
            back=url_for("admin.keys_page", _anchor=f"khoa-{key.id}"),
        )
    keys.revoke(key, current_user)
    db.session.commit()
    flash(_("Đã thu hồi khoá %(name)s.", name=key.name))
    return redirect(url_for("admin.keys_page", _anchor=f"khoa-{key.id}"), 303)
