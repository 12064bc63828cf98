"""The staff home page: today's responses within the user's scope."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Counter, Response, RoleAssignment, utcnow
from survey_app.services.clock import local_day

from ..factories import login_as, make_counter, make_unit


def _respond(counter: Counter, comment: str | None = None, days_ago: int = 0) -> None:
    at = utcnow() - timedelta(days=days_ago)
    db.session.add(
        Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=counter.unit_id,
            counter_id=counter.id,
            target_group="chung",
            submitted_at=at,
            local_day=local_day(at),
            answers={"A1": 5},
            comment=comment,
            source="qr",
        )
    )
    db.session.commit()


def test_staff_sees_only_their_units_counts(app: Flask, client: FlaskClient) -> None:
    mine = make_counter(make_unit("U1", "Đơn vị của tôi"), "Q1", "Quầy Một")
    other = make_counter(make_unit("U2", "Đơn vị khác"), "Q9", "Quầy Chín")
    for _ in range(3):
        _respond(mine)
    _respond(mine, days_ago=2)  # not today
    _respond(other, "góp ý ở đơn vị khác")
    login_as(client, "staff", mine.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "Quầy Một" in html and ">3<" in html
    assert "Quầy Chín" not in html and "Đơn vị khác" not in html
    assert "góp ý ở đơn vị khác" not in html


def test_comments_are_escaped(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit())
    _respond(counter, '<script>alert("x")</script> Cán bộ <b>rất</b> nhiệt tình')
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>rất</b>" not in html
    assert "&lt;script&gt;alert" in html and "Cán bộ &lt;b&gt;rất&lt;/b&gt; nhiệt tình" in html


def test_admin_sees_every_unit(app: Flask, client: FlaskClient) -> None:
    a = make_counter(make_unit("U1", "Đơn vị A"), "Q1", "Quầy A")
    b = make_counter(make_unit("U2", "Đơn vị B"), "Q1", "Quầy B")
    _respond(a)
    _respond(b)
    login_as(client, "admin", None)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "Quầy A" in html and "Quầy B" in html


def test_staff_limited_to_a_counter_sees_only_that_counter(app: Flask, client: FlaskClient) -> None:
    unit = make_unit()
    mine = make_counter(unit, "Q1", "Quầy Một")
    other = make_counter(unit, "Q2", "Quầy Hai")
    _respond(mine)
    _respond(other, "góp ý ở quầy hai")
    user = login_as(client, "staff", unit)
    user.roles[0].counter_id = mine.id
    db.session.commit()
    assert isinstance(user.roles[0], RoleAssignment)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "Quầy Một" in html and "Quầy Hai" not in html and "quầy hai" not in html
