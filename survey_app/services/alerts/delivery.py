"""Sending an alert: e-mail (SMTP settings ``MAIL_*``) and webhooks (JSON body signed with
the webhook's secret: ``X-Sipas-Signature: sha256=<hex HMAC-SHA256 of the body>``).

:func:`send` is the queue's ``alerts.deliver`` task: one attempt, recorded on the
:class:`~survey_app.models.Delivery` row (attempts, last error); a failure raises so that the
queue tries again later with a growing delay (``DELIVERY_TRIES`` tries, the first retry after
``DELIVERY_RETRY_SECONDS``, each delay twice the one before: with the defaults 7 tries over
63 minutes). A mail server or receiver that is down loses nothing: the delivery waits.
:func:`sweep` (every 5 minutes) queues deliveries that were never queued (the queue was down
when the alert fired); :func:`send_again` is the log page's button. A digest's e-mails
(:mod:`survey_app.services.digests`) are deliveries too, sent, retried and logged the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.request
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app
from sqlalchemy import false, or_, select

import forms
from survey_app.extensions import db
from survey_app.models import Alert, Delivery, DigestMail, User
from survey_app.models.base import utcnow
from survey_app.services import queue
from survey_app.services.org import audit

SIGNATURE_HEADER = "X-Sipas-Signature"
ERROR_LENGTH = 500
KIND_NAMES = {
    "low_share": "Tỉ lệ đánh giá thấp cao",
    "integrity": "Phản ánh về liêm chính (Q5/Q6)",
    "silent": "Máy tính bảng tại quầy im lặng trong giờ làm việc",
    "complaint_head": "Phản ánh chưa có người nhận xử lý",
    "complaint_office": "Phản ánh quá hạn trả lời",
}


class DeliveryFailed(Exception):  # noqa: N818 - a state the queue retries
    """This attempt failed; the row says why."""


class NotConfigured(DeliveryFailed):
    """No mail server is set: no retry would help (the row is failed at once)."""


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _item_text(code: str) -> str:
    for questionnaire in forms.load_all().values():
        for section in questionnaire.sections:
            for item in section.items:
                if item.code == code:
                    return item.text.vi
    return code


def payload(alert: Alert) -> dict[str, Any]:
    """What an alert says, for a machine (the webhook's body) and for the e-mail."""
    details = dict(alert.details or {})
    items = details.pop("items", {}) or {}
    base = str(current_app.config.get("BASE_URL") or "").rstrip("/")
    return {
        "alert_id": alert.id,
        "kind": alert.kind,
        "kind_text": KIND_NAMES.get(alert.kind, alert.kind),
        "fired_at": alert.fired_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "unit": {"code": alert.unit.code, "name": alert.unit.name},
        "counter": (
            {"code": alert.counter.code, "name": alert.counter.name} if alert.counter else None
        ),
        "details": details,
        "items": [
            {"code": code, "text": _item_text(code), "count_or_answer": value}
            for code, value in items.items()
        ],
        "url": f"{base}/canh-bao",
    }


def email_message(alert: Alert, to: str) -> EmailMessage:
    data = payload(alert)
    counter = data["counter"]
    where = f"{data['unit']['name']}" + (
        f", quầy {counter['name']} ({counter['code']})" if counter else ""
    )
    message = EmailMessage()
    message["Subject"] = f"[SIPAS] {data['kind_text']}: {where}"
    message["From"] = str(current_app.config.get("MAIL_FROM") or "sipas@localhost")
    message["To"] = to
    message["Message-ID"] = make_msgid("sipas-alert")
    lines = [f"Cảnh báo: {data['kind_text']}", f"Nơi: {where}", f"Lúc: {data['fired_at']} (UTC)"]
    details = data["details"]
    if alert.kind == "silent":
        lines.append(
            f"Máy tính bảng không gửi tín hiệu quá {details.get('minutes')} phút trong giờ "
            "làm việc:"
        )
        lines += [
            f"- {d.get('name')}: im lặng từ {d.get('since')} ({d.get('silent_minutes')} phút)"
            for d in details.get("devices", [])
        ]
    elif alert.kind == "low_share":
        lines.append(
            f"{details.get('low')} trên {details.get('n')} phản hồi trong "
            f"{details.get('window')} phút qua có đánh giá 1–2 ({details.get('share')} %, "
            f"ngưỡng {details.get('threshold')} %)."
        )
        lines.append("Các câu bị đánh giá thấp (số lượt):")
    elif alert.kind in ("complaint_head", "complaint_office"):
        kind = "về thái độ cán bộ" if details.get("kind") == "thai_do" else "về phục vụ"
        number = details.get("complaint")
        lines.append(f"Phản ánh số {number} ({kind}), hạn trả lời {details.get('due')}.")
        base = data["url"].removesuffix("/canh-bao")
        lines += ["", f"Xem phản ánh: {base}/phan-anh/{number}"]
    else:
        lines.append("Câu trả lời:")
    if alert.kind != "silent":
        lines += [f"- {i['code']}: {i['text']} ({i['count_or_answer']})" for i in data["items"]]
    lines += ["", f"Xem và xác nhận đã xem: {data['url']}"]
    message.set_content("\n".join(lines))
    return message


def digest_message(digest: DigestMail, to: str) -> EmailMessage:
    """A digest's e-mail: the text written when it was due (the same when sent again)."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = str(current_app.config.get("MAIL_FROM") or "sipas@localhost")
    message["To"] = to
    message["Message-ID"] = make_msgid("sipas-digest")
    message.set_content(digest.body)
    return message


def _send_email(delivery: Delivery) -> None:
    if delivery.digest is not None:
        send_message(digest_message(delivery.digest, delivery.target))
        return
    assert delivery.alert is not None
    send_message(email_message(delivery.alert, delivery.target))


def send_message(message: EmailMessage) -> None:
    """Send one e-mail through the configured SMTP server (raises on any failure)."""
    config = current_app.config
    host = str(config.get("MAIL_SERVER") or "")
    if not host:
        raise NotConfigured("SIPAS_MAIL_SERVER chưa được đặt")
    port = int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT_SECONDS") or 10)
    smtp: smtplib.SMTP
    if config.get("MAIL_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config.get("MAIL_STARTTLS") and not config.get("MAIL_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
        smtp.send_message(message)


def _send_webhook(delivery: Delivery) -> None:
    hook = delivery.webhook
    if hook is None or not hook.active or delivery.alert is None:
        raise DeliveryFailed("webhook đã bị xoá hoặc ngừng")
    body = json.dumps(payload(delivery.alert), ensure_ascii=False, sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 - an https/http URL checked when it was set
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "sipas-alerts",
            SIGNATURE_HEADER: signature(hook.secret, body),
            "X-Sipas-Delivery": str(delivery.id),
        },
    )
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS") or 10)
    with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
        if not 200 <= resp.status < 300:
            raise DeliveryFailed(f"HTTP {resp.status}")


def send(delivery_id: int) -> None:
    """One attempt; raises :class:`DeliveryFailed` (the queue retries) while tries remain."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return
    tries = int(current_app.config.get("DELIVERY_TRIES") or 7)
    try:
        if delivery.channel == "email":
            _send_email(delivery)
        else:
            _send_webhook(delivery)
    except Exception as exc:
        db.session.rollback()
        delivery = db.session.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        last = delivery.attempts >= tries or isinstance(exc, NotConfigured)
        delivery.status = "failed" if last else "pending"
        db.session.commit()
        if not last:
            raise DeliveryFailed(delivery.last_error) from exc
        return
    delivery.attempts += 1
    delivery.status = "sent"
    delivery.sent_at = utcnow()
    db.session.commit()


def sweep() -> int:
    """Queue the deliveries never tried (the queue was away when their alert fired)."""
    since = utcnow() - timedelta(minutes=2)
    ids = db.session.scalars(
        select(Delivery.id).where(
            Delivery.status == "pending", Delivery.attempts == 0, Delivery.created_at < since
        )
    ).all()
    for delivery_id in ids:
        queue.enqueue_quietly("alerts.deliver", delivery_id)
    return len(ids)


def log(unit_ids: set[int] | None, limit: int = 200) -> list[Delivery]:
    """The newest deliveries, of alerts and of digests, of these units (``None``: all)."""
    query = (
        select(Delivery)
        .outerjoin(Alert, Alert.id == Delivery.alert_id)
        .outerjoin(DigestMail, DigestMail.id == Delivery.digest_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if unit_ids is not None:
        query = query.where(
            or_(Alert.unit_id.in_(unit_ids), DigestMail.unit_id.in_(unit_ids))
            if unit_ids
            else false()
        )
    return list(db.session.scalars(query))


def send_again(actor: User, delivery: Delivery) -> None:
    """The log page's button: the delivery is tried again from the start."""
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status = "pending"
    delivery.attempts = 0
    audit.record(actor, "delivery.resend", "delivery", delivery.id, before, {"status": "pending"})
    db.session.commit()
    queue.enqueue("alerts.deliver", delivery.id)
