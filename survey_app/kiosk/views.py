"""Kiosk views: thin over ``services.kiosk``.

The page (``/kiosk/``) is the same for every tablet: the script reads the device credential
from the tablet's storage and asks ``/kiosk/api/cau-hinh`` what to draw.  The JSON endpoints
are CSRF-exempt (no cookie authenticates them: the credential travels in the
``Authorization`` header) and refuse an unknown or revoked tablet with 401 / 403 and a
message the tablet shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.extensions import csrf
from survey_app.models import KioskDevice
from survey_app.services.ingest import ratelimit, responses
from survey_app.services.kiosk import devices, ratings

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
csrf.exempt(bp)

APP_VERSION = "1"  # the kiosk script's version, sent with every heartbeat
Reply = tuple[WerkzeugResponse, int]
_WORKER = Path(__file__).resolve().parent.parent / "static" / "kiosk-sw.js"


def _error(status: int, message: str, **extra: Any) -> Reply:
    return jsonify({"error": message, **extra}), status


def _device() -> KioskDevice | Reply:
    auth = request.headers.get("Authorization", "")
    credential = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    try:
        return devices.authenticate(credential)
    except devices.DeviceRefused as refused:
        if refused.revoked:
            return _error(
                403,
                _(
                    "Thiết bị này đã bị thu hồi hoặc quầy đã ngừng hoạt động; không nhận thêm "
                    "đánh giá. Vui lòng báo cán bộ quầy."
                ),
                revoked=True,
            )
        return _error(401, _("Thiết bị chưa được kết nối với quầy nào."), revoked=False)


def _body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _texts() -> dict[str, dict[str, str]]:
    """The page's words in both languages (the tablet switches without a request)."""
    out = {}
    for locale in ("vi", "en"):
        with force_locale(locale):
            out[locale] = _ui_words()
    return out


def _ui_words() -> dict[str, str]:
    return {
        "have_code": _("Tôi có mã hồ sơ"),
        "code_title": _("Nhập mã hồ sơ (trên giấy biên nhận)"),
        "code_hint": _("Có thể bỏ qua: đánh giá vẫn được ghi nhận."),
        "code_ok": _("Dùng mã này"),
        "code_del": _("Xoá một ký tự"),
        "code_cancel": _("Không dùng mã"),
        "code_label": _("Mã hồ sơ"),
        "back": _("Quay lại"),
        "skip": _("Bỏ qua"),
        "question": _("Câu %(n)s / %(total)s"),
        "comment_title": _("Ông/Bà có góp ý gì thêm không? (không bắt buộc)"),
        "comment_label": _("Góp ý"),
        "send": _("Gửi"),
        "need_answer": _("Vui lòng trả lời ít nhất một câu hỏi."),
        "thanks": _("Cảm ơn Ông/Bà đã đánh giá!"),
        "thanks_code": _("Đánh giá đã được gắn với hồ sơ."),
        "code_not_used": _("Không dùng được mã hồ sơ này; đánh giá vẫn được ghi nhận."),
        "idle": _("Không có thao tác; phiếu sẽ được xoá sau %(s)s giây."),
        "idle_keep": _("Tiếp tục đánh giá"),
        "pending": _("%(n)s đánh giá đang chờ gửi"),
        "offline": _("Mất kết nối; đánh giá được lưu trên máy và sẽ tự gửi."),
        "enrol_title": _("Kết nối máy tính bảng với quầy"),
        "enrol_hint": _(
            "Nhập mã kết nối do quản trị viên hoặc trưởng đơn vị tạo (hiệu lực 15 phút)."
        ),
        "enrol_label": _("Mã kết nối"),
        "enrol_button": _("Kết nối"),
        "enrol_bad": _("Mã kết nối không đúng, đã dùng hoặc đã hết hạn."),
        "revoked": _(
            "Thiết bị này đã bị thu hồi; không nhận thêm đánh giá. Vui lòng báo cán bộ quầy."
        ),
        "loading": _("Đang tải…"),
        "faces": _("Chọn một mặt"),
    }


@bp.get("/")
def page() -> str:
    return render_template("kiosk/page.html", texts=_texts(), version=APP_VERSION)


@bp.get("/sw.js")
def service_worker() -> WerkzeugResponse:
    """The service worker keeps the page and its files for a reload while offline; served
    from ``/kiosk/`` so that its scope covers the page."""
    body = _WORKER.read_bytes()
    return WerkzeugResponse(body, mimetype="text/javascript")


@bp.post("/api/ket-noi")
def enrol() -> Reply:
    body = _body() or {}
    if not ratelimit.allow("RATELIMIT_LOGIN", "kiosk-enrol", ratelimit.client_key()):
        return _error(429, _("Quá nhiều yêu cầu; vui lòng thử lại sau."))
    code = body.get("code")
    try:
        enrolled = devices.enrol(code if isinstance(code, str) else "", body.get("app_version"))
    except devices.EnrolRefused:
        return _error(400, _("Mã kết nối không đúng, đã dùng hoặc đã hết hạn."))
    device = enrolled.device
    return jsonify(
        {
            "credential": enrolled.credential,
            "device": {"id": device.id, "name": device.name},
            "counter": {"code": device.counter.code, "name": device.counter.name},
        }
    ), 201


@bp.get("/api/cau-hinh")
def config() -> WerkzeugResponse | Reply:
    device = _device()
    if isinstance(device, tuple):
        return device
    info = ratings.counter_info(device)
    return jsonify(ratings.kiosk_config(device, info, current_app.config))


@bp.post("/api/phieu")
def submit() -> Reply:
    device = _device()
    if isinstance(device, tuple):
        return device
    if not ratings.allowed(device):
        resp, status = _error(429, _("Quá nhiều yêu cầu; vui lòng thử lại sau."))
        resp.headers["Retry-After"] = "30"
        return resp, status
    body = _body()
    if body is None or not isinstance(body.get("answers"), dict):
        return _error(400, _("Dữ liệu không hợp lệ."))
    rating = ratings.Rating(
        answers=body["answers"],
        idempotency_key=_str(body.get("idempotency_key")) or "",
        comment=_str(body.get("comment")),
        questionnaire=_str(body.get("questionnaire")),
        submitted_at=_str(body.get("submitted_at")),
        dossier_code=_str(body.get("dossier_code")),
    )
    info = ratings.counter_info(device)
    try:
        result = ratings.submit(device, info, rating)
    except responses.SubmissionError as exc:
        return _error(
            400, _("Dữ liệu không hợp lệ."), errors={k: str(v) for k, v in exc.errors.items()}
        )
    except responses.DatabaseBusy:
        resp, status = _error(
            503, _("Hệ thống đang bận; đánh giá được giữ trên máy và gửi lại sau.")
        )
        resp.headers["Retry-After"] = str(responses.RETRY_AFTER_SECONDS)
        return resp, status
    return jsonify({"id": result.response_id, "dossier": result.dossier}), (
        201 if result.created else 200
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@bp.post("/api/nhip")
def heartbeat() -> Reply:
    device = _device()
    if isinstance(device, tuple):
        return device
    body = _body() or {}
    devices.heartbeat(device, body.get("queue_length"), body.get("app_version"))
    return jsonify({"ok": True}), 200
