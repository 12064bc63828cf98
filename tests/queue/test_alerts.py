"""Alert rules evaluated as responses arrive (the queue in immediate mode): the low-rating
share over a window with a minimum n, integrity answers for inspectors only, once per window
per counter, acknowledgement, who sees what; the response service never fails because of the
queue."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import forms
from survey_app.extensions import db
from survey_app.models import Alert, AuditEntry, Delivery, RoleAssignment
from survey_app.models.base import utcnow
from survey_app.services import alerts, org, queue
from survey_app.services.ingest.responses import Submission, submit

from ..factories import make_counter, make_unit, make_user, seed_questionnaires, token_of

GOOD = {"A1": 5, "A2": 4, "B1": 5}
LOW = {"A1": 2, "A2": 4, "B1": 1}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"QUEUE_IMMEDIATE": True}


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    seed_questionnaires()
    unit = make_unit("U1")
    one, two = make_counter(unit, "Q1", "Quầy số 1"), make_counter(unit, "Q2", "Quầy số 2")
    head = make_user("truong", "unit_head", unit)
    inspector = make_user("thanh.tra", "inspector", unit)
    staff = make_user("nv.q1", "staff", unit)
    staff.roles[0].counter_id = one.id  # limited to counter 1
    staff_two = make_user("nv.q2", "staff", unit)
    staff_two.roles[0].counter_id = two.id
    db.session.commit()
    admin = make_user("qtv", "admin", None)
    for kind in ("low_share", "integrity"):
        alerts.save_rule(
            head,
            unit.id,
            alerts.RuleInput(kind=kind, active=True, emails="tt@example.vn"),
        )
    return {
        "unit": unit,
        "one": one,
        "two": two,
        "head": head,
        "inspector": inspector,
        "staff": staff,
        "staff_two": staff_two,
        "admin": admin,
    }


def send(counter: Any, answers: dict[str, int], **kw: Any) -> int:
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    stored = submit(info, forms.get("sipas-2024-dv"), Submission(answers=answers, **kw))
    return stored.response_id


def alerts_of(kind: str) -> list[Alert]:
    db.session.expire_all()
    return list(db.session.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))


def test_low_share_fires_at_the_threshold_with_the_minimum_n_once_per_window(
    world: dict[str, Any],
) -> None:
    for answers in (LOW, LOW, GOOD, GOOD):  # 2 of 4 low: 50 %, but n = 4 < 5
        send(world["one"], answers)
    assert alerts_of("low_share") == []
    send(world["one"], GOOD)  # 2 of 5 = 40 %: fires
    fired = alerts_of("low_share")
    assert len(fired) == 1 and fired[0].counter_id == world["one"].id
    assert fired[0].details["n"] == 5 and fired[0].details["low"] == 2
    assert fired[0].details["share"] == 40.0
    assert fired[0].details["items"] == {"A1": 2, "B1": 2}  # two responses, each A1 and B1
    for _ in range(5):
        send(world["one"], LOW)  # still above: the same window, no second alert
    assert len(alerts_of("low_share")) == 1
    for _ in range(2):
        send(world["two"], GOOD)
    assert len(alerts_of("low_share")) == 1  # counter 2 is fine


def test_below_the_threshold_nothing_fires_and_old_responses_are_outside_the_window(
    world: dict[str, Any],
) -> None:
    old = utcnow() - timedelta(minutes=61)
    for _ in range(5):
        send(world["one"], LOW, submitted_at=old)  # outside the 60 minutes
    send(world["one"], LOW)
    for _ in range(4):
        send(world["one"], GOOD)  # 1 of 5 = 20 % in the window
    assert alerts_of("low_share") == []


def test_a_new_window_may_fire_again(world: dict[str, Any]) -> None:
    for _ in range(5):
        send(world["one"], LOW)
    first = alerts_of("low_share")
    assert len(first) == 1
    later = utcnow() + timedelta(minutes=61)
    for _ in range(5):
        response = send(world["one"], LOW, submitted_at=later)
    assert alerts.evaluate(response, now=later + timedelta(seconds=1))
    assert len(alerts_of("low_share")) == 2


def test_integrity_answers_reach_the_inspectors_only(world: dict[str, Any]) -> None:
    send(world["one"], {**GOOD, "Q5": 2})
    send(world["one"], {**GOOD, "Q6": 3})  # the same window and counter: one alert
    fired = alerts_of("integrity")
    assert len(fired) == 1 and fired[0].details["items"] == {"Q5": 2}
    deliveries = db.session.scalars(select(Delivery).where(Delivery.alert_id == fired[0].id))
    assert [(d.channel, d.target) for d in deliveries] == [("email", "tt@example.vn")]
    assert [a.id for a in alerts.unacknowledged(world["inspector"])] == [fired[0].id]
    assert [a.id for a in alerts.unacknowledged(world["admin"])] == [fired[0].id]
    for who in ("staff", "head", "staff_two"):  # never the counter concerned, nor staff
        assert alerts.unacknowledged(world[who]) == [], who
    send(world["two"], {**GOOD, "Q5": 1, "Q6": 1})  # 1 = no: nothing
    assert len(alerts_of("integrity")) == 1


def test_staff_see_their_own_counter_s_low_share_alerts_and_acknowledge_them(
    world: dict[str, Any],
) -> None:
    for _ in range(5):
        send(world["one"], LOW)
    (alert,) = alerts_of("low_share")
    assert [a.id for a in alerts.unacknowledged(world["staff"])] == [alert.id]
    assert [a.id for a in alerts.unacknowledged(world["head"])] == [alert.id]
    assert alerts.unacknowledged(world["staff_two"]) == []  # another counter's
    assert [a.id for a in alerts.unacknowledged(world["inspector"])] == [alert.id]  # in scope
    assert alerts.visible(world["staff_two"], alert.id) is None
    assert alerts.acknowledge(world["staff"], alert)
    assert not alerts.acknowledge(world["head"], alert)  # once
    db.session.expire_all()
    assert alert.acknowledged_by_id == world["staff"].id and alert.acknowledged_at is not None
    assert alerts.unacknowledged(world["head"]) == []
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "alert.acknowledge" in actions and actions.count("alert_rule.save") == 2


def test_rules_refuse_bad_settings(world: dict[str, Any]) -> None:
    head, unit = world["head"], world["unit"]
    for bad in (
        alerts.RuleInput(kind="low_share", active=True, threshold_percent=0),
        alerts.RuleInput(kind="low_share", active=True, window_minutes=0),
        alerts.RuleInput(kind="low_share", active=True, min_responses=0),
        alerts.RuleInput(kind="nope", active=True),
        alerts.RuleInput(kind="low_share", active=True, emails="not an address"),
    ):
        with pytest.raises(alerts.RuleError):
            alerts.save_rule(head, unit.id, bad)
    alerts.save_rule(head, unit.id, alerts.RuleInput(kind="low_share", active=False))
    for _ in range(5):
        send(world["one"], LOW)
    assert alerts_of("low_share") == []  # switched off


def test_a_queue_that_is_down_never_fails_a_submission(
    app: Flask, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app.config.update(QUEUE_URL="redis://127.0.0.1:1/0", QUEUE_IMMEDIATE=False)
    down = queue.make_huey(app)
    app.extensions[queue.EXTENSION].tasks[alerts.EVALUATE] = down.task(name=alerts.EVALUATE)(
        lambda *args: None
    )
    queue._away_until = 0.0
    with caplog.at_level(logging.WARNING, logger="survey_app.services.queue"):
        first = send(world["one"], LOW)
        second = send(world["one"], LOW)  # skipped at once: the queue was just found away
    assert first and second and second != first
    assert caplog.text.count("not queued") == 1
    assert db.session.scalar(select(func.count()).select_from(Alert)) == 0
    queue._away_until = 0.0


def test_counter_limited_roles_are_set_up(world: dict[str, Any]) -> None:
    roles = db.session.scalars(select(RoleAssignment).where(RoleAssignment.counter_id.is_not(None)))
    assert len(list(roles)) == 2
