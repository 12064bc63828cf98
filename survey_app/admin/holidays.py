"""The holidays page: days off and make-up working days, by year; add and remove (audited).

``Capability.EDIT_HOLIDAYS`` (the admin). A bad date, kind or a duplicate answers 400 with the
page and the message; the rules live in ``services.org.holidays``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.admin.views import bp
from survey_app.auth import requires
from survey_app.extensions import db
from survey_app.services.access.capabilities import Capability
from survey_app.services.org import holidays


def _page(error: str | None = None, form: dict[str, str] | None = None) -> str:
    return render_template(
        "admin/holidays.html", years=holidays.by_year(), error=error, form=form or {}
    )


@bp.get("/ngay-nghi")
@requires(Capability.EDIT_HOLIDAYS)
def holidays_page() -> str:
    return _page()


@bp.post("/ngay-nghi")
@requires(Capability.EDIT_HOLIDAYS)
def add_holiday() -> WerkzeugResponse | tuple[str, int]:
    form = {k: request.form.get(k, "")[:200] for k in ("ngay", "ten", "loai")}
    data = holidays.HolidayInput(day=form["ngay"], name=form["ten"], kind=form["loai"])
    try:
        row = holidays.add(current_user, data)
    except holidays.HolidayError as error:
        db.session.rollback()
        return _page(str(error), form), 400
    flash(_("Đã thêm ngày %(day)s.", day=row.day.strftime("%d/%m/%Y")))
    return redirect(url_for("admin.holidays_page", _anchor=f"nam-{row.day.year}"), 303)


@bp.post("/ngay-nghi/<int:holiday_id>/xoa")
@requires(Capability.EDIT_HOLIDAYS)
def remove_holiday(holiday_id: int) -> WerkzeugResponse:
    row = holidays.remove(current_user, holiday_id)
    if row is None:
        abort(404)
    flash(_("Đã xoá ngày %(day)s.", day=row.day.strftime("%d/%m/%Y")))
    return redirect(url_for("admin.holidays_page"), 303)
