"""Friendly error pages (HTML for people, JSON under /api) — never a traceback.

Also the two rules every answer keeps, whichever view made it: a 405 says ``Allow`` and a
429 says ``Retry-After`` (:func:`_status_headers`); and the input rule's refusal at the web
edge: a path, query, form field or token holding NUL (or a lone surrogate) is a 400 before
any view or database sees it (:func:`_refuse_unstorable`; services/text.py has the rule).
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from survey_app.services import text
from survey_app.services.errors import UNSTORABLE_TEXT
from survey_app.services.storage.engine import is_busy

DEFAULT_RETRY_AFTER = 60  # seconds, for a 429 whose view did not say how long


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
    def http_error(exc: HTTPException) -> Response:
        resp = make_response(*_render(exc.code or 500))
        for name, value in exc.get_headers():  # Allow (405), Retry-After, WWW-Authenticate
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp

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

    app.before_request(_refuse_unstorable)
    app.after_request(_status_headers)


def _refuse_unstorable() -> tuple[Response | str, int] | None:
    """400 for NUL or a lone surrogate in the path, the query, a form field or the bearer
    token (the input rule): nothing of the kind reaches a view or the database.

    The form is read only when it fits the request's size limit: a view that accepts larger
    bodies (the import pages) raises its limit itself, and reads its form after that.
    """
    fields = [request.path, request.headers.get("Authorization", ""), *request.args.values()]
    size = request.content_length
    if request.method == "POST" and size is not None and size <= (request.max_content_length or 0):
        fields += request.form.values()
    if any(text.unstorable(value) for value in fields):
        return _render(400, str(UNSTORABLE_TEXT))
    return None


def _status_headers(resp: Response) -> Response:
    """Every 405 names the allowed methods, every 429 says when to come back."""
    if resp.status_code == 405 and "Allow" not in resp.headers:
        try:
            adapter = current_app.url_map.bind_to_environ(request.environ)
            allowed = adapter.allowed_methods()
        except (MethodNotAllowed, NotFound):  # pragma: no cover - defensive
            allowed = []
        resp.headers["Allow"] = ", ".join(sorted(allowed))
    if resp.status_code == 429 and "Retry-After" not in resp.headers:
        resp.headers["Retry-After"] = str(DEFAULT_RETRY_AFTER)
    return resp
