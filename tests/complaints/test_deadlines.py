"""Complaint deadlines (issue 16, point 5): due dates in working days from the holidays
table, complaints opened by themselves, escalation with a frozen clock, the on-time share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import (
    Alert,
    AlertRule,
    Complaint,
    ComplaintEvent,
    Counter,
    Delivery,
    Response,
    User,
    Webhook,
)
from survey_app.services import alerts, complaints, queue
from survey_app.services.clock import local_day
from survey_app.services.org import holidays

from ..factories import login_as, make_counter, make_unit, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MON_1_FEB_2027 = datetime(2027, 2, 1, 9, 0, tzinfo=VN)


def _respond(
    counter: Counter,
    answers: dict[str, int],
    comment: str | None = "Chờ lâu quá",
    at: datetime = MON_1_FEB_2027,
) -> Response:
    response = Response(
        questionnaire_id="sipas-2024-dv",
        unit_id=counter.unit_id,
        counter_id=counter.id,
        target_group="chung",
        submitted_at=at,
        local_day=local_day(at),
        answers=answers,
        comment=comment,
        source="qr",
    )
    db.session.add(response)
    db.session.commit()
    return response


@pytest.fixture
def counter(app: Flask) -> Counter:
    holidays.forget()
    return make_counter(make_unit("U1", "Đơn vị Một"), "Q1", "Quầy Một")


# --- due dates ------------------------------------------------------------------------------


def test_the_seeded_holidays_are_the_shipped_ones(app: Flask) -> None:
    calendar = holidays.calendar()
    assert date(2027, 2, 8) in calendar.off  # Tết 2027
    assert date(2026, 9, 2) in calendar.off
    assert {d.year for d in calendar.off} == {2026, 2027}


def test_marking_sets_the_due_date_across_tet(app: Flask, counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(_respond(counter, {"A1": 2}), "phuc_vu", head, now=MON_1_FEB_2027)
    # 5 working days (the default): 2, 3, 11, 12 and 15 February → due at the 15th's end.
    assert app.config["COMPLAINT_DUE_WORKING_DAYS"] == 5
    assert c.due_at == datetime(2027, 2, 16, 0, 0, tzinfo=VN)


def test_an_edited_holiday_moves_the_due_date(app: Flask, counter: Counter) -> None:
    admin = make_user("quantri", "admin")
    head = make_user("truong", "unit_head", counter.unit)
    holidays.add(admin, holidays.HolidayInput("2027-02-15", "Nghỉ thêm", "nghi"))
    c = complaints.mark(_respond(counter, {"A1": 2}), "phuc_vu", head, now=MON_1_FEB_2027)
    assert c.due_at == datetime(2027, 2, 17, 0, 0, tzinfo=VN)  # 2, 3, 11, 12, 16


def test_overdue_counts_use_the_due_date(app: Flask, counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    complaints.mark(_respond(counter, {"A1": 2}), "phuc_vu", head, now=MON_1_FEB_2027)
    start, end = MON_1_FEB_2027 - timedelta(days=1), MON_1_FEB_2027 + timedelta(days=60)
    just_before = datetime(2027, 2, 15, 23, 59, tzinfo=VN)
    just_after = datetime(2027, 2, 16, 0, 1, tzinfo=VN)
    assert complaints.handling_times(head, start, end, just_before)[0].overdue == 0
    assert complaints.handling_times(head, start, end, just_after)[0].overdue == 1


def test_the_old_setting_name_still_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from ..conftest import make_app

    monkeypatch.setenv("SIPAS_COMPLAINT_DUE_DAYS", "9")
    assert make_app(f"sqlite:///{tmp_path}/a.sqlite").config["COMPLAINT_DUE_WORKING_DAYS"] == 9
    monkeypatch.setenv("SIPAS_COMPLAINT_DUE_WORKING_DAYS", "3")
    assert make_app(f"sqlite:///{tmp_path}/b.sqlite").config["COMPLAINT_DUE_WORKING_DAYS"] == 3


# --- complaints opened by themselves --------------------------------------------------------


def _auto_on(counter: Counter) -> None:
    counter.unit.auto_complaints = True
    db.session.commit()


def test_nothing_opens_while_the_setting_is_off(app: Flask, counter: Counter) -> None:
    response = _respond(counter, {"A1": 1})
    assert complaints.open_for(response.id) is None
    assert db.session.scalar(select(Complaint.id)) is None


@pytest.mark.parametrize(
    ("answers", "comment", "kind"),
    [
        ({"A1": 2, "A2": 4}, "Chờ lâu", "phuc_vu"),
        ({"A1": 5, "Q5": 2}, "Bị gợi ý bồi dưỡng", "thai_do"),
        ({"A1": 1, "Q6": 3}, "Bị gây khó dễ", "thai_do"),  # integrity first
        ({"A1": 3, "Q5": 1}, "Bình thường", None),  # no low rating, Q5 = 1 is fine
        ({"A1": 1}, None, None),  # no comment
        ({"A1": 1}, "   ", None),
    ],
)
def test_what_opens_a_complaint(
    app: Flask, counter: Counter, answers: dict[str, int], comment: str | None, kind: str | None
) -> None:
    _auto_on(counter)
    response = _respond(counter, answers, comment)
    opened = complaints.open_for(response.id, now=MON_1_FEB_2027)
    assert (opened.kind if opened else None) == kind
    if opened is not None:
        assert opened.due_at == datetime(2027, 2, 16, 0, 0, tzinfo=VN)
        (event,) = complaints.history(opened)
        assert (event.action, event.actor_id, event.note) == ("danh_dau", None, "tu_dong")


def test_once_per_response(app: Flask, counter: Counter) -> None:
    _auto_on(counter)
    response = _respond(counter, {"A1": 2})
    assert complaints.open_for(response.id) is not None
    assert complaints.open_for(response.id) is None
    assert len(db.session.scalars(select(Complaint)).all()) == 1


def test_the_queue_task_opens_it(app: Flask, counter: Counter) -> None:
    _auto_on(counter)
    response = _respond(counter, {"A1": 2})
    queue.of().tasks[alerts.EVALUATE].call_local(response.id)  # what the worker runs
    assert db.session.scalar(select(Complaint.kind)) == "phuc_vu"


def test_a_conduct_complaint_is_hidden_from_the_counter(
    app: Flask, counter: Counter, client: FlaskClient
) -> None:
    _auto_on(counter)
    opened = complaints.open_for(_respond(counter, {"A1": 4, "Q5": 3}, "Đòi tiền").id)
    assert opened is not None
    clerk = make_user("nv.mot", "staff", counter.unit)
    head = make_user("truong", "unit_head", counter.unit)
    assert complaints.get_visible(clerk, opened.id) is None
    assert complaints.get_visible(head, opened.id) is not None
    login_as(client, "staff", counter.unit, "nv.hai")
    assert client.get(f"/phan-anh/{opened.id}").status_code == 404
    assert "Đòi tiền" not in client.get("/nhan-vien").get_data(as_text=True)


def test_the_unit_head_turns_it_on_audited(
    app: Flask, counter: Counter, client: FlaskClient
) -> None:
    from survey_app.models import AuditEntry

    from ..factories import csrf_of

    login_as(client, "unit_head", counter.unit, "truong")
    token = csrf_of(client, "/canh-bao/quy-tac?don_vi=U1")
    assert (
        client.post("/canh-bao/phan-anh-tu-dong", data={"don_vi": "U1", "bat": "1"}).status_code
        == 400
    )
    resp = client.post(
        "/canh-bao/phan-anh-tu-dong", data={"csrf_token": token, "don_vi": "U1", "bat": "1"}
    )
    assert resp.status_code == 303
    db.session.refresh(counter.unit)
    assert counter.unit.auto_complaints is True
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit.auto_complaints"))
    assert entry is not None and entry.after == {"auto_complaints": True}


def test_staff_cannot_turn_it_on(app: Flask, counter: Counter, client: FlaskClient) -> None:
    from ..factories import csrf_of

    login_as(client, "staff", counter.unit, "nv.mot")
    token = csrf_of(client, "/nhan-vien")
    resp = client.post(
        "/canh-bao/phan-anh-tu-dong", data={"csrf_token": token, "don_vi": "U1", "bat": "1"}
    )
    assert resp.status_code == 403
    db.session.refresh(counter.unit)
    assert counter.unit.auto_complaints is False


# --- escalation -----------------------------------------------------------------------------


@pytest.fixture
def addressed(counter: Counter) -> Counter:
    db.session.add_all(
        [
            AlertRule(unit_id=counter.unit_id, kind="digest", emails="truong@example.vn"),
            AlertRule(unit_id=counter.unit_id, kind="digest_weekly", emails="vp@example.vn"),
            Webhook(unit_id=counter.unit_id, url="https://relay.example.vn/x", secret="s"),
        ]
    )
    db.session.commit()
    return counter


def _escalations(complaint: Complaint) -> list[str | None]:
    return [
        e.note
        for e in db.session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "leo_thang"
            )
        )
    ]


def test_not_taken_up_within_8_working_hours_goes_to_the_head_once(
    app: Flask, addressed: Counter
) -> None:
    head = make_user("truong", "unit_head", addressed.unit)
    # Wednesday 3 February 2027, 15:00: 2 working hours that day (until 17:00), then Tết and
    # a weekend; Thursday 11 February 07:30 + 6 h = 13:30 makes 8.
    at = datetime(2027, 2, 3, 15, 0, tzinfo=VN)
    c = complaints.mark(_respond(addressed, {"A1": 2}, at=at), "phuc_vu", head, now=at)
    assert complaints.escalate(datetime(2027, 2, 11, 13, 29, tzinfo=VN)).head == []
    done = complaints.escalate(datetime(2027, 2, 11, 13, 31, tzinfo=VN))
    assert done.head == [c.id] and done.office == []
    assert complaints.escalate(datetime(2027, 2, 11, 14, 0, tzinfo=VN)).head == []  # once
    db.session.refresh(c)
    assert c.escalated_head_at == datetime(2027, 2, 11, 13, 31, tzinfo=VN)
    assert _escalations(c) == ["lanh_dao"]
    (alert,) = db.session.scalars(select(Alert)).all()
    assert (alert.kind, alert.details["complaint"]) == ("complaint_head", c.id)
    targets = sorted(d.target for d in db.session.scalars(select(Delivery)))
    assert targets == ["https://relay.example.vn/x", "truong@example.vn"]


def test_an_assigned_complaint_does_not_go_to_the_head(app: Flask, addressed: Counter) -> None:
    head = make_user("truong", "unit_head", addressed.unit)
    clerk = make_user("nv.mot", "staff", addressed.unit)
    c = complaints.mark(_respond(addressed, {"A1": 2}), "phuc_vu", head, now=MON_1_FEB_2027)
    complaints.assign(c, clerk, head, now=MON_1_FEB_2027 + timedelta(hours=1))
    assert complaints.escalate(MON_1_FEB_2027 + timedelta(days=3)).head == []


def test_past_due_goes_to_the_office_once_and_conduct_never_to_a_relay(
    app: Flask, addressed: Counter
) -> None:
    _auto_on(addressed)
    c = complaints.open_for(_respond(addressed, {"Q6": 2}, "Gây khó dễ").id, now=MON_1_FEB_2027)
    assert c is not None and c.kind == "thai_do"
    head = make_user("truong", "unit_head", addressed.unit)
    clerk = make_user("nv.mot", "staff", addressed.unit)
    complaints.assign(c, head, head, now=MON_1_FEB_2027 + timedelta(hours=1))  # taken up
    assert complaints.escalate(datetime(2027, 2, 15, 23, 59, tzinfo=VN)).office == []
    late = datetime(2027, 2, 16, 0, 1, tzinfo=VN)
    assert complaints.escalate(late).office == [c.id]
    assert complaints.escalate(late + timedelta(days=1)).office == []
    assert _escalations(c) == ["van_phong"]
    (alert,) = db.session.scalars(select(Alert)).all()
    assert alert.kind == "complaint_office"
    assert [d.target for d in db.session.scalars(select(Delivery))] == ["vp@example.vn"]
    assert alerts.visible(head, alert.id) is not None
    assert alerts.visible(clerk, alert.id) is None  # never the counter's staff


def test_the_alerts_page_links_the_escalated_complaint(
    app: Flask, counter: Counter, client: FlaskClient
) -> None:
    head = login_as(client, "unit_head", counter.unit, "truong")
    c = complaints.mark(_respond(counter, {"A1": 2}), "phuc_vu", head, now=MON_1_FEB_2027)
    complaints.escalate(MON_1_FEB_2027 + timedelta(days=30))
    html = client.get("/canh-bao").get_data(as_text=True)
    assert "Phản ánh quá hạn trả lời" in html and "Phản ánh chưa có người nhận xử lý" in html
    assert f'href="/phan-anh/{c.id}"' in html
    detail = client.get(f"/phan-anh/{c.id}").get_data(as_text=True)
    assert "quá hạn trả lời, chuyển lên văn phòng" in detail and "hệ thống" in detail


def test_an_answered_complaint_is_not_escalated(app: Flask, addressed: Counter) -> None:
    head = make_user("truong", "unit_head", addressed.unit)
    c = complaints.mark(_respond(addressed, {"A1": 2}), "phuc_vu", head, now=MON_1_FEB_2027)
    complaints.answer(c, "Đã xin lỗi.", head, now=MON_1_FEB_2027 + timedelta(hours=2))
    assert complaints.escalate(MON_1_FEB_2027 + timedelta(days=30)) == complaints.Escalated([], [])


def test_an_escalation_without_addresses_is_still_an_alert(app: Flask, counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    c = complaints.mark(_respond(counter, {"A1": 2}), "phuc_vu", head, now=MON_1_FEB_2027)
    done = complaints.escalate(MON_1_FEB_2027 + timedelta(days=30))
    assert done.head == [c.id] and done.office == [c.id]
    assert {a.kind for a in alerts.unacknowledged(head)} == {"complaint_head", "complaint_office"}
    assert db.session.scalar(select(Delivery.id)) is None


# --- the on-time share ----------------------------------------------------------------------


def _complaint(
    counter: Counter, head: User, due: datetime, answered: datetime | None, status: str = ""
) -> Complaint:
    c = complaints.mark(_respond(counter, {"A1": 2}), "phuc_vu", head, now=due - timedelta(days=7))
    c.due_at = due
    if answered is not None:
        c.answered_at, c.status, c.answer = answered, "da_tra_loi", "Đã trả lời"
    if status:
        c.status = status
    db.session.commit()
    return c


def test_on_time_share_hand_computed(app: Flask, counter: Counter) -> None:
    head = make_user("truong", "unit_head", counter.unit)
    other = make_counter(make_unit("U2", "Đơn vị Hai"), "Q2", "Quầy Hai")
    head2 = make_user("truong.hai", "unit_head", other.unit)
    march = datetime(2027, 3, 10, 0, 0, tzinfo=VN)
    _complaint(counter, head, march, march - timedelta(hours=3))  # on time
    _complaint(counter, head, march, march)  # on time: at the deadline itself
    _complaint(counter, head, march, march + timedelta(minutes=1))  # late
    _complaint(counter, head, march, None)  # open, overdue
    _complaint(counter, head, datetime(2027, 3, 31, 0, 0, tzinfo=VN), None)  # not due yet
    _complaint(counter, head, march, None, status="da_rut")  # withdrawn: never counted
    _complaint(counter, head, datetime(2027, 4, 1, 0, 0, tzinfo=VN), march)  # due in April
    _complaint(other, head2, march, None)
    start = datetime(2027, 3, 1, 0, 0, tzinfo=VN)
    end = datetime(2027, 4, 1, 0, 0, tzinfo=VN)
    now = datetime(2027, 3, 20, 12, 0, tzinfo=VN)
    found = complaints.on_time([counter.unit_id, other.unit_id], start, end, now)
    mine = found[counter.unit_id]
    assert (mine.due, mine.answered_on_time, mine.answered_late, mine.open_overdue) == (4, 2, 1, 1)
    assert mine.share == 0.5
    assert found[other.unit_id].share == 0.0
    april = complaints.on_time([counter.unit_id], end, end + timedelta(days=1), now)
    assert april[counter.unit_id].answered_on_time == 1  # due 1 April: counted in April
    empty = complaints.on_time([counter.unit_id], start - timedelta(days=1), start, now)
    assert empty[counter.unit_id].due == 0 and empty[counter.unit_id].share is None


def test_the_complaints_page_shows_the_share_for_a_period(
    app: Flask, counter: Counter, client: FlaskClient
) -> None:
    head = login_as(client, "unit_head", counter.unit, "truong")
    due = datetime(2026, 10, 15, 0, 0, tzinfo=VN)
    _complaint(counter, head, due, due - timedelta(days=1))
    _complaint(counter, head, due, None)
    html = client.get("/phan-anh?loai=quy&nam=2026&quy=4&moc=lich").get_data(as_text=True)
    assert "Trả lời đúng hạn" in html
    assert 'data-label="Tỉ lệ đúng hạn">50,0 %</td>' in html
    bad = client.get("/phan-anh?loai=thang&nam=1999&thang=1&moc=lich")
    assert bad.status_code == 400
    assert "Năm phải là một số từ 2000 đến 2100" in bad.get_data(as_text=True)


def test_staff_do_not_see_the_share(app: Flask, counter: Counter, client: FlaskClient) -> None:
    login_as(client, "staff", counter.unit, "nv.mot")
    assert "Trả lời đúng hạn" not in client.get("/phan-anh").get_data(as_text=True)
