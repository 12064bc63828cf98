"""Complaints: transitions and history, scope, permissions, CSRF, escaping, handling times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Complaint, Counter, Response, User, utcnow
from survey_app.services import complaints
from survey_app.services.clock import local_day
from survey_app.services.complaints import ComplaintError, NotAllowed

from ..factories import csrf_of, login_as, make_counter, make_unit, make_user


def _respond(counter: Counter, comment: str | None = "Chờ lâu quá") -> Response:
    at = utcnow()
    response = Response(
        questionnaire_id="sipas-2024-dv",
        unit_id=counter.unit_id,
        counter_id=counter.id,
        target_group="chung",
        submitted_at=at,
        local_day=local_day(at),
        answers={"A1": 2},
        comment=comment,
        source="qr",
    )
    db.session.add(response)
    db.session.commit()
    return response


@pytest.fixture
def counter(app: Flask) -> Counter:
    return make_counter(make_unit("U1", "Đơn vị Một"), "Q1", "Quầy Một")


CONFIRMED = {"confirm": "1"}  # destructive steps ask first (survey_app/auth/confirm.py)


def _post(
    client: FlaskClient, path: str, data: dict[str, str] | None = None, page: str = "/phan-anh"
) -> int:
    token = csrf_of(client, page)
    return client.post(path, data={"csrf_token": token, **CONFIRMED, **(data or {})}).status_code


def test_full_handling_writes_history(counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    clerk = make_user("nv.mot", "staff", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", clerk)
    assert c.status == "moi"
    complaints.assign(c, clerk, head)
    assert c.status == "da_giao" and c.assignee_id == clerk.id and c.assigned_at
    complaints.answer(c, "Đã hướng dẫn lại thủ tục.", clerk)
    assert c.status == "da_tra_loi" and c.answered_at
    complaints.close(c, head)
    assert c.status == "da_dong" and c.closed_at
    complaints.reopen(c, head, "Người dân chưa đồng ý")
    assert c.status == "da_giao" and c.closed_at is None
    events = complaints.history(c)
    assert [(e.action, e.actor.username) for e in events] == [
        ("danh_dau", "nv.mot"),
        ("giao", "truong"),
        ("tra_loi", "nv.mot"),
        ("dong", "truong"),
        ("mo_lai", "truong"),
    ]
    assert events[1].note == "nv.mot" and events[2].note == "Đã hướng dẫn lại thủ tục."


def test_wrong_transitions_raise_value_errors(counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", head)
    with pytest.raises(ValueError, match="đã có trả lời"):
        complaints.close(c, head)
    with pytest.raises(ComplaintError, match="đã được đánh dấu"):
        complaints.mark(c.response, "phuc_vu", head)
    with pytest.raises(ComplaintError):
        complaints.answer(c, "x" * 2001, head)
    with pytest.raises(ComplaintError):
        complaints.answer(c, "   ", head)
    with pytest.raises(ComplaintError):
        complaints.reopen(c, head)
    with pytest.raises(ComplaintError):
        complaints.mark(_respond(counter, None), "phuc_vu", head)
    with pytest.raises(ComplaintError):
        complaints.mark(_respond(counter), "khac", head)
    complaints.answer(c, "Trả lời", head)
    with pytest.raises(ComplaintError):
        complaints.answer(c, "Lần nữa", head)
    with pytest.raises(ComplaintError):
        complaints.assign(c, head, head)
    assert [e.action for e in complaints.history(c)] == ["danh_dau", "tra_loi"]


def test_assignee_must_belong_to_the_unit(counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    stranger = make_user("khac", "staff", make_unit("U2", "Đơn vị Hai"))
    c = complaints.mark(_respond(counter), "phuc_vu", head)
    with pytest.raises(ComplaintError):
        complaints.assign(c, stranger, head)
    clerk = make_user("nv.mot", "staff", counter.unit)
    conduct = complaints.mark(_respond(counter), "thai_do", head)
    assert [u.username for u in complaints.candidates(conduct)] == ["truong"]
    with pytest.raises(ComplaintError):
        complaints.assign(conduct, clerk, head)


def test_staff_may_not_assign_or_close(counter: Counter) -> None:
    clerk = make_user("nv.mot", "staff", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", clerk)
    with pytest.raises(NotAllowed):
        complaints.assign(c, clerk, clerk)
    with pytest.raises(NotAllowed):
        complaints.answer(c, "x", clerk)  # not the assignee
    office = make_user("vp.mot", "office", counter.unit)
    with pytest.raises(NotAllowed):
        complaints.mark(_respond(counter), "phuc_vu", office)


def test_staff_cannot_assign_or_close_over_http(counter: Counter, client: FlaskClient) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", head)
    clerk = login_as(client, "staff", counter.unit)
    assert _post(client, f"/phan-anh/{c.id}/giao", {"assignee": str(clerk.id)}) == 403
    assert _post(client, f"/phan-anh/{c.id}/dong") == 403
    assert _post(client, f"/phan-anh/{c.id}/tra-loi", {"answer": "x"}) == 403
    assert client.get(f"/phan-anh/{c.id}").status_code == 200


def test_other_unit_answers_404(counter: Counter, client: FlaskClient) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    response = _respond(counter)
    c = complaints.mark(response, "phuc_vu", head)
    login_as(client, "unit_head", make_unit("U2", "Đơn vị Hai"))
    assert client.get(f"/phan-anh/{c.id}").status_code == 404
    assert _post(client, f"/phan-anh/{c.id}/dong") == 404
    assert _post(client, f"/phan-anh/danh-dau/{_respond(counter).id}", {"kind": "phuc_vu"}) == 404
    assert "Chờ lâu quá" not in client.get("/phan-anh").get_data(as_text=True)


def test_conduct_complaints_hidden_from_staff(app: Flask, counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(_respond(counter, "Cán bộ gây khó dễ"), "thai_do", head)
    for role in ("unit_head", "office", "inspector", "admin", "staff"):
        client = app.test_client()
        g.pop("csrf_token", None)
        login_as(client, role, None if role == "admin" else counter.unit, f"u.{role}")
        listing = client.get("/phan-anh").get_data(as_text=True)
        detail = client.get(f"/phan-anh/{c.id}").status_code
        if role == "staff":
            assert "Cán bộ gây khó dễ" not in listing and detail == 404
        else:
            assert "Cán bộ gây khó dễ" in listing and detail == 200


def test_mark_over_http_and_csrf_required(counter: Counter, client: FlaskClient) -> None:
    response = _respond(counter)
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "Đánh dấu là phản ánh" in html and 'href="/phan-anh"' in html
    assert (
        client.post(f"/phan-anh/danh-dau/{response.id}", data={"kind": "phuc_vu"}).status_code
        == 400
    )
    assert db.session.query(Complaint).count() == 0
    got = client.post(
        f"/phan-anh/danh-dau/{response.id}",
        data={"csrf_token": csrf_of(client, "/nhan-vien"), "kind": "phuc_vu", **CONFIRMED},
    )
    assert got.status_code == 303
    assert db.session.query(Complaint).count() == 1
    assert "Đã là phản ánh" in client.get("/nhan-vien").get_data(as_text=True)
    assert _post(client, f"/phan-anh/danh-dau/{response.id}", {"kind": "phuc_vu"}) == 400


@pytest.mark.parametrize("role", ["office", "inspector", "admin"])
def test_read_only_roles_may_not_mark(counter: Counter, client: FlaskClient, role: str) -> None:
    response = _respond(counter)
    login_as(client, role, None if role == "admin" else counter.unit)
    assert _post(client, f"/phan-anh/danh-dau/{response.id}", {"kind": "phuc_vu"}) == 403


def test_head_handles_over_http(counter: Counter, client: FlaskClient) -> None:
    clerk = make_user("nv.mot", "staff", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", clerk)
    login_as(client, "unit_head", counter.unit)
    page = f"/phan-anh/{c.id}"
    assert _post(client, f"{page}/giao", {"assignee": str(clerk.id)}, page) == 303
    assert _post(client, f"{page}/tra-loi", {"answer": "Xin lỗi ông/bà."}, page) == 303
    assert _post(client, f"{page}/dong", {}, page) == 303
    assert _post(client, f"{page}/dong", {}, page) == 400  # already closed
    html = client.get(page).get_data(as_text=True)
    assert "Đã đóng" in html and "Xin lỗi ông/bà." in html and "Mở lại" in html


def test_wrong_state_over_http_is_400(counter: Counter, client: FlaskClient) -> None:
    c = complaints.mark(_respond(counter), "phuc_vu", make_user("nv.mot", "staff", counter.unit))
    login_as(client, "unit_head", counter.unit)
    page = f"/phan-anh/{c.id}"
    got = client.post(f"{page}/dong", data={"csrf_token": csrf_of(client, page)})
    assert got.status_code == 400
    assert "Chỉ đóng được phản ánh đã có trả lời." in got.get_data(as_text=True)
    assert client.get("/phan-anh?trang_thai=xyz").status_code == 400


def test_script_comment_shows_as_text(counter: Counter, client: FlaskClient) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(
        _respond(counter, "<script>alert(1)</script> Cán bộ <b>chậm</b>"), "phuc_vu", head
    )
    complaints.answer(c, "<i>Xin lỗi</i>", head)
    login_as(client, "unit_head", counter.unit)
    for path in ("/phan-anh", f"/phan-anh/{c.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>chậm</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Cán bộ &lt;b&gt;chậm&lt;/b&gt;" in html
    assert "&lt;i&gt;Xin lỗi&lt;/i&gt;" in client.get(f"/phan-anh/{c.id}").get_data(as_text=True)


def test_handling_times_on_known_data(counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    t0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
    # answer after 1, 2, 3, 4, 10 hours; closed after 2, 4, 6 hours; two left open.
    answer_h = [1, 2, 3, 4, 10]
    close_h = [2, 4, 6, None, None]
    for i, (a, c) in enumerate(zip(answer_h, close_h, strict=True)):
        made = t0 + timedelta(days=i)
        item = complaints.mark(_respond(counter), "phuc_vu", head, now=made)
        complaints.answer(item, "Đã trả lời", head, now=made + timedelta(hours=a))
        if c is not None:
            complaints.close(item, head, now=made + timedelta(hours=c))
    # one unanswered for 10 days (overdue), one for 2 days (not yet)
    complaints.mark(_respond(counter), "phuc_vu", head, now=t0 + timedelta(days=10))
    complaints.mark(_respond(counter), "phuc_vu", head, now=t0 + timedelta(days=18))
    now = t0 + timedelta(days=20)
    (t,) = complaints.handling_times(head, t0, now, now)
    assert (t.total, t.open, t.overdue) == (7, 4, 1)
    assert t.answer_median == pytest.approx(3.0)
    assert t.answer_p90 == pytest.approx(4 + 0.6 * 6)  # linear: between 4 and 10
    assert t.close_median == pytest.approx(4.0)
    assert t.close_p90 == pytest.approx(4 + 0.8 * 2)
    assert complaints.handling_times(head, now, now + timedelta(days=1), now) == []


def test_list_shows_the_units_handling_times(counter: Counter, client: FlaskClient) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(_respond(counter), "phuc_vu", head, now=utcnow() - timedelta(hours=5))
    complaints.answer(c, "Đã trả lời", head, now=utcnow() - timedelta(hours=2))
    login_as(client, "unit_head", counter.unit)
    html = client.get("/phan-anh").get_data(as_text=True)
    assert "Thời gian xử lý" in html
    assert re.search(r"Đơn vị Một</td><td class=\"num\" data-label=\"Tổng\">1</td>", html)
    assert "3,0 / 3,0" in html


def test_users_without_login_are_redirected(client: FlaskClient) -> None:
    assert client.get("/phan-anh").status_code in (302, 303)
    assert isinstance(User, type)
