"""Inspector pages: Q5/Q6 integrity rates per unit and counter, conduct complaints, scope, and
that none of it reaches counter staff, unit heads or the office."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Response, Unit
from survey_app.services import complaints, org
from survey_app.services.analytics import integrity
from survey_app.services.analytics.office import parse_filters
from survey_app.services.formatting import percent
from survey_app.services.ingest import responses

from ..factories import login_as, make_counter, make_unit, make_user, token_of

MARCH = datetime(2026, 3, 10, 3, tzinfo=UTC)  # 10:00 in Vietnam, period 2026-03
FEBRUARY = datetime(2026, 2, 10, 3, tzinfo=UTC)
CONDUCT = "<script>alert(1)</script> Cán bộ <b>đòi</b> tiền bồi dưỡng"
SERVICE = "Phòng chờ nóng quá"
Z = 1.959963984540054


def wilson(x: int, n: int) -> tuple[float, float, float]:
    """Rate and 95 % Wilson interval in percent, computed here independently."""
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return 100 * p, 100 * (centre - half), 100 * (centre + half)


def _submit(
    counter: Counter, answers: dict[str, int], when: datetime, comment: str | None = None
) -> int:
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    sub = responses.Submission(answers=answers, comment=comment, submitted_at=when)
    return responses.submit(info, forms.get(info.questionnaire_id), sub).response_id


@pytest.fixture
def world(app: Flask) -> dict[str, object]:
    """P (province) → A (counters Q1, Q2), B (counter Q1).

    March: A/Q1 10 answers of Q5 with 3 of them 2–3, Q6 1 of 10; A/Q2 20 answers, Q5 all 1;
    B/Q1 5 answers, all 1.  February: A/Q1 10 answers, all 1.
    """
    root = make_unit("P", "Tỉnh thử")
    a = make_unit("A", "Trung tâm A", parent=root)
    b = make_unit("B", "Trung tâm B", parent=root)
    a1, a2, b1 = (
        make_counter(a, "Q1", "Quầy A1"),
        make_counter(a, "Q2", "Quầy A2"),
        make_counter(b, "Q1", "Quầy B1"),
    )
    for i in range(10):
        _submit(a1, {"C1": 4, "Q5": (2, 3, 2)[i] if i < 3 else 1, "Q6": 3 if i == 9 else 1}, MARCH)
        _submit(a1, {"C1": 4, "Q5": 1, "Q6": 1}, FEBRUARY)
    for _ in range(20):
        _submit(a2, {"C1": 5, "Q5": 1, "Q6": 1}, MARCH)
    for _ in range(5):
        _submit(b1, {"C1": 5, "Q5": 1, "Q6": 1}, MARCH)
    conduct_in = _submit(a1, {"C1": 2}, MARCH, CONDUCT)
    service_in = _submit(a1, {"C1": 2}, MARCH, SERVICE)
    conduct_out = _submit(b1, {"C1": 2}, MARCH, "Cán bộ quầy B hách dịch")
    head_a, head_b = make_user("truong.a", "unit_head", a), make_user("truong.b", "unit_head", b)
    ids = {}
    for name, rid, kind, head in (
        ("conduct_in", conduct_in, "thai_do", head_a),
        ("service_in", service_in, "phuc_vu", head_a),
        ("conduct_out", conduct_out, "thai_do", head_b),
    ):
        ids[name] = complaints.mark(db.session.get(Response, rid), kind, head).id
    return {"P": root, "A": a, "B": b, **ids}


def _filters(ky: str = "2026-03") -> object:
    return parse_filters({"ky": ky})


def test_unit_rates_and_intervals_come_from_scoring(world: dict[str, object]) -> None:
    inspector = make_user("thanh.tra", "inspector", world["P"])  # type: ignore[arg-type]
    lines = {line.code: line for line in integrity.unit_lines(inspector, _filters())}
    assert list(lines) == ["P", "A", "B"]  # the tree: the province, then its units
    q5, q6 = lines["A"].signals
    assert q5.n == 30  # 10 + 20: the responses with a comment only left Q5 unanswered
    rate, low, high = wilson(3, 30)
    assert (q5.rate, q5.ci_low, q5.ci_high) == pytest.approx((rate, low, high), abs=1e-9)
    assert q6.rate == pytest.approx(100 / 30) and q6.n == 30
    # 3 of 30: the Wilson lower bound (3.5 %) is under the 5 % threshold: no flag
    assert q5.flag == "some" and lines["A"].flag == "some" and not lines["A"].flagged
    # B: 5 answers, none 2–3 → too few to say; P pools A and B
    assert [s.flag for s in lines["B"].signals] == ["insufficient_data"] * 2
    assert lines["P"].signals[0].n == 35
    assert lines["P"].signals[0].rate == pytest.approx(wilson(3, 35)[0])


def test_a_significant_rise_against_the_previous_period_is_flagged(
    world: dict[str, object],
) -> None:
    a = world["A"]
    a1 = db.session.scalar(
        db.select(Counter).where(
            Counter.unit_id == a.id,  # type: ignore
            Counter.code == "Q1",
        )
    )
    for _ in range(40):  # February had 0 of 10; March now 3 + 20 of 50 at A/Q1
        _submit(a1, {"Q5": 1}, FEBRUARY)
    for _ in range(20):
        _submit(a1, {"Q5": 3}, MARCH)
    a2 = db.session.scalar(
        db.select(Counter).where(
            Counter.unit_id == a.id,  # type: ignore
            Counter.code == "Q2",
        )
    )
    for _ in range(10):  # A/Q2: 30 answers of 1
        _submit(a2, {"Q5": 1, "Q6": 1}, MARCH)
    lines = {c.code: c for c in integrity.counter_lines(a, _filters())}  # type: ignore[arg-type]
    q5 = lines["Q1"].signals[0]
    assert (
        q5.flag == "rising" and q5.change_significant and q5.change == pytest.approx(100 * 23 / 30)
    )
    assert [(s.n, s.rate, s.flag) for s in lines["Q2"].signals] == [(30, 0.0, "none")] * 2


def test_inspector_page_lists_units_rates_and_conduct_complaints(
    world: dict[str, object], client: FlaskClient
) -> None:
    login_as(client, "inspector", world["P"])  # type: ignore[arg-type]
    resp = client.get("/thanh-tra?ky=2026-03")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    row = re.search(r'<tr data-unit="A".*?</tr>', html, re.S)
    assert row is not None
    rate, low, high = wilson(3, 30)
    assert percent(rate) in row.group(0) and f"{percent(low)}–{percent(high)}" in row.group(0)
    assert "có, chưa vượt ngưỡng" in row.group(0)
    # conduct complaints of the scope, linking to the complaint; not service complaints
    assert f'href="/phan-anh/{world["conduct_in"]}"' in html
    assert f'href="/phan-anh/{world["conduct_out"]}"' in html
    assert f'/phan-anh/{world["service_in"]}"' not in html and SERVICE not in html
    assert "<script>alert(1)" not in html and "&lt;b&gt;đòi&lt;/b&gt;" in html
    # another period: nothing there
    html = client.get("/thanh-tra?ky=2025-03").get_data(as_text=True)
    assert f'href="/phan-anh/{world["conduct_in"]}"' not in html


def test_drill_down_to_counters(world: dict[str, object], client: FlaskClient) -> None:
    login_as(client, "inspector", world["P"])  # type: ignore[arg-type]
    html = client.get("/thanh-tra/don-vi/A?ky=2026-03").get_data(as_text=True)
    q1 = re.search(r'<tr data-counter="Q1".*?</tr>', html, re.S)
    q2 = re.search(r'<tr data-counter="Q2".*?</tr>', html, re.S)
    assert q1 and q2
    assert percent(wilson(3, 10)[0]) in q1.group(0) and "n = 10" in q1.group(0)
    assert "0,0" in q2.group(0) and "n = 20" in q2.group(0)
    assert f'href="/phan-anh/{world["conduct_in"]}"' in html
    assert f'href="/phan-anh/{world["conduct_out"]}"' not in html  # B's, not A's


def test_scope_an_inspector_of_a_unit_sees_only_its_subtree(
    world: dict[str, object], client: FlaskClient
) -> None:
    login_as(client, "inspector", world["A"])  # type: ignore[arg-type]
    html = client.get("/thanh-tra?ky=2026-03").get_data(as_text=True)
    assert 'data-unit="A"' in html and 'data-unit="B"' not in html
    assert 'data-unit="P"' not in html
    assert f'href="/phan-anh/{world["conduct_out"]}"' not in html
    assert client.get("/thanh-tra/don-vi/B").status_code == 404
    assert client.get("/thanh-tra/don-vi/P").status_code == 404
    assert client.get("/thanh-tra/don-vi/NOPE").status_code == 404


def test_bad_period_is_a_friendly_400(world: dict[str, object], client: FlaskClient) -> None:
    login_as(client, "inspector", world["P"])  # type: ignore[arg-type]
    resp = client.get("/thanh-tra?ky=2026-Q9")
    assert resp.status_code == 400 and "Kỳ không hợp lệ" in resp.get_data(as_text=True)
    assert client.get("/thanh-tra?moc=x").status_code == 400


@pytest.mark.parametrize("role", ["staff", "unit_head", "office"])
def test_other_roles_get_403(world: dict[str, object], client: FlaskClient, role: str) -> None:
    login_as(client, role, world["P"])  # type: ignore[arg-type]
    assert client.get("/thanh-tra").status_code == 403
    assert client.get("/thanh-tra/don-vi/A").status_code == 403


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_counter_staff_never_see_integrity_signals(
    world: dict[str, object], client: FlaskClient
) -> None:
    """The staff of the counter concerned: no Q5/Q6 figures or wording, no conduct
    complaint, on their home page, its refresh, the trend and the complaints pages."""
    a = world["A"]
    login_as(client, "staff", a)  # type: ignore[arg-type]
    q5_text = forms.get("sipas-2024-dv").item("Q5").text.get("vi")
    q6_text = forms.get("sipas-2024-dv").item("Q6").text.get("vi")
    pages = [
        "/nhan-vien?ngay=2026-03-10",
        "/nhan-vien/moi?ngay=2026-03-10&sau=0",
        "/phan-anh",
        "/phan-anh?trang_thai=moi",
    ]
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        text = _visible_text(resp.get_data(as_text=True))
        for needle in (
            "Q5",
            "Q6",
            q5_text,
            q6_text,
            "sách nhiễu",
            "ngoài quy định",
            "liêm chính",
            "đòi",
            "hách dịch",
        ):
            assert needle not in text, (path, needle)
    home = client.get("/nhan-vien?ngay=2026-03-10").get_data(as_text=True)
    assert SERVICE in home  # the page does show comments: the conduct one is left out
    assert client.get(f"/phan-anh/{world['conduct_in']}").status_code == 404
    assert client.get(f"/phan-anh/{world['service_in']}").status_code == 200


@pytest.mark.parametrize("role", ["unit_head", "office"])
def test_office_pages_show_no_integrity_rates(
    world: dict[str, object], client: FlaskClient, role: str
) -> None:
    """Integrity rates appear for inspector-scoped views only (issue 5: "for
    inspector-scoped reports only"): not in the office overview nor its drill-down."""
    login_as(client, role, world["P"])  # type: ignore[arg-type]
    for path in (
        "/van-phong?ky=2026-03",
        "/van-phong/don-vi/A?ky=2026-03",
        "/van-phong/don-vi/A/quay/Q1?ky=2026-03",
    ):
        resp = client.get(path)
        assert resp.status_code == 200, path
        text = _visible_text(resp.get_data(as_text=True))
        assert "Q5" not in text and "Q6" not in text and "sách nhiễu" not in text, path


def test_admin_sees_every_unit(world: dict[str, object], client: FlaskClient) -> None:
    login_as(client, "admin", None)
    html = client.get("/thanh-tra?ky=2026-03").get_data(as_text=True)
    for code in ("A", "B", "P"):
        assert f'data-unit="{code}"' in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Unit)) == 3
