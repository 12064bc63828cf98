"""API views: authenticate the counter token, call the response service, answer JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import text
from werkzeug.wrappers import Response as WerkzeugResponse

from forms import get as get_questionnaire
from survey_app.api import bodies
from survey_app.api.openapi import openapi_document
from survey_app.extensions import csrf, db
from survey_app.services import org
from survey_app.services.ingest import responses
from survey_app.services.ingest.ratelimit import hit, retry_after

bp = Blueprint("api", __name__)
csrf.exempt(bp)

Reply = tuple[WerkzeugResponse, int]
BUSY_RETRY_SECONDS = 5


def _error(status: int, message: str, errors: dict[str, Any] | None = None) -> Reply:
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = {k: str(v) for k, v in errors.items()}
    resp = jsonify(body)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="sipas"'
    return resp, status


@bp.post("/api/v1/responses")
def create_response() -> Reply:
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    counter = org.counter_by_token(token)
    if counter is None:
        return _error(401, _("Thiếu hoặc sai mã quầy (Authorization: Bearer <token>)."))
    if not hit("api", counter.counter_id):
        resp, status = _error(429, _("Quá nhiều yêu cầu; vui lòng thử lại sau."))
        resp.headers["Retry-After"] = str(retry_after("api", counter.counter_id))
        return resp, status
    try:
        body = bodies.parse()
    except bodies.BadBody as bad:
        return _error(400, bad.message, bad.errors)
    q_id = body.get("questionnaire") or counter.questionnaire_id
    try:
        q = get_questionnaire(q_id)
    except KeyError:
        return _error(
            400, _("Dữ liệu không hợp lệ."), {"questionnaire": _("Phiên bản phiếu không tồn tại.")}
        )
    sub = responses.Submission(
        answers=body["answers"],
        procedure=body.get("procedure_code"),
        channel=body.get("channel"),
        comment=body.get("comment"),
        transaction_ref=body.get("transaction_ref"),
        idempotency_key=body.get("idempotency_key"),
        source=body.get("source") or "api",
    )
    try:
        stored = responses.submit(counter, q, sub)
    except responses.SubmissionError as exc:
        return _error(400, _("Dữ liệu không hợp lệ."), exc.errors)
    except responses.ReceiptReused:
        return _error(
            409,
            _("Số biên nhận này đã được dùng để đánh giá."),
            {"transaction_ref": _("Đã được dùng.")},
        )
    except responses.DatabaseBusy:
        resp, status = _error(
            503, _("Hệ thống đang bận; chưa lưu. Gửi lại sau ít giây (cùng idempotency_key).")
        )
        resp.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return resp, status
    return jsonify({"id": stored.response_id}), 201 if stored.created else 200


@bp.get("/api/v1/openapi.json")
def openapi() -> WerkzeugResponse:
    return jsonify(openapi_document())


@bp.get("/healthz")
def healthz() -> Reply:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - report any database failure as unhealthy
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200
