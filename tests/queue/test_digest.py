"""The daily digest: a plain-Vietnamese e-mail through a real local SMTP server, with the
day's responses, SIPAS and its interval, low ratings with their item texts and complaints;
scheduled at 17:00 Vietnam time (10:00 UTC), the weekly one Monday 08:00 (01:00 UTC)."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

import forms
from survey_app.services import alerts, digests, org, queue
from survey_app.services.ingest.responses import Submission, submit
from survey_app.services.tasks import DAILY_DIGEST, WEEKLY_DIGEST

from ..factories import make_counter, make_unit, make_user, seed_questionnaires, token_of
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
    return {"MAIL_SERVER": HOST, "MAIL_PORT": smtp_port}


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
