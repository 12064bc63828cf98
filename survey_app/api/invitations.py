"""``POST /api/v1/dossiers/{code}/invitation``: a dossier's single-use invitation for the
one-stop system's SMS or Zalo sender, authenticated by an integration key (never a counter
token) limited to a unit subtree."""

from __future__ import annotations

from datetime import UTC

from flask import jsonify, request
from flask_babel import gettext as _

from survey_app.api.views import Reply, _error, bp
from survey_app.extensions import db
from survey_app.services.dossiers import invitations, keys


@bp.post("/api/v1/dossiers/<path:code>/invitation")
def create_invitation(code: str) -> Reply:
    """201 with the new invitation's links, 200 with the same ones when the dossier has
    one; 401 without a live key, 404 for an unknown dossier, 403 for a dossier received
    outside the key's units."""
    auth = request.headers.get("Authorization", "")
    raw = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    key = keys.authenticate(raw) if raw else None
    if key is None:
        return _error(401, _("Thiếu hoặc sai khoá tích hợp (Authorization: Bearer sipk_…)."))
    dossier = invitations.by_code(code)
    if dossier is None:
        return _error(404, _("Không có hồ sơ mã này."))
    if dossier.receiving_unit_id not in keys.unit_ids(key):
        return _error(403, _("Hồ sơ được tiếp nhận ngoài các đơn vị của khoá tích hợp này."))
    link = invitations.issue(dossier)
    db.session.commit()
    body = {
        "url": link.url,
        "short_url": link.short_url,
        "expires_at": link.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return jsonify(body), 201 if link.created else 200
