"""The daily digest: a plain-Vietnamese e-mail through a real local SMTP server, with the
day's responses, SIPAS and its interval, low ratings with their item texts, complaints and
the tablets silent during opening hours; scheduled at 17:00 Vietnam time (10:00 UTC), the
weekly one Monday 08:00 (01:00 UTC). Each digest's e-mails are deliveries: in the log with
status and last error, retried, sent again from the log — the same text, once per period."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, g
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import AuditEntry, Delivery
from survey_app.services import alerts, digests, org, queue
from survey_app.services.clock import VN_TZ
from survey_app.services.ingest.responses import Submission, submit
from survey_app.services.kiosk import silence
from survey_app.services.tasks import DAILY_DIGEST, WEEKLY_DIGEST

from ..factories import (
    csrf_of,
    login,
    make_counter,
    make_unit,
    make_user,
    seed_questionnaires,
    token_of,
)
from ..kiosk.helpers import enrolled, make_world
from ..queue_helpers import InlineWorker
from .processes import HOST, free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return {
        "QUEUE_IMMEDIATE": True,  # the digest's e-mails are deliveries, sent by the queue
        "MAIL_SERVER": HOST,
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT_SECONDS": 2,
        "DELIVERY_RETRY_SECONDS": 1,
        "KIOSK_OPENING_HOURS": "1-5 07:30-17:00",
    }


def test_the_daily_digest_arrives_in_plain_vietnamese(app: Flask, smtp_port: int) -> None:
    seed_questionnaires()
    unit = make_unit("U1", "Trung tâm thử")
    counter = make_counter(unit)
    head = make_user("truong", "unit_head", unit)
    alerts.save_rule(
        head, unit.id, alerts.RuleInput(kind="digest", active=True, emails="truong@ubnd.vn")
    )
    make_unit("U2", "Đơn vị không đăng ký")
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    q = forms.get("sipas-2024-dv")
    for answers in ({"A1": 1, "B1": 5}, {"A1": 2, "B1": 4}, {"A1": 5, "B1": 5}):
        submit(info, q, Submission(answers=answers))
    inbox = Inbox()
    controller = Controller(inbox, hostname=HOST, port=smtp_port)
    controller.start()
    try:
        today = digests.today_local()
        assert digests.send("digest", today, today) == 1  # one unit has the rule
    finally:
        controller.stop()
    (mail,) = inbox.messages
    assert mail["To"] == "truong@ubnd.vn" and "Tổng hợp ngày: Trung tâm thử" in mail["Subject"]
    body = mail.get_content()  # type: ignore[attr-defined]
    assert "Phản hồi: 3" in body
    assert "SIPAS: " in body and "khoảng tin cậy 95 %" in body
    assert f"- A1 {q.item('A1').text.vi}: 2 lượt" in body and "B1" not in body
    assert "Phản ánh mới: 0" in body and "Phản ánh quá hạn chưa trả lời: 0" in body
    assert max(len(line) for line in body.splitlines()) < 200  # a phone's screen


def test_digests_are_scheduled_in_vietnam_time(app: Flask) -> None:
    tasks = queue.of(app).tasks
    daily = tasks[DAILY_DIGEST].task_class()
    weekly = tasks[WEEKLY_DIGEST].task_class()
    assert daily.validate_datetime(datetime(2026, 12, 3, 10, 0))  # 17:00 in Hà Nội
    assert not daily.validate_datetime(datetime(2026, 12, 3, 17, 0))
    assert weekly.validate_datetime(datetime(2026, 12, 7, 1, 0))  # Monday 08:00 in Hà Nội
    assert not weekly.validate_datetime(datetime(2026, 12, 8, 1, 0))  # a Tuesday


def vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


def silent_world() -> tuple[Any, Any, Any]:
    """A unit (with a sub-unit's tablet), its head with a daily and a weekly digest, and two
    silences on Tuesday 1 December 2026: 09:30–10:06 and from 16:00 on."""
    world = make_world()  # P (Tỉnh thử) ⊃ IN (Trung tâm bên trong) with counter Q1
    head = make_user("truong", "unit_head", world.unit.parent)
    for kind in ("digest", "digest_weekly"):
        alerts.save_rule(
            head, world.unit.parent.id, alerts.RuleInput(kind=kind, active=True, emails="a@ubnd.vn")
        )
    device, _ = enrolled(world, "Máy 1")
    device.last_seen_at = vn(2026, 12, 1, 9, 30)
    db.session.commit()
    silence.check(vn(2026, 12, 1, 10, 5))
    device.last_seen_at = vn(2026, 12, 1, 10, 6)
    db.session.commit()
    silence.check(vn(2026, 12, 1, 10, 7))
    device.last_seen_at = vn(2026, 12, 1, 16, 0)
    db.session.commit()
    silence.check(vn(2026, 12, 1, 16, 45))
    return world, head, device


def test_the_digest_lists_the_tablets_silent_that_day(app: Flask, smtp_port: int) -> None:
    silent_world()
    inbox = Inbox()
    controller = Controller(inbox, hostname=HOST, port=smtp_port)
    controller.start()
    try:
        tuesday = date(2026, 12, 1)
        assert digests.send("digest", tuesday, tuesday) == 1
        wednesday = tuesday + timedelta(days=1)
        assert digests.send("digest", wednesday, wednesday) == 1
        assert digests.send("digest_weekly", date(2026, 11, 30), date(2026, 12, 6)) == 1
    finally:
        controller.stop()
    daily, quiet, weekly = (m.get_content() for m in inbox.messages)  # type: ignore[attr-defined]
    assert "Máy tính bảng im lặng trong giờ làm việc: 2 lần" in daily
    assert "- Quầy số 1 (Q1), Máy 1: 09:30–10:06 (36 phút)" in daily
    assert "- Quầy số 1 (Q1), Máy 1: từ 16:00, chưa hoạt động lại" in daily
    assert "không có máy nào im lặng" in quiet  # Wednesday: none
    assert "- 01/12 Quầy số 1 (Q1), Máy 1: 09:30–10:06 (36 phút)" in weekly
    assert "Tổng hợp tuần" in inbox.messages[2]["Subject"]


def test_a_digest_is_logged_retried_and_sent_again_with_the_same_text(
    app: Flask, smtp_port: int
) -> None:
    _world, head, _device = silent_world()
    app.config["DELIVERY_TRIES"] = 1  # nobody listens: the one try fails at once
    tuesday = date(2026, 12, 1)
    assert digests.send("digest", tuesday, tuesday) == 1
    assert digests.send("digest", tuesday, tuesday) == 0  # a retried task writes no second one
    (row,) = db.session.scalars(select(Delivery)).all()
    assert row.digest is not None and row.alert is None
    assert row.status == "failed" and "Connection refused" in (row.last_error or "")

    client = app.test_client()
    g.pop("_login_user", None)
    assert login(client, "truong").status_code == 303
    page = client.get("/canh-bao/gui").get_data(as_text=True)
    assert "Thư tổng hợp ngày" in page and "a@ubnd.vn" in page and "không gửi được" in page
    other = make_user("khac", "unit_head", make_unit("U9", "Đơn vị khác"))
    assert other.id
    inbox = Inbox()
    controller = Controller(inbox, hostname=HOST, port=smtp_port)
    controller.start()
    try:
        g.pop("_login_user", None)
        token = csrf_of(client, "/canh-bao/gui")
        resp = client.post(f"/canh-bao/gui/{row.id}/gui-lai", data={"csrf_token": token})
        assert resp.status_code == 303
    finally:
        controller.stop()
    db.session.expire_all()
    sent = db.session.get(Delivery, row.id)
    assert sent is not None and sent.status == "sent" and sent.attempts == 1
    (mail,) = inbox.messages
    got = mail.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
    assert got == row.digest.body + "\n" and "09:30–10:06" in got  # the text written
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "delivery.resend" in actions

    stranger = app.test_client()
    g.pop("_login_user", None)
    assert login(stranger, "khac").status_code == 303
    assert "a@ubnd.vn" not in stranger.get("/canh-bao/gui").get_data(as_text=True)
    g.pop("_login_user", None)
    token = csrf_of(stranger, "/canh-bao/gui")
    assert (
        stranger.post(f"/canh-bao/gui/{row.id}/gui-lai", data={"csrf_token": token}).status_code
        == 404
    )


def test_a_digest_waits_while_the_mail_server_is_down_and_goes_out_after(
    app: Flask, smtp_port: int
) -> None:
    silent_world()
    tuesday = date(2026, 12, 1)
    with InlineWorker(app) as worker:
        assert digests.send("digest", tuesday, tuesday) == 1
        deadline = time.monotonic() + 20

        def row() -> Delivery:
            db.session.expire_all()
            found: Delivery = db.session.scalars(select(Delivery)).one()
            return found

        while row().attempts < 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert row().status == "pending"
        inbox = Inbox()
        controller = Controller(inbox, hostname=HOST, port=smtp_port)
        controller.start()
        try:
            deadline = time.monotonic() + 30
            while row().status != "sent":
                assert time.monotonic() < deadline, (row().status, row().last_error)
                time.sleep(0.1)
            assert worker.wait_idle(20)
        finally:
            controller.stop()
    assert len(inbox.messages) == 1
