"""The office overview: scope, numbers, sorting, filters, drill-down, change, escaping."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from flask import Flask
from flask.testing import FlaskClient

import forms
from scoring import Cutoff, Estimate, compare
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Response, Unit
from survey_app.services.analytics.scores import score_database
from survey_app.services.analytics.slices import Slice
from survey_app.services.formatting import percent

from ..factories import login_as, make_counter, make_procedure, make_unit

DV = forms.get("sipas-2024-dv")
FACTOR_ITEMS = [c for codes in DV.factors().values() for c in codes]
Q3 = date(2026, 8, 10)  # in 2026-Q3 (a closed quarter: stored half-months are used)
Q2 = date(2026, 5, 10)


def respond(
    counter: Counter,
    value: int,
    n: int = 1,
    day: date = Q3,
    channel: str | None = "truc_tiep",
    procedure: Procedure | None = None,
    target_group: str = "chung",
) -> None:
    """``n`` responses answering every factor item with ``value``."""
    at = datetime.combine(day, time(3, 0), tzinfo=UTC)  # 10:00 in Hà Nội, same day
    db.session.add_all(
        Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=counter.unit_id,
            counter_id=counter.id,
            procedure_id=procedure.id if procedure else None,
            target_group=target_group,
            channel=channel,
            submitted_at=at,
            local_day=day,
            answers=dict.fromkeys(FACTOR_ITEMS, value),
            source="qr",
        )
        for _ in range(n)
    )
    db.session.commit()


def unit_order(html: str) -> list[str]:
    return re.findall(r'<tr data-unit="([^"]+)"', html)


@pytest.fixture
def tree(app: Flask) -> dict[str, Unit]:
    """Province P with communes A and B; another province O."""
    p = make_unit("P", "Tỉnh Phía Bắc")
    a = make_unit("A", "Xã An", parent=p)
    b = make_unit("B", "Xã Bình", parent=p)
    o = make_unit("O", "Tỉnh Khác")
    return {"P": p, "A": a, "B": b, "O": o}


@pytest.mark.parametrize(
    ("role", "status"),
    [("staff", 403), ("inspector", 403), ("office", 200), ("unit_head", 200), ("admin", 200)],
)
def test_who_may_open_the_overview(
    tree: dict[str, Unit], client: FlaskClient, role: str, status: int
) -> None:
    login_as(client, role, None if role == "admin" else tree["P"])
    assert client.get("/van-phong?ky=2026-Q3").status_code == status
    unit_status = client.get("/van-phong/don-vi/A?ky=2026-Q3").status_code
    assert unit_status == status


def test_signed_out_goes_to_login(tree: dict[str, Unit], client: FlaskClient) -> None:
    resp = client.get("/van-phong")
    assert resp.status_code == 302 and "/dang-nhap" in resp.headers["Location"]


def test_office_sees_only_its_subtree(tree: dict[str, Unit], client: FlaskClient) -> None:
    login_as(client, "office", tree["P"])
    html = client.get("/van-phong?ky=2026-Q3").get_data(as_text=True)
    assert sorted(unit_order(html)) == ["A", "B", "P"]
    assert "Tỉnh Khác" not in html
    assert client.get("/van-phong/don-vi/O").status_code == 404
    assert client.get("/van-phong/don-vi/KHONG-CO").status_code == 404


def test_unit_head_sees_only_their_unit(tree: dict[str, Unit], client: FlaskClient) -> None:
    login_as(client, "unit_head", tree["A"])
    html = client.get("/van-phong?ky=2026-Q3").get_data(as_text=True)
    assert unit_order(html) == ["A"]
    assert client.get("/van-phong/don-vi/P").status_code == 404
    assert client.get("/van-phong/don-vi/B").status_code == 404


def test_admin_sees_every_unit(tree: dict[str, Unit], client: FlaskClient) -> None:
    login_as(client, "admin", None)
    html = client.get("/van-phong?ky=2026-Q3").get_data(as_text=True)
    assert sorted(unit_order(html)) == ["A", "B", "O", "P"]


def _row(html: str, code: str) -> str:
    found = re.search(rf'<tr data-(?:unit|counter)="{re.escape(code)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(1)


def test_numbers_equal_score_database(tree: dict[str, Unit], client: FlaskClient) -> None:
    qa, qb = make_counter(tree["A"], "Q1"), make_counter(tree["B"], "Q1")
    respond(qa, 5, 25)
    respond(qa, 2, 10)
    respond(qb, 4, 12)
    respond(qb, 1, 3)
    login_as(client, "office", tree["P"])
    html = client.get("/van-phong?ky=2026-Q3").get_data(as_text=True)
    groups = score_database(
        Slice(start=date(2026, 7, 1), end=date(2026, 9, 30), by=("unit",), unit_code="P")
    )
    assert {g["group"]["unit"] for g in groups} == {"P", "A", "B"}
    for g in groups:
        row = _row(html, g["group"]["unit"])
        assert f'<td class="num">{g["n"]}</td>' in row
        assert percent(g["sipas"]["index"]) in row
        assert f"{percent(g['sipas']['ci_low'])}–{percent(g['sipas']['ci_high'])}" in row
        for factor in ("A", "B", "C", "D", "E"):
            assert percent(g["factors"][factor]["index"]) in row
        assert percent(g["target"]) in row
    assert "chưa đủ dữ liệu" in _row(html, "B")  # n = 15 < 30
    assert "dưới mục tiêu" in _row(html, "A") and '<td class="num">50</td>' in _row(html, "P")


def test_sorting_by_sipas_both_ways(tree: dict[str, Unit], client: FlaskClient) -> None:
    respond(make_counter(tree["A"]), 5, 5)
    respond(make_counter(tree["B"]), 1, 5)
    login_as(client, "office", tree["P"])
    up = client.get("/van-phong?ky=2026-Q3&sap_xep=sipas&chieu=tang").get_data(as_text=True)
    down = client.get("/van-phong?ky=2026-Q3&sap_xep=sipas&chieu=giam").get_data(as_text=True)
    # The tree: the province stays above its communes, which are sorted among themselves.
    assert unit_order(up) == ["P", "B", "A"]
    assert unit_order(down) == ["P", "A", "B"]
    by_name = client.get("/van-phong?ky=2026-Q3&sap_xep=ten").get_data(as_text=True)
    assert unit_order(by_name) == ["P", "A", "B"]  # Tỉnh …, Xã An, Xã Bình
    assert "sap_xep=sipas&amp;chieu=tang" in down  # the active column's link reverses it


@pytest.mark.parametrize(
    "query",
    [
        "sap_xep=ten%27",
        "chieu=len",
        "ky=2026-Q5",
        "ky=abc",
        "ky=2026-13",
        "moc=tuan",
        "nhom=khac",
        "hinh_thuc=fax",
    ],
)
def test_bad_parameters_answer_400(tree: dict[str, Unit], client: FlaskClient, query: str) -> None:
    login_as(client, "office", tree["P"])
    resp = client.get(f"/van-phong?{query}")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    if query.startswith(("ky=", "moc=")):  # the period: the page again, with its picker
        assert 'id="period-error"' in html and 'name="loai"' in html
    else:
        assert "Yêu cầu không hợp lệ" in html


def test_bad_period_message_says_how(tree: dict[str, Unit], client: FlaskClient) -> None:
    login_as(client, "office", tree["P"])
    html = client.get("/van-phong?ky=quy-3").get_data(as_text=True)
    assert "Hãy chọn loại kỳ, số và năm" in html and "quy-3" not in html


def test_channel_filter(tree: dict[str, Unit], client: FlaskClient) -> None:
    counter = make_counter(tree["A"])
    respond(counter, 5, 7, channel="truc_tiep")
    respond(counter, 1, 4, channel="buu_chinh")
    login_as(client, "office", tree["P"])
    html = client.get("/van-phong?ky=2026-Q3&hinh_thuc=buu_chinh").get_data(as_text=True)
    assert '<td class="num">4</td>' in _row(html, "A")
    assert "0,0" in _row(html, "A")
    assert '<option value="buu_chinh" selected>' in html


def test_target_group_and_procedure_filters(tree: dict[str, Unit], client: FlaskClient) -> None:
    counter = make_counter(tree["A"])
    land = make_procedure(tree["A"], "1.004227", "Đăng ký đất đai")
    birth = make_procedure(tree["A"], "2.000889", "Đăng ký khai sinh", "chung")
    respond(counter, 5, 3, procedure=land, target_group="dat_dai_xay_dung_dau_tu")
    respond(counter, 5, 6, procedure=birth)
    respond(counter, 5, 2)
    login_as(client, "office", tree["P"])
    land_html = client.get("/van-phong?ky=2026-Q3&nhom=dat_dai_xay_dung_dau_tu").get_data(
        as_text=True
    )
    assert '<td class="num">3</td>' in _row(land_html, "A")
    assert "85,0" in _row(land_html, "A")  # the land group's target
    proc_html = client.get("/van-phong?ky=2026-Q3&thu_tuc=2.000889").get_data(as_text=True)
    assert '<td class="num">6</td>' in _row(proc_html, "A")
    assert '<td class="num">0</td>' in _row(proc_html, "B")
    both = client.get("/van-phong/don-vi/A?ky=2026-Q3&nhom=chung&thu_tuc=1.004227")
    assert both.status_code == 200 and "Chưa có phản hồi trong kỳ này." in both.get_data(
        as_text=True
    )


def test_report_cutoff_moves_the_period(tree: dict[str, Unit], client: FlaskClient) -> None:
    respond(make_counter(tree["A"]), 5, 2, day=date(2026, 6, 20))  # Q2 (calendar), Q3 (report)
    login_as(client, "office", tree["P"])
    calendar = client.get("/van-phong?ky=2026-Q3").get_data(as_text=True)
    report = client.get("/van-phong?ky=2026-Q3&moc=bao_cao").get_data(as_text=True)
    assert '<td class="num">0</td>' in _row(calendar, "A")
    assert '<td class="num">2</td>' in _row(report, "A")
    assert "15/06/2026 – 14/09/2026" in report


def test_change_against_previous_period(tree: dict[str, Unit], client: FlaskClient) -> None:
    counter = make_counter(tree["A"])
    respond(counter, 5, 20, day=Q2)
    respond(counter, 1, 20, day=Q2)  # Q2: half satisfied → 50
    respond(counter, 5, 40, day=Q3)  # Q3: all satisfied → 100
    login_as(client, "office", tree["P"])
    html = client.get("/van-phong?ky=2026-Q3").get_data(as_text=True)
    before, after = (
        score_database(Slice(start=s, end=e, by=("unit",), unit_code="A"))[0]
        for s, e in ((date(2026, 4, 1), date(2026, 6, 30)), (date(2026, 7, 1), date(2026, 9, 30)))
    )
    assert before["sipas"]["index"] == pytest.approx(50.0)
    assert after["sipas"]["index"] == pytest.approx(100.0)
    known = compare(
        Estimate(40, **before["sipas"], se=None), Estimate(40, **after["sipas"], se=None)
    )
    assert known.significant and known.difference == pytest.approx(50.0)
    row = _row(html, "A")
    assert "+50,0" in row and "*</abbr>" in row
    assert "(2026-Q2)" in html
    assert "+50,0" in _row(html, "P") and "–" in _row(html, "B")


def test_change_without_significance_has_no_marker(
    tree: dict[str, Unit], client: FlaskClient
) -> None:
    counter = make_counter(tree["A"])
    respond(counter, 5, 9, day=Q2)
    respond(counter, 1, 1, day=Q2)  # 90
    respond(counter, 5, 10, day=Q3)  # 100: +10, not significant with n = 10
    login_as(client, "office", tree["P"])
    row = _row(client.get("/van-phong?ky=2026-Q3").get_data(as_text=True), "A")
    assert "+10,0" in row and "*</abbr>" not in row


def test_drill_down_unit_counter_items(tree: dict[str, Unit], client: FlaskClient) -> None:
    q1 = make_counter(tree["A"], "Q1", "Quầy Một")
    q2 = make_counter(tree["A"], "Q2", "Quầy Hai")
    respond(q1, 5, 4)
    respond(q2, 2, 3)
    make_counter(tree["O"], "Q9", "Quầy Ngoài")
    login_as(client, "office", tree["P"])
    overview = client.get("/van-phong?ky=2026-Q3&hinh_thuc=truc_tiep").get_data(as_text=True)
    assert 'href="/van-phong/don-vi/A?ky=2026-Q3&amp;hinh_thuc=truc_tiep"' in overview
    unit = client.get("/van-phong/don-vi/A?ky=2026-Q3&hinh_thuc=truc_tiep").get_data(as_text=True)
    assert '<td class="num">4</td>' in _row(unit, "Q1")
    assert '<td class="num">3</td>' in _row(unit, "Q2")
    assert 'href="/van-phong/don-vi/A/quay/Q1?ky=2026-Q3&amp;hinh_thuc=truc_tiep"' in unit
    assert 'id="item-C1"' in unit and DV.item("C1").text.vi in unit
    assert 'href="/van-phong?ky=2026-Q3&amp;hinh_thuc=truc_tiep"' in unit  # breadcrumb
    counter = client.get("/van-phong/don-vi/A/quay/Q2?ky=2026-Q3").get_data(as_text=True)
    a1 = DV.item("A1").text.vi.replace("{place}", tree["A"].place_name)
    assert "Quầy Hai" in counter and a1 in counter and "{place}" not in counter
    item = re.search(r'<tr id="item-A1">(.*?)</tr>', counter, re.S)
    assert item and '<td class="num">3</td>' in item.group(1) and "0,0" in item.group(1)
    assert 'href="/van-phong/don-vi/A?ky=2026-Q3"' in counter  # breadcrumb to the unit
    assert client.get("/van-phong/don-vi/A/quay/Q9").status_code == 404
    assert client.get("/van-phong/don-vi/O/quay/Q9").status_code == 404


def test_counter_numbers_equal_score_database(tree: dict[str, Unit], client: FlaskClient) -> None:
    q1 = make_counter(tree["A"], "Q1", "Quầy Một")
    respond(q1, 4, 31)
    respond(q1, 3, 5)
    login_as(client, "office", tree["P"])
    html = client.get("/van-phong/don-vi/A/quay/Q1?ky=2026-Q3").get_data(as_text=True)
    g = next(
        g
        for g in score_database(
            Slice(start=date(2026, 7, 1), end=date(2026, 9, 30), by=("counter",), unit_code="A")
        )
        if g["group"]["counter"] == "Q1"
    )
    for code, value in g["items"].items():
        row = re.search(rf'<tr id="item-{code}">(.*?)</tr>', html, re.S)
        assert row and percent(value["index"]) in row.group(1)
        assert f'<td class="num">{value["n"]}</td>' in row.group(1)


def test_names_are_escaped(app: Flask, client: FlaskClient) -> None:
    unit = make_unit("X", '<script>alert("u")</script> Xã <b>Đông</b>')
    counter = make_counter(unit, "Q1", "<img src=x onerror=alert(1)> Quầy")
    respond(counter, 5, 2)
    login_as(client, "office", unit)
    pages = [
        client.get(p).get_data(as_text=True)
        for p in (
            "/van-phong?ky=2026-Q3",
            "/van-phong/don-vi/X?ky=2026-Q3",
            "/van-phong/don-vi/X/quay/Q1?ky=2026-Q3",
        )
    ]
    for html in pages:
        assert "<script>alert" not in html and "<b>Đông</b>" not in html
        assert "&lt;script&gt;alert" in html
    assert "<img src=x" not in pages[1] and "&lt;img src=x onerror=alert(1)&gt; Quầy" in pages[1]


@pytest.mark.parametrize(
    "path", ["/van-phong", "/van-phong/don-vi/A", "/van-phong/don-vi/A/quay/Q1"]
)
def test_no_editing(tree: dict[str, Unit], client: FlaskClient, path: str) -> None:
    make_counter(tree["A"], "Q1")
    login_as(client, "admin", None)
    for method in (client.post, client.put, client.delete):
        assert method(path).status_code in (400, 405)  # CSRF (400) or no such method (405)


def test_default_period_is_the_current_quarter(tree: dict[str, Unit], client: FlaskClient) -> None:
    from scoring import period_label
    from survey_app.services.clock import today_local

    login_as(client, "office", tree["P"])
    html = client.get("/van-phong").get_data(as_text=True)
    label = period_label(today_local(), "quarter", Cutoff.CALENDAR)
    assert f"Kỳ {label}:" in html  # the hint under the period picker
    assert 'name="loai" value="quy" checked' in html
    assert f'<option value="{label[-1]}" selected>' in html
