"""Undo and withdrawal of a complaint mark (issue 12, item 4): the marker within
SIPAS_COMPLAINT_UNDO_MINUTES, a unit head until there is an answer; kept in the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Complaint, Counter, Response, utcnow
from survey_app.services import complaints
from survey_app.services.clock import local_day
from survey_app.services.complaints import ComplaintError, NotAllowed

from ..factories import csrf_of, login, make_counter, make_unit, make_user


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"COMPLAINT_UNDO_MINUTES": 5}


@pytest.fixture
def counter(app: Flask) -> Counter:
    return make_counter(make_unit("U1", "Đơn vị Một"), "Q1", "Quầy Một")


def _respond(counter: Counter) -> Response:
    at = utcnow()
    response = Response(
        questionnaire_id="sipas-2024-dv",
        unit_id=counter.unit_id,
        counter_id=counter.id,
        target_group="chung",
        submitted_at=at,
        local_day=local_day(at),
        answers={"A1": 2},
        comment="Chờ lâu quá",
        source="qr",
    )
    db.session.add(response)
    db.session.commit()
    return response


def test_marker_undoes_within_the_window(counter: Counter) -> None:
    clerk = make_user("nv.mot", "staff", counter.unit)
    response = _respond(counter)
    c = complaints.mark(response, "phuc_vu", clerk)
    assert complaints.may_undo(clerk, c, c.created_at + timedelta(minutes=4))
    assert not complaints.may_undo(clerk, c, c.created_at + timedelta(minutes=6))
    complaints.withdraw(c, clerk, now=c.created_at + timedelta(minutes=4))
    assert c.status == "da_rut"
    assert [e.action for e in complaints.history(c)] == ["danh_dau", "rut"]
    assert complaints.history(c)[-1].actor_id == clerk.id
    assert complaints.marked(clerk, [response.id]) == {}  # the mark button is back
    assert complaints.list_visible(clerk) == []
    assert [x.id for x in complaints.list_visible(clerk, "da_rut")] == [c.id]
    again = complaints.mark(response, "phuc_vu", clerk)  # marked again: same row, new history
    assert again.id == c.id and again.status == "moi"
    assert [e.action for e in complaints.history(again)] == ["danh_dau", "rut", "danh_dau"]


def test_marker_too_late_or_someone_else(counter: Counter) -> None:
    clerk = make_user("nv.mot", "staff", counter.unit)
    other = make_user("nv.hai", "staff", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", clerk)
    with pytest.raises(ComplaintError, match="5 phút"):
        complaints.withdraw(c, clerk, now=c.created_at + timedelta(minutes=6))
    with pytest.raises(NotAllowed):
        complaints.withdraw(c, other)
    assert c.status == "moi"


def test_unit_head_withdraws_until_answered(counter: Counter) -> None:
    clerk = make_user("nv.mot", "staff", counter.unit)
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", clerk)
    complaints.assign(c, clerk, head)
    late = c.created_at + timedelta(days=3)
    with pytest.raises(ComplaintError):  # taken up: the marker may no longer undo
        complaints.withdraw(c, clerk, now=late)
    complaints.withdraw(c, head, "Nhầm góp ý", now=late)
    assert c.status == "da_rut" and complaints.history(c)[-1].note == "Nhầm góp ý"
    c2 = complaints.mark(_respond(counter), "phuc_vu", clerk)
    complaints.answer(c2, "Đã xử lý", head)
    with pytest.raises(ComplaintError):
        complaints.withdraw(c2, head)


def test_withdrawn_complaints_leave_handling_times(counter: Counter) -> None:
    clerk = make_user("nv.mot", "staff", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", clerk)
    now = utcnow()
    assert complaints.handling_times(clerk, now - timedelta(days=1), now + timedelta(1))[0].total
    complaints.withdraw(c, clerk)
    assert complaints.handling_times(clerk, now - timedelta(days=1), now + timedelta(1)) == []


def test_undo_over_http(counter: Counter, client: FlaskClient) -> None:
    make_user("nv.mot", "staff", counter.unit)
    login(client, "nv.mot")
    response = _respond(counter)
    token = csrf_of(client, "/nhan-vien")
    resp = client.post(
        f"/phan-anh/danh-dau/{response.id}",
        data={"csrf_token": token, "kind": "phuc_vu", "confirm": "1"},
    )
    assert resp.status_code == 303
    detail = resp.headers["Location"]
    html = client.get(detail).get_data(as_text=True)
    assert "Huỷ đánh dấu" in html
    token = csrf_of(client, detail)
    resp = client.post(f"{detail}/rut-lai", data={"csrf_token": token})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Complaint, int(detail.rsplit("/", 1)[1])).status == "da_rut"  # type: ignore[union-attr]
    assert "Đánh dấu là phản ánh" in client.get("/nhan-vien").get_data(as_text=True)
    assert "Rút lại" in client.get(detail).get_data(as_text=True)  # in the history


def test_undo_minutes_must_be_positive() -> None:
    from survey_app.config import DEFAULTS, ConfigurationError, check_settings

    config = {**DEFAULTS, "COMPLAINT_UNDO_MINUTES": "0"}
    with pytest.raises(ConfigurationError, match="SIPAS_COMPLAINT_UNDO_MINUTES"):
        check_settings(config)
