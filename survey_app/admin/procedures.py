"""Administration of procedures (``/quan-tri/thu-tuc``): thin views over
``services.procedures`` — list and search, add, edit (with the units that offer it),
deactivate, and the all-or-nothing CSV import with its template."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.admin.views import bp
from survey_app.auth import requires
from survey_app.auth.confirm import ask, confirmed
from survey_app.models import Procedure
from survey_app.models.org import TARGET_GROUPS
from survey_app.services.access.capabilities import Capability
from survey_app.services.org import procedures
from survey_app.services.org.procedures import ImportFailed, ProcedureError

FIELDS = ("code", "name", "field", "target_group", "units")
NEW = {"code": "", "name": "", "field": "", "target_group": "chung", "units": ""}


@bp.errorhandler(ProcedureError)
def bad_procedure_change(error: ProcedureError) -> tuple[str, int]:
    return render_template(
        "errors/error.html", title=_("Yêu cầu không hợp lệ"), message=str(error)
    ), 400


@bp.url_value_preprocessor
def allow_big_upload(endpoint: str | None, _values: dict[str, object] | None) -> None:
    """A procedure list is bigger than the app-wide body limit. URL value preprocessors run
    before every ``before_request`` function, so before the CSRF check reads the form."""
    if endpoint == "admin.import_procedures":
        request.max_content_length = procedures.IMPORT_MAX_BYTES + 64 * 1024


def _procedure(procedure_id: int) -> Procedure:
    found = procedures.get(procedure_id)
    if found is None:
        abort(404)
    return found


def _page(
    error: str | None = None,
    form: dict[str, str] | None = None,
    import_errors: list[procedures.RowError] | None = None,
) -> str:
    query = request.args.get("q", "")
    return render_template(
        "admin/procedures.html",
        listing=procedures.search(query),
        query=query,
        groups=TARGET_GROUPS,
        error=error,
        form=form or NEW,
        import_errors=import_errors,
        limit=procedures.LIST_LIMIT,
    )


def _form() -> dict[str, str]:
    return {k: request.form.get(k, "") for k in FIELDS}


def _back(proc: Procedure, message: str) -> WerkzeugResponse:
    flash(message)
    return redirect(url_for("admin.procedures_page", q=proc.code, _anchor=f"tt-{proc.id}"), 303)


@bp.get("/thu-tuc")
@requires(Capability.ADMIN_ORG)
def procedures_page() -> str:
    return _page()


@bp.post("/thu-tuc")
@requires(Capability.ADMIN_ORG)
def add_procedure() -> WerkzeugResponse | tuple[str, int]:
    form = _form()
    try:
        proc = procedures.add(current_user, form)
    except ProcedureError as error:
        return _page(str(error), form), 400
    return _back(proc, _("Đã thêm thủ tục %(code)s.", code=proc.code))


@bp.get("/thu-tuc/<int:procedure_id>")
@requires(Capability.ADMIN_ORG)
def edit_procedure(procedure_id: int) -> str:
    proc = _procedure(procedure_id)
    return render_template(
        "admin/procedure_edit.html",
        proc=proc,
        groups=TARGET_GROUPS,
        form=procedures.form_of(proc),
        error=None,
    )


@bp.post("/thu-tuc/<int:procedure_id>")
@requires(Capability.ADMIN_ORG)
def save_procedure(procedure_id: int) -> WerkzeugResponse | tuple[str, int]:
    proc, form = _procedure(procedure_id), _form()
    try:
        changed = procedures.update(current_user, proc, form)
    except ProcedureError as error:
        return render_template(
            "admin/procedure_edit.html",
            proc=proc,
            groups=TARGET_GROUPS,
            form=form,
            error=str(error),
        ), 400
    return _back(
        proc,
        _("Đã lưu thủ tục %(code)s.", code=proc.code) if changed else _("Không có gì thay đổi."),
    )


@bp.post("/thu-tuc/<int:procedure_id>/ngung")
@requires(Capability.ADMIN_ORG)
def deactivate_procedure(procedure_id: int) -> WerkzeugResponse | tuple[str, int]:
    proc = _procedure(procedure_id)
    if not confirmed():
        return ask(
            title=_("Ngừng áp dụng thủ tục này?"),
            thing=_("Thủ tục: %(code)s – %(name)s", code=proc.code, name=proc.name),
            consequence=_(
                "Thủ tục không còn hiện trong phiếu để người dân chọn. Các phiếu đã nhận vẫn "
                "giữ thủ tục này; có thể dùng lại thủ tục sau."
            ),
            button=_("Ngừng thủ tục"),
            back=url_for("admin.procedures_page", q=proc.code),
        )
    procedures.set_active(current_user, proc, False)
    return _back(proc, _("Đã ngừng thủ tục %(code)s.", code=proc.code))


@bp.post("/thu-tuc/<int:procedure_id>/kich-hoat")
@requires(Capability.ADMIN_ORG)
def activate_procedure(procedure_id: int) -> WerkzeugResponse:
    proc = _procedure(procedure_id)
    procedures.set_active(current_user, proc, True)
    return _back(proc, _("Đã dùng lại thủ tục %(code)s.", code=proc.code))


@bp.post("/thu-tuc/nhap")
@requires(Capability.ADMIN_ORG)
def import_procedures() -> WerkzeugResponse | tuple[str, int]:
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if not data:
        return _page(_("Vui lòng chọn một tệp CSV."), None), 400
    try:
        result = procedures.import_rows(current_user, procedures.parse_csv(data))
    except ImportFailed as failed:
        return _page(None, None, failed.errors), 400
    flash(
        _(
            "Đã nhập danh sách thủ tục: %(added)d thêm mới, %(updated)d cập nhật, "
            "%(unchanged)d không đổi, %(links)d liên kết đơn vị mới.",
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
            links=result.links,
        )
    )
    return redirect(url_for("admin.procedures_page"), 303)


@bp.get("/thu-tuc/mau.csv")
@requires(Capability.ADMIN_ORG)
def procedures_template() -> WerkzeugResponse:
    return WerkzeugResponse(
        procedures.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=thu-tuc-mau.csv"},
    )
