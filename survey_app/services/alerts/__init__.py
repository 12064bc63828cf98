"""Alert rules and alerts (issue 16): evaluated as responses arrive, acknowledged by people.

- ``low_share``: at a counter, the share of responses with a low rating (1 or 2 on any
  satisfaction item) over the last ``window_minutes`` reaches ``threshold_percent`` with at
  least ``min_responses`` responses (defaults 40 %, 60 minutes, 5).
- ``integrity``: any answer 2 or 3 to Q5 or Q6 (harassment, informal payment). Seen by the
  unit's inspectors (``VIEW_INTEGRITY``) only — never by the counter's staff or the unit head
  — and sent by e-mail to the rule's addresses only, never to the unit's webhooks.
- ``silent``: a counter tablet silent longer than ``window_minutes`` (default the setting
  ``KIOSK_SILENT_MINUTES``) during its unit's opening hours — evaluated every few minutes by
  :mod:`survey_app.services.kiosk.silence` (the queue's ``kiosk.silent``), which calls
  :func:`fire`.

:func:`evaluate` runs on the queue (``alerts.evaluate``, enqueued by the response service
after its commit). A rule fires at most once per window per counter: no alert of the rule
and counter within the last window, and the unique (rule, counter, slot) refuses a racing
second one. A fired alert gets one :class:`~survey_app.models.Delivery` per address and
webhook, sent by :mod:`.delivery` through the queue.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

import forms
from forms.model import SectionKind
from survey_app.extensions import db
from survey_app.models import Alert, AlertRule, Delivery, Response, Unit, User, Webhook
from survey_app.models.alerts import RULE_KINDS
from survey_app.models.base import utcnow
from survey_app.services import queue
from survey_app.services.access.capabilities import Capability, can, roles_with
from survey_app.services.access.scope import role_unit_ids, visible_unit_ids
from survey_app.services.errors import InputError
from survey_app.services.org import audit, subtree_ids

log = logging.getLogger(__name__)

# Escalations of complaints (services.complaints.deadlines): addressed through the unit's
# ``digest`` rule (its unit heads) or ``digest_weekly`` rule (the office) — of the unit or
# the nearest unit above that has one. Seen by roles that see conduct complaints only.
ESCALATION_KINDS = ("complaint_head", "complaint_office")
EVALUATE = "alerts.evaluate"
DELIVER = "alerts.deliver"
DEFAULTS = {"threshold_percent": 40.0, "window_minutes": 60, "min_responses": 5}
LOW = (1, 2)
INTEGRITY_BAD = (2, 3)


class RuleError(InputError):
    """A rule's settings that cannot work (the message says which, in Vietnamese)."""


# --- rules ------------------------------------------------------------------------------------


def rules_of(unit_id: int) -> dict[str, AlertRule | None]:
    found = {
        r.kind: r for r in db.session.scalars(select(AlertRule).where(AlertRule.unit_id == unit_id))
    }
    return {kind: found.get(kind) for kind in RULE_KINDS}


@dataclass(frozen=True)
class RuleInput:
    kind: str
    active: bool
    threshold_percent: float = 40.0
    window_minutes: int = 60
    min_responses: int = 5
    emails: str = ""


def _check(data: RuleInput) -> None:
    if data.kind not in RULE_KINDS:
        raise RuleError(_("Loại cảnh báo không hợp lệ."))
    if not 0 < data.threshold_percent <= 100:
        raise RuleError(_("Ngưỡng phải là một số phần trăm lớn hơn 0 và không quá 100."))
    if not 1 <= data.window_minutes <= 24 * 60:
        raise RuleError(_("Khoảng thời gian phải từ 1 đến 1440 phút."))
    if not 1 <= data.min_responses <= 10_000:
        raise RuleError(_("Số phản hồi tối thiểu phải từ 1 đến 10000."))
    for address in _emails(data.emails):
        local, at, domain = address.partition("@")
        if not (local and at and "." in domain) or len(address) > 254 or " " in address:
            raise RuleError(_("Địa chỉ e-mail không hợp lệ: %(address)s", address=address))


def _emails(text: str) -> list[str]:
    return [e.strip() for e in text.replace(",", "\n").splitlines() if e.strip()]


def save_rule(actor: User, unit_id: int, data: RuleInput) -> AlertRule:
    """Create or change the unit's rule of this kind, audited in the same transaction."""
    _check(data)
    rule = rules_of(unit_id)[data.kind]
    before = _rule_dict(rule) if rule is not None else None
    if rule is None:
        rule = AlertRule(unit_id=unit_id, kind=data.kind)
        db.session.add(rule)
    rule.active = data.active
    rule.threshold_percent = float(data.threshold_percent)
    rule.window_minutes = int(data.window_minutes)
    rule.min_responses = int(data.min_responses)
    rule.emails = "\n".join(_emails(data.emails))
    rule.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "alert_rule.save", "unit", unit_id, before, _rule_dict(rule))
    db.session.commit()
    return rule


def _rule_dict(rule: AlertRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "active": rule.active,
        "threshold_percent": rule.threshold_percent,
        "window_minutes": rule.window_minutes,
        "min_responses": rule.min_responses,
        "emails": len(rule.email_list),  # how many addresses; the log keeps no address
    }


def add_webhook(actor: User, unit_id: int, url: str) -> tuple[Webhook, str]:
    """A webhook for the unit; returns it and its secret (shown once)."""
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url:
        raise RuleError(_("Địa chỉ webhook phải bắt đầu bằng https:// (hoặc http://)."))
    secret = secrets.token_hex(24)
    hook = Webhook(unit_id=unit_id, url=url, secret=secret, active=True)
    db.session.add(hook)
    db.session.flush()
    audit.record(actor, "webhook.add", "unit", unit_id, None, {"webhook": hook.id})
    db.session.commit()
    return hook, secret


def webhooks_of(unit_id: int) -> list[Webhook]:
    return list(
        db.session.scalars(select(Webhook).where(Webhook.unit_id == unit_id).order_by(Webhook.id))
    )


# --- evaluation ---------------------------------------------------------------------------


def _codes(questionnaire_id: str, kind: SectionKind) -> tuple[str, ...]:
    try:
        return forms.get(questionnaire_id).codes_of(kind)
    except KeyError:
        return ()


def _slot(moment: datetime, minutes: int) -> int:
    return int(moment.timestamp() // (minutes * 60))


def evaluate(response_id: int, now: datetime | None = None) -> list[Alert]:
    """Evaluate the active rules of a new response's unit; returns the alerts fired."""
    response = db.session.get(Response, response_id)
    if response is None:
        return []
    now = now or utcnow()
    rules = db.session.scalars(
        select(AlertRule).where(AlertRule.unit_id == response.unit_id, AlertRule.active.is_(True))
    ).all()
    fired = []
    for rule in rules:
        details: dict[str, Any] | None = None
        if rule.kind == "low_share" and response.counter_id is not None:
            details = _low_share(rule, response, now)
        elif rule.kind == "integrity":
            codes = _codes(response.questionnaire_id, SectionKind.INTEGRITY)
            bad = {c: v for c, v in (response.answers or {}).items() if c in codes}
            bad = {c: v for c, v in bad.items() if v in INTEGRITY_BAD}
            if bad:
                details = {"items": bad, "window": rule.window_minutes}
        if details is not None:
            alert = _fire(rule, response, now, details)
            if alert is not None:
                fired.append(alert)
    return fired


def _low_share(rule: AlertRule, response: Response, now: datetime) -> dict[str, Any] | None:
    since = now - timedelta(minutes=rule.window_minutes)
    rows = db.session.execute(
        select(Response.questionnaire_id, Response.answers).where(
            Response.counter_id == response.counter_id,
            Response.submitted_at >= since,
            Response.submitted_at <= now,
        )
    ).all()
    n = len(rows)
    if n < rule.min_responses:
        return None
    low = 0
    items: dict[str, int] = {}
    for questionnaire_id, answers in rows:
        codes = _codes(questionnaire_id, SectionKind.FACTOR)
        lows = [c for c, v in (answers or {}).items() if c in codes and v in LOW]
        if lows:
            low += 1
        for code in lows:
            items[code] = items.get(code, 0) + 1
    share = 100.0 * low / n
    if share < rule.threshold_percent:
        return None
    return {
        "n": n,
        "low": low,
        "share": round(share, 1),
        "threshold": rule.threshold_percent,
        "window": rule.window_minutes,
        "items": dict(sorted(items.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _fire(
    rule: AlertRule, response: Response, now: datetime, details: dict[str, Any]
) -> Alert | None:
    return fire(rule, response.unit_id, response.counter_id, now, details)


def fire(
    rule: AlertRule, unit_id: int, counter_id: int | None, now: datetime, details: dict[str, Any]
) -> Alert | None:
    """Fire the rule for this counter (``None``: the unit), unless it fired within its
    window; the alert's deliveries are queued. ``None`` when it did not fire."""
    since = now - timedelta(minutes=rule.window_minutes)
    counter = Alert.counter_id.is_(None) if counter_id is None else (Alert.counter_id == counter_id)
    recent = db.session.scalar(
        select(Alert.id).where(Alert.rule_id == rule.id, counter, Alert.fired_at > since).limit(1)
    )
    if recent is not None:
        return None  # once per window per counter
    alert = Alert(
        rule_id=rule.id,
        unit_id=unit_id,
        counter_id=counter_id,
        kind=rule.kind,
        slot=_slot(now, rule.window_minutes),
        fired_at=now,
        details=details,
    )
    db.session.add(alert)
    try:
        db.session.flush()
    except IntegrityError:  # another worker fired it in this window
        db.session.rollback()
        return None
    deliveries = [Delivery(alert_id=alert.id, channel="email", target=a) for a in rule.email_list]
    if rule.kind != "integrity":  # integrity: the inspectors' addresses only, never a relay
        deliveries += [
            Delivery(alert_id=alert.id, channel="webhook", target=h.url, webhook_id=h.id)
            for h in webhooks_of(rule.unit_id)
            if h.active
        ]
    db.session.add_all(deliveries)
    db.session.commit()
    for delivery in deliveries:
        queue.enqueue_quietly(DELIVER, delivery.id)  # the periodic sweep sends what is missed
    return alert


def _rule_above(unit_id: int, kind: str) -> AlertRule:
    """The ``kind`` rule of the unit or the nearest unit above with one (created inactive and
    without addresses at the unit when there is none: the alert is still shown)."""
    current: int | None = unit_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        rule = rules_of(current)[kind]
        if rule is not None:
            return rule
        unit = db.session.get(Unit, current)
        current = unit.parent_id if unit is not None else None
    rule = AlertRule(unit_id=unit_id, kind=kind, active=False, emails="")
    db.session.add(rule)
    db.session.flush()
    return rule


def escalate(
    unit_id: int, kind: str, slot: int, now: datetime, details: dict[str, Any], relay: bool
) -> Alert:
    """An escalation alert (``kind`` in :data:`ESCALATION_KINDS`) with its deliveries: the
    e-mail addresses of the unit's ``digest`` (head) or ``digest_weekly`` (office) rule, and
    the unit's webhooks when ``relay`` (never for a conduct complaint). Not committed; the
    caller commits, then :func:`queue_deliveries`."""
    rule = _rule_above(unit_id, "digest" if kind == "complaint_head" else "digest_weekly")
    alert = Alert(
        rule_id=rule.id,
        unit_id=unit_id,
        counter_id=None,
        kind=kind,
        slot=slot,
        fired_at=now,
        details=details,
    )
    db.session.add(alert)
    db.session.flush()
    deliveries = [Delivery(alert_id=alert.id, channel="email", target=a) for a in rule.email_list]
    if relay:
        deliveries += [
            Delivery(alert_id=alert.id, channel="webhook", target=h.url, webhook_id=h.id)
            for h in webhooks_of(unit_id)
            if h.active
        ]
    db.session.add_all(deliveries)
    return alert


def queue_deliveries(alert: Alert) -> None:
    for row in db.session.scalars(select(Delivery.id).where(Delivery.alert_id == alert.id)):
        queue.enqueue_quietly(DELIVER, row)


# --- who sees which alert ---------------------------------------------------------------------


def visible_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Alert`: low-share alerts of the user's scope (staff limited
    to a counter: that counter's); integrity alerts only for ``VIEW_INTEGRITY`` roles, of the
    units below those roles."""
    if can(user, Capability.SEE_ALL_UNITS):
        return true()
    ids = visible_unit_ids(user) or set()
    whole = {a.unit_id for a in user.roles if a.unit_id is not None and a.counter_id is None}
    counters = [a.counter_id for a in user.roles if a.counter_id is not None]
    unit_wide = set(subtree_ids(list(whole))) & ids
    service = or_(
        Alert.unit_id.in_(unit_wide) if unit_wide else false(),
        Alert.counter_id.in_(counters) if counters else false(),
    )
    inspect_ids = role_unit_ids(user, roles_with(Capability.VIEW_INTEGRITY))
    integrity = Alert.unit_id.in_(inspect_ids) if inspect_ids else false()
    conduct_ids = role_unit_ids(user, roles_with(Capability.SEE_CONDUCT_COMPLAINTS))
    escalation = Alert.unit_id.in_(conduct_ids) if conduct_ids else false()
    special = ("integrity", *ESCALATION_KINDS)
    return or_(
        and_(Alert.kind.not_in(special), service),
        and_(Alert.kind == "integrity", integrity),
        and_(Alert.kind.in_(ESCALATION_KINDS), escalation),
    )


def unacknowledged(user: User, limit: int = 20) -> list[Alert]:
    return list(
        db.session.scalars(
            select(Alert)
            .where(visible_filter(user), Alert.acknowledged_at.is_(None))
            .order_by(Alert.fired_at.desc())
            .limit(limit)
        )
    )


def recent(user: User, limit: int = 100) -> list[Alert]:
    return list(
        db.session.scalars(
            select(Alert).where(visible_filter(user)).order_by(Alert.fired_at.desc()).limit(limit)
        )
    )


def visible(user: User, alert_id: int) -> Alert | None:
    return db.session.scalar(select(Alert).where(Alert.id == alert_id, visible_filter(user)))


def acknowledge(user: User, alert: Alert) -> bool:
    """Record who acknowledged the alert and when (once; False when it already was)."""
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = user.id
    audit.record(user, "alert.acknowledge", "alert", alert.id, None, {"alert": alert.id})
    db.session.commit()
    return True
