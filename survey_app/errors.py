"""Friendly error pages (HTML for people, JSON under /api) — never a traceback."""

from __future__ import annotations

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from survey_app.extensions import db, login_manager
from survey_app.services.ingest.responses import RETRY_AFTER_SECONDS
from survey_app.services.storage.engine import is_busy, is_unavailable


def _messages(code: int) -> tuple[str, str]:
    return {
        400: (
            _("Yêu cầu không hợp lệ"),
            _("Dữ liệu gửi lên không đúng. Vui lòng tải lại trang và thử lại."),
        ),
        404: (
            _("Không tìm thấy trang"),
            _(
                "Mã QR hoặc đường dẫn này không còn hiệu lực. Vui lòng quét mã QR "
                "đang đặt tại quầy hoặc hỏi cán bộ tại quầy."
            ),
        ),
        405: (_("Yêu cầu không hợp lệ"), _("Phương thức này không được hỗ trợ.")),
        413: (_("Dữ liệu quá lớn"), _("Nội dung gửi lên quá lớn.")),
        429: (_("Vui lòng thử lại sau"), _("Có quá nhiều yêu cầu trong thời gian ngắn.")),
        503: (
            _("Hệ thống đang bận"),
            _(
                "Cơ sở dữ liệu đang bận (ví dụ đang nhập một tệp lớn). Vui lòng thử lại sau "
                "ít giây."
            ),
        ),
    }.get(code, (_("Có lỗi xảy ra"), _("Hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút.")))


def _render(code: int, message: str | None = None) -> tuple[Response | str, int]:
    title, default = _messages(code)
    if request.path.startswith("/api/"):
        return jsonify({"error": title, "message": message or default}), code
    return render_template("errors/error.html", title=title, message=message or default), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> tuple[Response | str, int]:
        return _render(
            400,
            _(
                "Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ biểu mẫu. "
                "Vui lòng tải lại trang rồi gửi lại."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        return _render(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        if is_unavailable(exc):  # busy, unreachable, restarting: try again, not broken
            return _unavailable(app, exc)
        app.logger.exception("unhandled error", exc_info=exc)
        return _render(InternalServerError.code)


def _unavailable(app: Flask, exc: Exception) -> tuple[Response, int]:
    """503 with ``Retry-After`` for a database that is busy or cannot be reached: a friendly
    page (a citizen's form post comes back as a page that sends the same answers again),
    JSON under ``/api/``.  Drawn without the database: the session's account is not loaded."""
    busy = is_busy(exc)
    app.logger.warning("database %s: %s", "busy" if busy else "unavailable", exc)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the connection is gone; nothing to undo
        pass
    loaded = g.pop("_login_user", None)
    g._login_user = login_manager.anonymous_user()  # the page must not ask the database
    try:
        if request.endpoint == "public.form" and request.method == "POST":
            fields = list(request.form.items(multi=True))
            body: Response | str = render_template("public/resend.html", fields=fields)
        else:
            body, _code = _render(
                503,
                None
                if busy
                else _(
                    "Hệ thống đang tạm gián đoạn (không kết nối được cơ sở dữ liệu). Vui lòng "
                    "thử lại sau ít phút."
                ),
            )
    finally:
        g.pop("_login_user", None)
        if loaded is not None:
            g._login_user = loaded
    resp = make_response(body, 503)
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp, 503
