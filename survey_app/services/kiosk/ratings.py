"""What a counter tablet sends: a rating stored through ``ingest.responses.submit``.

Source ``kiosk``, the device's id, the idempotency key the tablet made (required: a queued
rating sent twice is stored once), the moment it was given (a rating queued offline keeps
its own time, within :data:`MAX_AGE`), and, when the citizen typed a dossier code on the
keypad, the dossier (:func:`dossier_for_code`) — a verified response.

**A code that cannot be used never loses the rating**: it is stored as an open one and the
tablet says, neutrally, that the code could not be used — the same words whether the code is
unknown, of another unit, already answered, or lost a race with another answer of the same
dossier (the unique ``responses.dossier_id``): nothing is revealed about which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from flask_babel import lazy_gettext as _l

import forms
from forms import Questionnaire
from survey_app.extensions import db
from survey_app.models import KioskDevice, Response
from survey_app.services.dossiers import invitations
from survey_app.services.ingest import ratelimit, responses
from survey_app.services.org import CounterInfo

MAX_AGE = timedelta(days=7)  # an older queued rating is stored with the time it arrives
CLOCK_SKEW = timedelta(minutes=5)
CODE_MAX = 60

DossierState = Literal["verified", "not_used"]
NO_KEY = _l("Thiếu mã chống gửi trùng.")


def allowed(device: KioskDevice) -> bool:
    """Count one rating against the tablet's own allowance (``RATELIMIT_KIOSK``)."""
    return ratelimit.allow("RATELIMIT_KIOSK", "kiosk", str(device.id))


def counter_info(device: KioskDevice) -> CounterInfo:
    """The counter's details for storing a rating (the device row read them already; a
    tablet does not depend on the counter's QR token, which may be revoked or rotated)."""
    counter, unit = device.counter, device.counter.unit
    return CounterInfo(
        counter.id,
        counter.code,
        counter.name,
        unit.id,
        unit.code,
        unit.name,
        unit.place_name,
        unit.questionnaire_id,
        unit.target_group,
        unit.form_start,
        procedures=(),
    )


def questionnaire(info: CounterInfo) -> Questionnaire:
    """The kiosk's questionnaire: the quick one unless the unit's ``form_start`` is
    ``day_du`` (its own questionnaire at once), as for its QR cards."""
    return responses.public_form(info, wants_more=False).questionnaire


def accepted_questionnaire(info: CounterInfo, wanted: object) -> Questionnaire:
    """The questionnaire a rating was given on: the one the tablet names when it is the
    quick one or the unit's own (a tablet may hold a rating made before the unit's setting
    changed), else the kiosk's current one."""
    if isinstance(wanted, str) and wanted in (forms.QUICK_VERSION, info.questionnaire_id):
        return forms.get(wanted)
    return questionnaire(info)


def dossier_for_code(counter: CounterInfo, code: str) -> responses.Verified | None:
    """What a typed code verifies a rating for, or ``None``: the same rule as "Tôi có mã hồ
    sơ" on the counter's form (:func:`.invitations.find_for_counter` — a dossier received in
    the counter's unit subtree, not yet rated, its invitation neither revoked nor expired).
    The rating belongs to this tablet's counter, with the dossier's procedure."""
    if not code or len(code) > CODE_MAX:
        return None
    link = invitations.find_for_counter(code, counter)
    if link is None:
        return None
    verified = invitations.context(link.invitation).verified
    return replace(verified, counter_id=counter.counter_id)


def _moment(raw: object) -> datetime | None:
    """When the rating was given, if the tablet says so believably (ISO 8601 with a zone,
    not in the future, not older than :data:`MAX_AGE`); else ``None`` (now)."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    now = datetime.now(UTC)
    if moment > now + CLOCK_SKEW or moment < now - MAX_AGE:
        return None
    return min(moment.astimezone(UTC), now)


@dataclass(frozen=True)
class Rating:
    """What the tablet sent (already parsed from JSON; checked here and by ``submit``)."""

    answers: Mapping[str, Any]
    idempotency_key: str
    comment: str | None = None
    questionnaire: str | None = None
    submitted_at: str | None = None
    dossier_code: str | None = None


@dataclass(frozen=True)
class Result:
    response_id: int
    created: bool
    dossier: DossierState | None  # None: no code was typed


def submit(device: KioskDevice, info: CounterInfo, rating: Rating) -> Result:
    """Store one rating (raises ``responses.SubmissionError`` / ``DatabaseBusy``)."""
    if not rating.idempotency_key:
        raise responses.SubmissionError({"idempotency_key": NO_KEY})
    q = accepted_questionnaire(info, rating.questionnaire)
    verified = dossier_for_code(info, rating.dossier_code) if rating.dossier_code else None
    sub = responses.Submission(
        answers=rating.answers,
        comment=rating.comment,
        idempotency_key=rating.idempotency_key,
        source="kiosk",
        submitted_at=_moment(rating.submitted_at),
        device_id=device.id,
    )
    try:
        stored = responses.submit(info, q, sub, verified)
    except responses.AlreadyRated:
        # Another answer took the dossier meanwhile: keep this rating as an open one.
        db.session.rollback()
        stored = responses.submit(info, q, sub)
        verified = None
    if not rating.dossier_code:
        return Result(stored.response_id, stored.created, None)
    if not stored.created:  # a resend: say what the first sending stored
        first = db.session.get(Response, stored.response_id)
        was_verified = first is not None and first.dossier_id is not None
        return Result(stored.response_id, False, "verified" if was_verified else "not_used")
    return Result(stored.response_id, True, "not_used" if verified is None else "verified")


def kiosk_config(
    device: KioskDevice, info: CounterInfo, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """What the kiosk page draws: the counter, the questionnaire (both languages) and its
    timings. Cached on the tablet, so a reload while offline still draws it."""
    q = questionnaire(info)
    place = info.place_name or info.unit_name
    items = []
    for section in q.sections:
        for item in section.items:
            items.append(
                {
                    "code": item.code,
                    "kind": str(section.kind),
                    "faces": item.scale.code == "hai_long_5",
                    "section": {"vi": section.title.vi, "en": section.title.en},
                    "text": {
                        "vi": item.text.vi.replace("{place}", place),
                        "en": item.text.en.replace("{place}", place),
                    },
                    "options": [
                        {"value": o.value, "label": {"vi": o.label.vi, "en": o.label.en}}
                        for o in item.scale.options
                    ],
                }
            )
    return {
        "device": {"id": device.id, "name": device.name},
        "counter": {"code": info.counter_code, "name": info.counter_name},
        "unit": {"code": info.unit_code, "name": info.unit_name, "place": place},
        "questionnaire": {
            "id": q.id,
            "title": {"vi": q.title.vi, "en": q.title.en},
            "items": items,
        },
        "interval": int(settings["KIOSK_RESPONSE_INTERVAL_SECONDS"]),
        "idle": int(settings["KIOSK_IDLE_SECONDS"]),
        "thanks": int(settings["KIOSK_THANKS_SECONDS"]),
        "heartbeat": 60,
        "comment_max": int(settings["MAX_COMMENT_LENGTH"]),
    }
