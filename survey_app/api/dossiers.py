"""``/api/v1/dossiers``: source systems send dossiers and read one back, authenticated by an
integration key (``Authorization: Bearer sipk_…``), never a counter token.

Order of the checks of a POST: the key (401), the body's size and the number of dossiers
(413, before any row is read), every row (400 naming each bad row and field; 403 when one
names a unit outside the key's subtree); then the upsert, all or nothing. A GET answers the
stored fields and whether the dossier was invited and answered — never the answers.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import exists, select

from survey_app.api.bodies import MAX_DEPTH, _depth
from survey_app.api.views import Reply, _error, bp
from survey_app.extensions import db
from survey_app.models import Dossier, IntegrationKey, Invitation, Response
from survey_app.services.clock import today_local
from survey_app.services.dossiers import ingest, keys
from survey_app.services.dossiers.rules import normalise_code, timing

ROW_BYTES = 2048  # body bytes allowed per dossier (a dossier is about 400)
RETRY_AFTER_SECONDS = 5


def _key() -> IntegrationKey | None:
    auth = request.headers.get("Authorization", "")
    raw = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    return keys.authenticate(raw) if raw else None


def _unauthorised() -> Reply:
    return _error(
        401, _("Thiếu, sai hoặc đã thu hồi khoá tích hợp (Authorization: Bearer sipk_…).")
    )


def _refused(status: int, message: str, refused: ingest.DossiersRefused) -> Reply:
    errors = {
        f"dossiers[{p.line}].{p.column}" if p.column else f"dossiers[{p.line}]": p.message
        for p in refused.problems
    }
    body: dict[str, Any] = {"error": message, "errors": errors}
    if refused.more:
        body["more"] = refused.more
    return jsonify(body), status


@bp.post("/api/v1/dossiers")
def send_dossiers() -> Reply:
    key = _key()
    if key is None:
        return _unauthorised()
    most = int(current_app.config["DOSSIER_BATCH_MAX"])
    limit = max(64 * 1024, most * ROW_BYTES)
    if (request.content_length or 0) > limit:
        return _error(
            413,
            _(
                "Nội dung lớn quá %(kb)s KB; gửi tối đa %(n)s hồ sơ mỗi lần.",
                kb=limit // 1024,
                n=most,
            ),
        )
    request.max_content_length = limit
    not_object = _('Nội dung phải là đối tượng JSON {"dossiers": [...]}.')
    if not request.is_json:
        return _error(400, not_object)
    try:
        body = json.loads(request.get_data(cache=False))
    except RecursionError:
        return _error(400, _("Nội dung JSON lồng nhau quá sâu."))
    except ValueError:
        return _error(400, not_object)
    if not isinstance(body, dict) or not isinstance(body.get("dossiers"), list):
        return _error(400, not_object)
    if _depth(body) > MAX_DEPTH:
        return _error(400, _("Nội dung JSON lồng nhau quá sâu."))
    rows = body["dossiers"]
    if len(rows) > most:
        return _error(
            413,
            _(
                "Gửi %(got)s hồ sơ trong một lần; tối đa %(n)s. Hãy chia thành nhiều lần gửi.",
                got=len(rows),
                n=most,
            ),
        )
    try:
        result = ingest.ingest(enumerate(rows), allowed=keys.unit_ids(key))
    except ingest.OutsideUnits as refused:
        return _refused(
            403,
            _("Có hồ sơ của đơn vị nằm ngoài phạm vi của khoá này; không lưu hồ sơ nào."),
            refused,
        )
    except ingest.DossiersRefused as refused:
        return _refused(
            400,
            _("%(n)s lỗi trong các hồ sơ gửi lên; không lưu hồ sơ nào.", n=refused.total),
            refused,
        )
    except ingest.DatabaseBusy:
        resp, status = _error(503, _("Hệ thống đang bận; chưa lưu. Gửi lại sau ít giây."))
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return resp, status
    return jsonify(result.counts()), 200


def _moment(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.get("/api/v1/dossiers/<code>")
def read_dossier(code: str) -> Reply:
    key = _key()
    if key is None:
        return _unauthorised()
    found = db.session.scalar(select(Dossier).where(Dossier.code == normalise_code(code)[:60]))
    units = keys.unit_ids(key)
    if (
        found is None
        or found.receiving_unit_id not in units
        or found.resolving_unit_id not in units
    ):
        return _error(404, _("Không có hồ sơ mã này trong các đơn vị của khoá."))
    invited = db.session.scalar(select(exists().where(Invitation.dossier_id == found.id)))
    answered = db.session.scalar(select(exists().where(Response.dossier_id == found.id)))
    return jsonify(
        {
            "code": found.code,
            "procedure_code": found.procedure_code,
            "receiving_unit": found.receiving_unit.code,
            "receiving_counter": found.receiving_counter.code if found.receiving_counter else None,
            "resolving_unit": found.resolving_unit.code,
            "channel": found.channel,
            "received_at": _moment(found.received_at),
            "due_date": found.due_date.isoformat(),
            "returned_at": _moment(found.returned_at),
            "outcome": found.outcome,
            "supplements": found.supplements,
            "apology_sent": found.apology_sent,
            "timing": timing(found.due_date, found.returned_at, today_local()),
            "changed_at": _moment(found.changed_at),
            "invited": bool(invited),
            "answered": bool(answered),
        }
    ), 200
