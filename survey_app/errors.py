"""Friendly error pages (HTML for people, JSON under /api) — never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from survey_app.services.storage.engine import is_busy


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
        if is_busy(exc):  # another writer held the database too long: try again, not broken
            app.logger.warning("database busy: %s", exc)
            body, code = _render(503)
            resp = make_response(body, code)
            resp.headers["Retry-After"] = "5"
            return resp, code
        app.logger.exception("unhandled error", exc_info=exc)
        return _render(InternalServerError.code)
