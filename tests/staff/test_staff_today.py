"""The day's indices, weakest items, low ratings, refresh endpoint and trend chart."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from xml.etree import ElementTree

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from markupsafe import escape

import forms
from scoring import SufficientStats, score_versions, to_json_dict
from survey_app.extensions import db
from survey_app.models import Counter, Response, utcnow
from survey_app.services.analytics import staff as dashboard
from survey_app.services.analytics.slices import structure_of
from survey_app.services.clock import local_day

from ..factories import login_as, make_counter, make_unit, make_user

QID = "sipas-2024-dv"
DV = forms.get(QID)


def _respond(
    counter: Counter, answers: dict[str, int], comment: str | None = None, days_ago: int = 0
) -> Response:
    at = utcnow() - timedelta(days=days_ago)
    response = Response(
        questionnaire_id=QID,
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


HAND = [{"A1": 5, "A2": 5, "C1": 1}, {"A1": 4, "A2": 3, "C1": 2}, {"A1": 5, "A2": 1, "C1": 4}]


def test_hand_checked_indices(app: Flask, client: FlaskClient) -> None:
    # A1 3/3, A2 1/3 → A = 66.7; C1 1/3 → C = 33.3; SIPAS = mean of A and C = 50.0.
    counter = make_counter(make_unit())
    for answers in HAND:
        _respond(counter, answers)
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert 'id="sipas">50,0<' in html
    assert 'id="factor-A">66,7<' in html and 'id="factor-C">33,3<' in html
    assert 'id="factor-B">–<' in html  # no figure: the one dash (services/formatting.py)
    assert "chưa đủ dữ liệu" in html.lower()  # n = 3 < 30, said plainly


def test_numbers_equal_scoring_on_the_same_responses(app: Flask, client: FlaskClient) -> None:
    rng = np.random.default_rng(7)
    counter = make_counter(make_unit())
    codes = forms.get(QID).codes_of(forms.SectionKind.FACTOR)
    given = []
    for _ in range(40):
        answers = {
            c: int(v) for c, v in zip(codes, rng.integers(0, 6, len(codes)), strict=True) if v
        }
        given.append(answers)
        _respond(counter, answers)
    structure = structure_of(QID)
    matrix = np.array([[a.get(c, 0) for c in structure.columns] for a in given])
    expected = to_json_dict(
        score_versions([SufficientStats.from_answers(structure, matrix)]), target=90.0
    )
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    shown = f"{expected['sipas']['index']:.1f}".replace(".", ",")
    assert f'id="sipas">{shown}<' in html
    for code, e in expected["factors"].items():
        assert f'id="factor-{code}">{e["index"]:.1f}<'.replace(".", ",") in html
    low = f"{expected['sipas']['ci_low']:.1f}".replace(".", ",")
    assert f">{low}–" in html
    assert "chưa đủ dữ liệu" not in html.split("Theo quầy")[0].lower()


def test_weakest_items_have_their_text(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit(place_name="Bộ phận Một cửa"))
    for _ in range(5):
        _respond(counter, {"A1": 5, "B1": 1, "C1": 4})
    _respond(counter, {"D1": 1})  # one answer only: not among the weakest
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    weak = html.split('id="h-weak"')[1].split("</section>")[0]
    assert "B1" in weak and "D1" not in weak
    b1 = forms.get(QID).item("B1").text.vi.replace("{place}", "Bộ phận Một cửa")
    assert b1 in weak
    assert weak.index("B1") < weak.index("A1")


def test_low_ratings_listed(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit(), name="Quầy Một")
    _respond(counter, {"A1": 5, "C2": 2, "D1": 1}, comment="Chờ lâu")
    _respond(counter, {"A1": 3})  # 3 is not low
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    low = html.split('id="low-list"')[1].split('id="h-weak"')[0].split("</section>")[0]
    assert low.count("<li data-id=") == 1
    assert 'data-item="C2"' in low and 'data-item="D1"' in low and 'data-item="A1"' not in low
    assert "Quầy Một" in low and "Chờ lâu" in low


def test_low_ratings_in_words_with_their_factor(app: Flask, client: FlaskClient) -> None:
    """ "C2: 2" is no help: the item's words (from forms/), its factor and the answer."""
    counter = make_counter(make_unit(place_name="Bộ phận Một cửa"), name="Quầy Một")
    _respond(counter, {"A1": 5, "C2": 2, "D1": 1})
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    low = html.split('id="low-list"')[1].split("</section>")[0]
    c2 = DV.item("C2")
    assert c2.text.vi in low and "C. Công chức trực tiếp giải quyết công việc" in low
    assert "Không hài lòng (2)" in low and "Rất không hài lòng (1)" in low
    assert "D. Kết quả giải quyết" in low and DV.item("D1").text.vi in low
    assert "C2: 2" not in low and "A0: " not in low
    refresh()  # the test's app context outlives requests: drop the cached locale
    english = client.get("/nhan-vien?lang=en").get_data(as_text=True)
    assert str(escape(c2.text.en)) in english and "Dissatisfied (2)" in english


def test_long_comments_are_folded_under_xem_them(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit(), name="Quầy Một")
    long_text = "Phải chờ rất lâu mới đến lượt. " * 20 + "CUỐI"
    _respond(counter, {"A1": 1}, comment=long_text)
    _respond(counter, {"A1": 5}, comment="Ngắn gọn")
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    comments = html.split('id="comment-list"')[1].split("</section>")[0]
    folded = comments.split("<details")[1].split("</details>")[0]
    assert "xem thêm" in folded and "CUỐI" in folded  # the whole text, behind the summary
    short = folded.split('class="text short">')[1].split("</span>")[0]
    assert "CUỐI" not in short and short.endswith("…") and len(short) <= 201
    assert comments.count("<details") == 1  # a short comment is shown whole


def test_new_low_ratings_badge_counts_after_seen(app: Flask, client: FlaskClient) -> None:
    """A reload (JavaScript or not) carries da_xem; the title and header count what came
    after it."""
    counter = make_counter(make_unit(), name="Quầy Một")
    seen = _respond(counter, {"A1": 1})
    login_as(client, "staff", counter.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "<title>Phản hồi hôm nay" in html and 'id="new-badge" class="new-badge" hidden' in html
    assert f"da_xem={seen.id}" in html  # the refresh (script, or the reload link) keeps it
    _respond(counter, {"B1": 2})
    _respond(counter, {"B1": 5})  # not low
    _respond(counter, {"C1": 1})
    html = client.get(f"/nhan-vien?da_xem={seen.id}").get_data(as_text=True)
    assert "<title>(2) Phản hồi hôm nay" in html
    badge = html.split('id="new-badge"')[1].split("</p>")[0]
    assert "hidden" not in badge.split(">")[0] and 'id="new-count">2<' in badge
    assert client.get("/nhan-vien?da_xem=abc").status_code == 400


def test_one_page_carries_every_figure_together(app: Flask, client: FlaskClient) -> None:
    """The refresh fetches the page again: count, note and indices in one response."""
    counter = make_counter(make_unit(), name="Quầy Một")
    first = _respond(counter, {"A1": 5})
    login_as(client, "staff", counter.unit)
    _respond(counter, {"A1": 1})
    html = client.get(f"/nhan-vien?da_xem={first.id}").get_data(as_text=True)
    live = html.split('id="live"')[1]
    assert 'id="total">2<' in live and 'id="sipas">50,0<' in live
    assert "mới có 2 người trả lời" in live


def test_other_units_never_appear(app: Flask, client: FlaskClient) -> None:
    mine = make_counter(make_unit("U1", "Đơn vị của tôi"), "Q1", "Quầy Một")
    other = make_counter(make_unit("U2", "Đơn vị khác"), "Q9", "Quầy Chín")
    _respond(mine, {"A1": 5})
    for _ in range(3):
        _respond(other, {"A1": 1, "B1": 1}, comment="bí mật đơn vị khác")
    login_as(client, "staff", mine.unit)
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert 'id="sipas">100,0<' in html and 'id="total">1<' in html
    assert "Quầy Chín" not in html and "bí mật" not in html and "B1" not in html
    data = client.get(f"/nhan-vien/moi?ngay={local_day(utcnow())}&sau=0").get_json()
    assert data["total"] == 1 and data["low"] == [] and data["comments"] == []


def test_news_endpoint_respects_after(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit(), name="Quầy Một")
    first = _respond(counter, {"A1": 1}, comment="cũ")
    login_as(client, "staff", counter.unit)
    day = local_day(utcnow()).isoformat()
    data = client.get(f"/nhan-vien/moi?ngay={day}&sau=0").get_json()
    assert [c["text"] for c in data["comments"]] == ["cũ"] and data["last_id"] == first.id
    second = _respond(counter, {"B2": 2, "A1": 5}, comment="<b>mới</b>")
    data = client.get(f"/nhan-vien/moi?ngay={day}&sau={first.id}").get_json()
    assert data["total"] == 2 and data["last_id"] == second.id
    assert [c["text"] for c in data["comments"]] == ["<b>mới</b>"]  # JSON; the script sets text
    assert [[(i["code"], i["answer"]) for i in r["items"]] for r in data["low"]] == [[("B2", 2)]]
    assert data["low"][0]["items"][0]["factor"] == "B"
    assert data["low"][0]["counter_name"] == "Quầy Một"
    data = client.get(f"/nhan-vien/moi?ngay={day}&sau={second.id}").get_json()
    assert data["comments"] == [] and data["low"] == [] and data["last_id"] == second.id


def test_news_endpoint_needs_login(app: Flask, client: FlaskClient) -> None:
    resp = client.get("/nhan-vien/moi?sau=0")
    assert resp.status_code in (302, 303, 401)
    assert client.get("/nhan-vien/xu-huong.svg").status_code in (302, 303, 401)


@pytest.mark.parametrize(
    "path",
    [
        "/nhan-vien?ngay=hom-nay",
        "/nhan-vien?ngay=2026-02-30",
        "/nhan-vien/moi?ngay=2026-13-01",
        "/nhan-vien/moi?sau=abc",
        "/nhan-vien/xu-huong.svg?ngay=20260101",
    ],
)
def test_bad_date_is_a_friendly_400(app: Flask, client: FlaskClient, path: str) -> None:
    login_as(client, "staff", make_unit())
    resp = client.get(path)
    assert resp.status_code == 400
    assert "Traceback" not in resp.get_data(as_text=True)


def test_bad_date_page_says_why(app: Flask, client: FlaskClient) -> None:
    login_as(client, "staff", make_unit())
    html = client.get("/nhan-vien?ngay=hom-nay").get_data(as_text=True)
    assert "Ngày không hợp lệ" in html


def test_chosen_day(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit())
    old = _respond(counter, {"A1": 2}, comment="góp ý cũ", days_ago=2)
    _respond(counter, {"A1": 5}, comment="góp ý mới")
    login_as(client, "staff", counter.unit)
    html = client.get(f"/nhan-vien?ngay={old.local_day.isoformat()}").get_data(as_text=True)
    assert "góp ý cũ" in html and "góp ý mới" not in html
    assert f'value="{old.local_day.isoformat()}"' in html
    assert "data-url=" not in html  # a past day does not refresh itself
    assert "Tải lại" in html


def test_page_has_no_inline_script(app: Flask, client: FlaskClient) -> None:
    login_as(client, "staff", make_unit())
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and "http-equiv" not in html
    assert 'src="/static/staff.js"' in html


def test_trend_svg(app: Flask, client: FlaskClient) -> None:
    counter = make_counter(make_unit())
    for days_ago in (0, 1, 5):
        for answers in HAND:
            _respond(counter, answers, days_ago=days_ago)
    other = make_counter(make_unit("U2", "Khác"))
    _respond(other, {"A1": 5}, days_ago=10)
    login_as(client, "staff", counter.unit)
    resp = client.get("/nhan-vien/xu-huong.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    svg = resp.get_data(as_text=True)
    root = ElementTree.fromstring(resp.get_data())
    assert root.tag.endswith("svg")
    assert "Chỉ số SIPAS theo ngày" in svg and "Mục tiêu 90" in svg
    assert "Khoảng tin cậy 95%" in svg


def test_trend_points_are_scoped(app: Flask) -> None:
    mine = make_counter(make_unit("U1"))
    other = make_counter(make_unit("U2", "Khác"))
    _respond(mine, {"A1": 5}, days_ago=1)
    _respond(other, {"A1": 1}, days_ago=3)
    user = make_user("nv.mot", "staff", mine.unit)
    points = dashboard.trend(user, local_day(utcnow()))
    assert [p[1]["sipas"]["index"] for p in points] == [100.0]
    assert isinstance(points[0][0], date) and not isinstance(points[0][0], datetime)
