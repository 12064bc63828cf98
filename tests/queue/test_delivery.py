"""Alert deliveries for real: a local SMTP server (aiosmtpd) and a local HTTP receiver.

- The e-mail arrives with the right counter and item texts; the webhook's JSON body verifies
  against its ``X-Sipas-Signature`` with the webhook's secret.
- With the SMTP server stopped the delivery is retried by the queue (huey's retries, worked
  by a thread here) and arrives — once — after the server is started.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import Delivery
from survey_app.services import alerts, org
from survey_app.services.alerts import delivery as deliveries
from survey_app.services.ingest.responses import Submission, submit

from ..factories import make_counter, make_unit, make_user, seed_questionnaires, token_of
from ..queue_helpers import InlineWorker
from .processes import HOST, free_port

LOW = {"A1": 1, "A2": 4, "C1": 2}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return {
        "QUEUE_IMMEDIATE": True,
        "MAIL_SERVER": HOST,
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT_SECONDS": 2,
        "DELIVERY_RETRY_SECONDS": 1,
    }


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.got = []
    server = ThreadingHTTPServer((HOST, 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    seed_questionnaires()
    unit = make_unit("U1", "Trung tâm thử")
    counter = make_counter(unit, "Q7", "Quầy đất đai")
    make_counter(unit, "Q8", "Quầy khác")
    head = make_user("truong", "unit_head", unit)
    alerts.save_rule(
        head, unit.id, alerts.RuleInput(kind="low_share", active=True, emails="truong@ubnd.vn")
    )
    return {"unit": unit, "counter": counter, "head": head}


def five_low(counter: Any) -> None:
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    for _ in range(5):
        submit(info, forms.get("sipas-2024-dv"), Submission(answers=LOW))


def test_the_alert_e_mail_and_the_signed_webhook_arrive(
    app: Flask, world: dict[str, Any], smtp_port: int, receiver: str
) -> None:
    _hook, secret = alerts.add_webhook(world["head"], world["unit"].id, receiver)
    inbox = Inbox()
    controller = Controller(inbox, hostname=HOST, port=smtp_port)
    controller.start()
    try:
        five_low(world["counter"])
    finally:
        controller.stop()
    (mail,) = inbox.messages
    assert mail["To"] == "truong@ubnd.vn"
    assert "Quầy đất đai (Q7)" in mail["Subject"]
    text = mail.get_content()  # type: ignore[attr-defined]
    assert "5 trên 5 phản hồi" in text and "100.0 %" in text
    a1 = forms.get("sipas-2024-dv").item("A1").text.vi
    assert f"- A1: {a1} (5)" in text and "- C1:" in text and "A2" not in text

    ((headers, body),) = Receiver.got
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Sipas-Signature"] == expected
    assert not hmac.compare_digest(
        headers["X-Sipas-Signature"], deliveries.signature("another-secret", body)
    )
    data = json.loads(body)
    assert data["counter"] == {"code": "Q7", "name": "Quầy đất đai"}
    assert data["kind"] == "low_share" and data["details"]["n"] == 5
    assert [i["code"] for i in data["items"]] == ["A1", "C1"]
    sent = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert [(d.channel, d.status, d.attempts) for d in sent] == [
        ("email", "sent", 1),
        ("webhook", "sent", 1),
    ]


def test_with_the_mail_server_down_the_e_mail_waits_and_arrives_once_it_is_up(
    app: Flask, world: dict[str, Any], smtp_port: int
) -> None:
    with InlineWorker(app) as worker:
        five_low(world["counter"])  # nobody listens on smtp_port yet
        assert worker.wait_idle(20)

        def row() -> Delivery:
            db.session.expire_all()
            found = db.session.scalars(select(Delivery)).one()
            return found

        deadline = time.monotonic() + 20
        while row().attempts < 2:  # tried, failed, retried after 1 s, failed again
            assert time.monotonic() < deadline, row().last_error
            time.sleep(0.1)
        assert row().status == "pending" and "Connection refused" in (row().last_error or "")
        inbox = Inbox()
        controller = Controller(inbox, hostname=HOST, port=smtp_port)
        controller.start()
        try:
            deadline = time.monotonic() + 30  # the next retry: 4 s, then 8 s
            while row().status != "sent":
                assert time.monotonic() < deadline, (row().status, row().last_error)
                time.sleep(0.1)
            assert worker.wait_idle(20)
        finally:
            controller.stop()
    assert len(inbox.messages) == 1  # once
    assert row().attempts >= 3


def test_a_failed_delivery_is_sent_again_from_the_log(
    app: Flask, world: dict[str, Any], smtp_port: int
) -> None:
    app.config["DELIVERY_TRIES"] = 1  # the one try fails at once: failed
    five_low(world["counter"])
    failed = db.session.scalars(select(Delivery)).one()
    assert failed.status == "failed" and failed.last_error
    inbox = Inbox()
    controller = Controller(inbox, hostname=HOST, port=smtp_port)
    controller.start()
    try:
        deliveries.send_again(world["head"], failed)
    finally:
        controller.stop()
    db.session.expire_all()
    assert db.session.get(Delivery, failed.id).status == "sent"  # type: ignore[union-attr]
    assert len(inbox.messages) == 1
