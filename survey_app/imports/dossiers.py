"""The dossier import page (``/nhap-du-lieu/ho-so``): upload → check (a dry run that counts
what would be created, updated, left alone) → confirm → summary; the template workbook.

Access as the response import (``IMPORT_DATA``: office for its units and those below, admin
for every unit). The upload waits under ``instance/imports/`` (``exchange.uploads``) and the
confirmation imports exactly the checked bytes, checked again against the database as it is
then. The import is audited (``dossiers.import``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.auth import requires
from survey_app.extensions import csrf, db
from survey_app.imports.views import bp, import_scope
from survey_app.models import Counter, Unit
from survey_app.services import dossiers
from survey_app.services.access.capabilities import Capability
from survey_app.services.dossiers.ingest import DatabaseBusy, DossiersRefused, IngestResult
from survey_app.services.exchange import uploads
from survey_app.services.org import audit

SUFFIXES = (".csv", ".xlsx")


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    refused = context.pop("refused", None)
    if refused is not None:
        context.update(problems=refused.problems, total=refused.total)
    return render_template(
        "imports/dossiers.html", max_mb=current_app.config["IMPORT_MAX_MB"], **context
    ), status


def _too_big() -> tuple[str, int]:
    return _page(
        413,
        error=_(
            "Tệp lớn quá %(mb)s MB. Hãy chia thành nhiều tệp nhỏ hơn hoặc dùng lệnh "
            "sipas dossiers import.",
            mb=current_app.config["IMPORT_MAX_MB"],
        ),
    )


@bp.get("/ho-so")
@requires(Capability.IMPORT_DATA)
def dossiers_page() -> tuple[str, int]:
    return _page()


@bp.post("/ho-so")
@csrf.exempt  # checked below, once the body may be as large as an upload
@requires(Capability.IMPORT_DATA)
def upload_dossiers() -> tuple[str, int]:
    limit = int(current_app.config["IMPORT_MAX_MB"]) * 1024 * 1024
    if (request.content_length or 0) > limit + 65536:
        return _too_big()
    request.max_content_length = limit + 65536
    csrf.protect()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _page(400, error=_("Vui lòng chọn tệp CSV hoặc Excel (.xlsx) để tải lên."))
    suffix = Path(sent.filename).suffix.lower()
    if suffix not in SUFFIXES:
        message = _("Chỉ nhận tệp .csv hoặc .xlsx (tệp “%(name)s” không phải).", name=sent.filename)
        return _page(400, error=message)
    data = sent.read(limit + 1)
    if len(data) > limit:
        return _too_big()
    saved = uploads.save(data, suffix, sent.filename, current_user.id, "")
    try:
        result = dossiers.files.import_file(
            saved.path, allowed=import_scope(current_user), dry_run=True
        )
    except DossiersRefused as refused:
        uploads.remove(saved)
        return _page(400, refused=refused, name=saved.name)
    except DatabaseBusy:
        uploads.remove(saved)
        return _page(503, error=_("Hệ thống đang bận; chưa lưu gì. Vui lòng thử lại sau ít phút."))
    if not (result.created or result.updated):
        uploads.remove(saved)  # nothing to confirm
    return _page(200, preview=result, upload=saved)


@bp.post("/ho-so/<upload_id>")
@requires(Capability.IMPORT_DATA)
def confirm_dossiers(upload_id: str) -> WerkzeugResponse | tuple[str, int]:
    saved = uploads.load(upload_id, current_user.id)
    if saved is None:
        abort(404)

    def note(result: IngestResult) -> None:
        audit.record(
            current_user, "dossiers.import", "file", saved.name[:80], None, result.counts()
        )

    try:
        result = dossiers.files.import_file(
            saved.path, allowed=import_scope(current_user), before_commit=note
        )
    except DossiersRefused as refused:
        uploads.remove(saved)
        return _page(400, refused=refused, name=saved.name)
    except DatabaseBusy:
        return _page(503, error=_("Hệ thống đang bận; chưa lưu gì. Vui lòng thử lại sau ít phút."))
    uploads.remove(saved)
    flash(
        _(
            "Đã nhập tệp “%(name)s”: thêm %(created)d, cập nhật %(updated)d, giữ nguyên "
            "%(unchanged)d hồ sơ.",
            name=saved.name,
            **result.counts(),
        )
    )
    return redirect(url_for("imports.dossiers_page"), 303)


@bp.get("/ho-so/mau.xlsx")
@requires(Capability.IMPORT_DATA)
def dossiers_template() -> WerkzeugResponse:
    scope = import_scope(current_user)
    query = select(Unit.id, Unit.code).where(Unit.active).order_by(Unit.code)
    units = [code for uid, code in db.session.execute(query) if scope is None or uid in scope]
    counters = [
        f"{u}/{c}"
        for uid, u, c in db.session.execute(
            select(Unit.id, Unit.code, Counter.code).join(Counter.unit).order_by(Unit.code)
        )
        if scope is None or uid in scope
    ]
    return WerkzeugResponse(
        dossiers.files.template(units, counters),
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-ho-so-sipas.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
