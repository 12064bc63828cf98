"""Import views: upload → preview (a dry run) → confirm → summary; the template workbook.

Access: the ``office`` role (rows only for its units and the units below them) and ``admin``
(every unit); any other signed-in user gets 403.  The upload is kept server-side under a random
id (``imports.uploads``) and the confirmation imports exactly the previewed bytes, validated
again against the database as it is then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.auth import requires
from survey_app.extensions import csrf
from survey_app.services import exchange, org
from survey_app.services.access.capabilities import Capability, can, roles_with
from survey_app.services.exchange import uploads
from survey_app.services.org import audit

bp = Blueprint("imports", __name__, url_prefix="/nhap-du-lieu")


def import_scope(user: Any) -> set[int] | None:
    """Units whose responses the user may import: ``None`` (every unit) for an admin, else
    the units of the user's ``office`` roles and every unit below them."""
    if can(user, Capability.SEE_ALL_UNITS):
        return None
    roles = roles_with(Capability.IMPORT_DATA)
    return set(
        org.subtree_ids(
            [a.unit_id for a in user.roles if a.role in roles and a.unit_id is not None]
        )
    )


def _limit() -> int:
    return int(current_app.config["IMPORT_MAX_MB"]) * 1024 * 1024


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("source", "")
    refused = context.pop("refused", None)
    if refused is not None:  # the problems listed, and how many were found in all
        context.update(problems=refused.problems, total=refused.total)
    return render_template(
        "imports/index.html", max_mb=current_app.config["IMPORT_MAX_MB"], **context
    ), status


@bp.get("")
@requires(Capability.IMPORT_DATA)
def index() -> tuple[str, int]:
    return _page()


@bp.post("")
@csrf.exempt  # checked below, once the body may be as large as an upload
@requires(Capability.IMPORT_DATA)
def upload() -> tuple[str, int]:
    limit = _limit()
    if (request.content_length or 0) > limit + 65536:
        return _page(
            413,
            error=_(
                "Tệp lớn quá %(mb)s MB. Hãy chia thành nhiều tệp nhỏ hơn "
                "hoặc dùng lệnh sipas import.",
                mb=current_app.config["IMPORT_MAX_MB"],
            ),
        )
    request.max_content_length = limit + 65536  # the app-wide limit is for small forms
    csrf.protect()
    source = request.form.get("source", "").strip()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _page(
            400, error=_("Vui lòng chọn tệp CSV hoặc Excel (.xlsx) để tải lên."), source=source
        )
    suffix = Path(sent.filename).suffix.lower()
    if suffix not in exchange.importer.SUFFIXES:
        return _page(
            400,
            error=_(
                "Chỉ nhận tệp .csv hoặc .xlsx (tệp “%(name)s” không phải).", name=sent.filename
            ),
            source=source,
        )
    data = sent.read(limit + 1)
    if len(data) > limit:
        return _page(
            413,
            error=_(
                "Tệp lớn quá %(mb)s MB. Hãy chia thành nhiều tệp nhỏ hơn "
                "hoặc dùng lệnh sipas import.",
                mb=current_app.config["IMPORT_MAX_MB"],
            ),
            source=source,
        )
    if not data.strip(b"\xef\xbb\xbf \r\n\t,"):
        return _page(400, error=_("Tệp “%(name)s” rỗng.", name=sent.filename), source=source)
    saved = uploads.save(data, suffix, sent.filename, current_user.id, source)
    try:
        result = exchange.importer.import_file(
            saved.path, source=source, scope=import_scope(current_user), dry_run=True
        )
    except exchange.importer.ImportRefused as refused:
        uploads.remove(saved)
        return _page(400, refused=refused, name=saved.name, source=source)
    if not result.added:
        uploads.remove(saved)  # nothing to confirm
    return _page(200, preview=result, upload=saved, source=source)


@bp.post("/<upload_id>")
@requires(Capability.IMPORT_DATA)
def confirm(upload_id: str) -> WerkzeugResponse | tuple[str, int]:
    saved = uploads.load(upload_id, current_user.id)
    if saved is None:
        abort(404)

    def note(result: exchange.importer.ImportResult) -> None:
        audit.record(
            current_user,
            "responses.import",
            "file",
            saved.name[:80],
            None,
            {
                "added": result.added,
                "skipped": result.skipped,
                "units": result.by_unit,
                "sources": result.by_source,
            },
        )

    try:
        result = exchange.importer.import_file(
            saved.path, source=saved.source, scope=import_scope(current_user), before_commit=note
        )
    except exchange.importer.ImportRefused as refused:
        uploads.remove(saved)
        return _page(400, refused=refused, name=saved.name, source=saved.source)
    uploads.remove(saved)
    flash(
        _(
            "Đã nhập %(added)d phản hồi mới từ tệp “%(name)s”; %(skipped)d phản hồi đã có "
            "được bỏ qua.",
            added=result.added,
            name=saved.name,
            skipped=result.skipped,
        )
    )
    return redirect(url_for("imports.index"), 303)


@bp.get("/mau.xlsx")
@requires(Capability.IMPORT_DATA)
def template() -> WerkzeugResponse:
    body = exchange.template.build(import_scope(current_user))
    return WerkzeugResponse(
        body,
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-phieu-sipas.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
