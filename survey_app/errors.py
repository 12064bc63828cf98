"""Error pages written for their audience (HTML for people, JSON under /api) — never a
traceback, always a way back.

Two audiences: a citizen who scanned a QR code (the public pages, and any address a visitor
mistyped outside the staff areas) reads about QR codes and goes back to the public home page;
a member of staff — signed in, or on an address of a staff area such as ``/quan-tri`` —
reads that the page does not exist or that their account lacks the right, and goes back to
their own landing page (``auth.navigation``; the sign-in page for a visitor).  A signed-in
user's 4xx page carries the header menu; 5xx pages do not (they must render even when the
database cannot answer).

Also the two rules every answer keeps, whichever view made it: a 405 says ``Allow`` and a
429 says ``Retry-After`` (:func:`_status_headers`); and the input rule's refusal at the web
edge: a path, query, form field or token holding NUL (or a lone surrogate) is a 400 before
any view or database sees it (:func:`_refuse_unstorable`; services/text.py has the rule).
"""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from survey_app.auth.navigation import landing_url
from survey_app.extensions import db, login_manager
from survey_app.services import text
from survey_app.services.errors import UNSTORABLE_TEXT
from survey_app.services.ingest.responses import RETRY_AFTER_SECONDS
from survey_app.services.storage.engine import is_busy, is_unavailable

DEFAULT_RETRY_AFTER = 60  # seconds, for a 429 whose view did not say how long

PUBLIC_BLUEPRINTS = frozenset({"public", "api"})


def _staff_prefixes() -> frozenset[str]:
    """First path segments of the staff areas' routes (``/quan-tri``, ``/van-phong``, …)."""
    cached = current_app.extensions.get("sipas_staff_prefixes")
    if cached is None:
        cached = frozenset(
            "/" + rule.rule.strip("/").split("/")[0]
            for rule in current_app.url_map.iter_rules()
            if rule.endpoint != "static"
            and rule.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS
            and rule.rule.strip("/")
        )
        current_app.extensions["sipas_staff_prefixes"] = cached
    return cached


def _for_staff() -> bool:
    """Whether the page is for staff: a staff area's address, or a signed-in user anywhere
    but the public pages (the citizen's form keeps its QR wording for everyone)."""
    if request.blueprint in PUBLIC_BLUEPRINTS or request.path.startswith("/f/"):
        return False
    if request.blueprint is not None:
        return True
    first = "/" + request.path.strip("/").split("/")[0]
    return first in _staff_prefixes() or _signed_in()


def _signed_in() -> bool:
    try:
        return bool(current_user.is_authenticated)
    except Exception:  # noqa: BLE001 — the user could not be loaded (database down): a visitor
        return False


def _messages(code: int, staff: bool) -> tuple[str, str]:
    if code == 403:
        if staff and _signed_in():
            return _("Không có quyền truy cập"), _(
                "Tài khoản của bạn không có quyền xem trang này hoặc làm việc này. Nếu công việc "
                "cần quyền này, hãy liên hệ quản trị viên của hệ thống."
            )
        return _("Không có quyền truy cập"), _("Vui lòng đăng nhập bằng tài khoản có quyền.")
    if code == 404 and staff:
        return _("Không tìm thấy trang"), _(
            "Trang này không tồn tại, đã bị xoá, hoặc không thuộc các đơn vị bạn được xem. "
            "Hãy dùng trình đơn hoặc quay về trang đầu."
        )
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
    }.get(
        code,
        (
            _("Có lỗi xảy ra"),
            _(
                "Hệ thống gặp sự cố ngoài ý muốn; lỗi đã được ghi lại để xử lý. Vui lòng thử lại "
                "sau ít phút."
            ),
        ),
    )


def _home(staff: bool, code: int) -> tuple[str, str]:
    """Where the page's link goes, and its words."""
    if not staff:
        return url_for("public.index"), _("Về trang đầu")
    if code < 500 and _signed_in():
        return landing_url(current_user), _("Về trang đầu của bạn")
    return url_for("auth.login") if not _signed_in() else url_for("staff.home"), _("Về trang đầu")


def _render(code: int, message: str | None = None) -> tuple[Response | str, int]:
    staff = _for_staff()
    title, default = _messages(code, staff)
    if request.path.startswith("/api/"):
        return jsonify({"error": title, "message": message or default}), code
    home, home_label = _home(staff, code)
    return render_template(
        "errors/error.html",
        title=title,
        message=message or default,
        home=home,
        home_label=home_label,
        bare=code >= 500 or not staff,
    ), code


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
        if is_unavailable(exc):  # busy, unreachable, restarting: try again, not broken
            return _unavailable(app, exc)
        app.logger.exception("unhandled error", exc_info=exc)
        return _render(InternalServerError.code)

    app.before_request(_refuse_unstorable)
    app.after_request(_status_headers)


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
