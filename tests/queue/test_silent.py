"""The ``silent`` rule: a counter tablet silent during its unit's opening hours.

- noticed once its silence reaches the rule's minutes, counted from its last heartbeat or
  from the day's opening; one alert per window per counter (a second tablet of the counter
  silent within the window joins no second alert; after the window a new silence fires
  again), delivered by e-mail through a real local SMTP server and by a signed webhook;
- nothing outside opening hours, on a public holiday (Tết 2027) or for a revoked tablet;
  a unit's own opening hours (a Saturday morning) are honoured;
- the alert is on the staff home and acknowledged there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import Alert, Delivery, KioskDevice, KioskSilence
from survey_app.services import alerts, queue
from survey_app.services.alerts import delivery as deliveries
from survey_app.services.clock import VN_TZ
from survey_app.services.kiosk import devices, silence

from ..factories import csrf_of, login, make_user
from ..kiosk.helpers import World, enrolled, make_world
from .processes import HOST, free_port


def vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment given in Vietnam time."""
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


TUESDAY = (2026, 12, 1)


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
        "KIOSK_OPENING_HOURS": "1-5 07:30-17:00",
        "KIOSK_SILENT_MINUTES": 30,
    }


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    box = Inbox()
    controller = Controller(box, hostname=HOST, port=smtp_port)
    controller.start()
    yield box
    controller.stop()


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
def world(app: Flask) -> World:
    world = make_world()
    head = make_user("truong", "unit_head", world.unit)
    alerts.save_rule(
        head,
        world.unit.id,
        alerts.RuleInput(kind="silent", active=True, window_minutes=20, emails="truong@ubnd.vn"),
    )
    return world


def seen(device: KioskDevice, at: datetime) -> None:
    device.last_seen_at = at
    db.session.commit()


def all_alerts() -> list[Alert]:
    db.session.expire_all()
    return list(db.session.scalars(select(Alert).order_by(Alert.id)))


def test_a_silent_tablet_fires_once_per_window_by_e_mail_and_webhook(
    app: Flask, world: World, inbox: Inbox, receiver: str
) -> None:
    head = make_user("truong2", "unit_head", world.unit)
    _hook, secret = alerts.add_webhook(head, world.unit.id, receiver)
    first, _ = enrolled(world, "Máy 1")
    second, _ = enrolled(world, "Máy 2")
    seen(first, vn(*TUESDAY, 9, 30))
    seen(second, vn(*TUESDAY, 9, 40))

    assert silence.check(vn(*TUESDAY, 9, 45)).noticed == []  # 15 minutes < 20
    got = silence.check(vn(*TUESDAY, 9, 55))  # Máy 1: 25 minutes
    assert [s.device_id for s in got.noticed] == [first.id] and got.alerts == 1
    (alert,) = all_alerts()
    assert alert.kind == "silent" and alert.counter_id == world.counter.id
    assert [d["name"] for d in alert.details["devices"]] == ["Máy 1"]
    assert alert.details["devices"][0]["since"] == "09:30"

    (mail,) = inbox.messages
    assert mail["To"] == "truong@ubnd.vn" and "Quầy số 1 (Q1)" in mail["Subject"]
    body = mail.get_content()  # type: ignore[attr-defined]
    assert "- Máy 1: im lặng từ 09:30 (25 phút)" in body
    ((headers, raw),) = Receiver.got
    assert headers["X-Sipas-Signature"] == deliveries.signature(secret, raw)

    assert silence.check(vn(*TUESDAY, 9, 58)).noticed == []  # the same silence: nothing new
    got = silence.check(vn(*TUESDAY, 10, 1))  # Máy 2: 21 minutes, within the window
    assert [s.device_id for s in got.noticed] == [second.id] and got.alerts == 0
    assert len(all_alerts()) == 1 and len(inbox.messages) == 1

    seen(first, vn(*TUESDAY, 10, 20))  # Máy 1 is back…
    assert silence.check(vn(*TUESDAY, 10, 21)).ended == 1
    ended = db.session.scalars(select(KioskSilence).where(KioskSilence.device_id == first.id)).one()
    assert ended.ended_at == vn(*TUESDAY, 10, 20) and ended.alert_id == alert.id
    got = silence.check(vn(*TUESDAY, 10, 45))  # …and silent again, after the window
    assert [s.device_id for s in got.noticed] == [first.id] and got.alerts == 1
    assert len(all_alerts()) == 2 and len(inbox.messages) == 2
    sent = db.session.scalars(select(Delivery.status)).all()
    assert sent == ["sent"] * 4  # two alerts, each an e-mail and a webhook call


def test_one_open_silence_per_tablet_even_with_two_workers(app: Flask, world: World) -> None:
    device, _ = enrolled(world)
    seen(device, vn(*TUESDAY, 9, 0))
    (first,) = silence.check(vn(*TUESDAY, 9, 30)).noticed
    twin = KioskSilence(
        device_id=device.id,
        counter_id=first.counter_id,
        unit_id=first.unit_id,
        since=first.since,
        noticed_at=first.noticed_at,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):  # what a second worker's round would have done
        db.session.commit()
    db.session.rollback()
    seen(device, vn(*TUESDAY, 9, 40))
    silence.check(vn(*TUESDAY, 9, 41))  # ended: a new one may open later
    assert len(silence.check(vn(*TUESDAY, 10, 30)).noticed) == 1


def test_silence_counts_from_the_opening_of_the_day(app: Flask, world: World) -> None:
    device, _ = enrolled(world)
    seen(device, vn(2026, 11, 30, 16, 59))  # Monday afternoon, then switched off overnight
    assert silence.check(vn(*TUESDAY, 7, 45)).noticed == []  # 15 minutes since 07:30
    (noticed,) = silence.check(vn(*TUESDAY, 7, 51)).noticed
    assert noticed.since == vn(*TUESDAY, 7, 30)
    assert silence.check(vn(*TUESDAY, 17, 5)).ended == 1  # the unit closed at 17:00
    db.session.expire_all()
    assert db.session.get(KioskSilence, noticed.id).ended_at == vn(*TUESDAY, 17, 0)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "now",
    [
        vn(*TUESDAY, 18, 0),  # after hours
        vn(*TUESDAY, 6, 0),  # before
        vn(2026, 12, 5, 10, 0),  # a Saturday
        vn(2027, 2, 5, 10, 0),  # Friday of Tết 2027: a weekday, but a public holiday
        vn(2027, 2, 9, 10, 0),  # Tuesday of Tết 2027
    ],
)
def test_nothing_outside_opening_hours_or_on_a_holiday(
    app: Flask, world: World, now: datetime
) -> None:
    device, _ = enrolled(world)
    seen(device, now - timedelta(hours=5))
    assert silence.check(now).noticed == []
    assert all_alerts() == []
    # the same silence on an ordinary working morning is noticed (the test can fail)
    assert len(silence.check(vn(2027, 2, 11, 10, 0)).noticed) == 1  # Thursday after Tết


def test_a_revoked_tablet_is_not_watched_and_its_silence_ends(app: Flask, world: World) -> None:
    device, _ = enrolled(world)
    other, _ = enrolled(world, "Máy 2")
    seen(device, vn(*TUESDAY, 8, 0))
    seen(other, vn(*TUESDAY, 8, 0))
    devices.revoke(world.admin, other)
    got = silence.check(vn(*TUESDAY, 9, 0))
    assert [s.device_id for s in got.noticed] == [device.id]
    devices.revoke(world.admin, device)
    assert silence.check(vn(*TUESDAY, 9, 10)).ended == 1
    assert silence.check(vn(*TUESDAY, 11, 0)).noticed == []
    assert len(all_alerts()) == 1


def test_a_units_own_opening_hours_are_honoured(app: Flask, world: World) -> None:
    device, _ = enrolled(world)
    world.unit.opening_hours = "1-6 07:00-11:30"
    db.session.commit()
    saturday = vn(2026, 12, 5, 10, 0)
    seen(device, saturday - timedelta(minutes=25))
    assert len(silence.check(saturday).noticed) == 1
    seen(device, vn(*TUESDAY, 11, 40))
    assert silence.check(vn(*TUESDAY, 12, 30)).noticed == []  # closed at 11:30


def test_without_the_rule_a_silence_is_noticed_after_the_setting_but_fires_nothing(
    app: Flask, world: World
) -> None:
    rule = alerts.rules_of(world.unit.id)["silent"]
    assert rule is not None
    rule.active = False
    db.session.commit()
    device, _ = enrolled(world)
    seen(device, vn(*TUESDAY, 9, 0))
    assert silence.check(vn(*TUESDAY, 9, 25)).noticed == []  # the setting: 30 minutes
    assert len(silence.check(vn(*TUESDAY, 9, 31)).noticed) == 1
    assert all_alerts() == []


def test_the_silent_alert_is_on_the_staff_home_and_acknowledged(app: Flask, world: World) -> None:
    device, _ = enrolled(world)
    seen(device, vn(*TUESDAY, 9, 30))
    silence.check(vn(*TUESDAY, 9, 55))
    make_user("nv.q1", "staff", world.unit)
    client = app.test_client()
    g.pop("_login_user", None)
    assert login(client, "nv.q1").status_code == 303
    home = client.get("/nhan-vien").get_data(as_text=True)
    assert "Cảnh báo chưa xem" in home and "Máy tính bảng im lặng trong giờ làm việc" in home
    assert "Máy 1 im lặng từ 09:30 (25 phút)." in home
    (alert,) = all_alerts()
    g.pop("_login_user", None)
    token = csrf_of(client, "/nhan-vien")
    resp = client.post(
        f"/canh-bao/{alert.id}/da-xem", data={"csrf_token": token, "quay_lai": "nhan-vien"}
    )
    assert resp.status_code == 303
    assert all_alerts()[0].acknowledged_at is not None


def test_the_check_runs_every_two_minutes(app: Flask) -> None:
    task = queue.of(app).tasks[silence.TASK].task_class()
    assert task.validate_datetime(datetime(2026, 12, 1, 3, 2))
    assert not task.validate_datetime(datetime(2026, 12, 1, 3, 3))
