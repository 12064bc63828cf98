"""A dossier's invitation from the citizen's side (issue 13): the short link, the form with
the dossier already known, one response per invitation (JavaScript off: plain posts), the
friendly pages of a used, expired, revoked or unknown link, the 30 KB budget, and "Tôi có mã
hồ sơ" on a counter's form — rate-limited, revealing nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Invitation, Unit
from survey_app.services.dossiers import invitations

from ..factories import (
    all_responses,
    make_counter,
    make_dossier,
    make_procedure,
    make_unit,
    token_of,
)

CSS = Path(__file__).parents[2] / "survey_app" / "static" / "public.css"
BUDGET = 30 * 1024
PROCEDURE = "Đăng ký đất đai, tài sản gắn liền với đất lần đầu"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_DOSSIER_LOOKUP": "4/hour"}


@pytest.fixture
def unit(app: Flask) -> Unit:
    return make_unit("BT", "Trung tâm Phục vụ hành chính công huyện Bình Thử")


@pytest.fixture
def dossier(unit: Unit) -> Any:
    counter = make_counter(unit, "Q3", "Quầy số 3")
    procedure = make_procedure(unit, "1.004227", PROCEDURE)
    received = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)  # 08/10/2026 in Vietnam
    return make_dossier(
        unit, counter=counter, procedure=procedure, received_at=received, channel="truc_tiep"
    )


def _token(dossier: Any) -> str:
    token = invitations.issue(dossier).invitation.token
    db.session.commit()
    return token


def _get(client: FlaskClient, path: str, status: int = 200) -> str:
    g.pop("csrf_token", None)
    resp = client.get(path)
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    return resp.get_data(as_text=True)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', html)
    assert found, html[:500]
    return found.group(1)


def test_the_short_link_leads_to_the_form(client: FlaskClient, dossier: Any) -> None:
    token = _token(dossier)
    resp = client.get(f"/h/{token}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/ho-so/{token}")


def test_the_form_knows_the_dossier(client: FlaskClient, dossier: Any) -> None:
    html = _get(client, f"/ho-so/{_token(dossier)}")
    assert "<h1>Đánh giá việc giải quyết hồ sơ</h1>" in html
    assert f"{dossier.code}: {PROCEDURE}, nộp ngày 08/10/2026" in html
    assert "Trung tâm Phục vụ hành chính công huyện Bình Thử" in html and "Quầy số 3" in html
    assert "Trực tiếp tại quầy" in html
    # what the dossier answers is not asked
    for name in ("procedure", "channel", "transaction_ref"):
        assert f'name="{name}"' not in html
    assert 'name="comment"' in html and 'name="A1"' in html
    # the privacy notice: linked to the dossier, why, who can see it
    assert "được gắn với mã hồ sơ của Ông/Bà" in html
    assert "Vì sao" in html and "Ai xem được" in html and "nhật ký" in html
    assert "<script" not in html
    assert "Tôi có mã hồ sơ" not in html


def test_in_english(app: Flask, dossier: Any) -> None:
    client, token = app.test_client(), _token(dossier)
    with app.app_context():  # a fresh g: the language is chosen again
        html = _get(client, f"/ho-so/{token}?lang=en")
    assert "Rate how your dossier was handled" in html
    assert "This rating is linked to your dossier code" in html


def test_post_without_javascript_stores_one_verified_response(
    client: FlaskClient, dossier: Any
) -> None:
    token = _token(dossier)
    html = _get(client, f"/ho-so/{token}")
    data = {"csrf_token": _csrf(html), "A1": "5", "C2": "4", "comment": "Cán bộ tận tình"}
    resp = client.post(f"/ho-so/{token}", data=data)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/ho-so/{token}/cam-on")
    thanks = _get(client, f"/ho-so/{token}/cam-on")
    assert "Cảm ơn Ông/Bà đã đánh giá!" in thanks
    (stored,) = all_responses()
    assert stored.dossier_id == dossier.id and stored.verified
    assert stored.answers == {"A1": 5, "C2": 4} and stored.comment == "Cán bộ tận tình"
    assert stored.counter_id == dossier.receiving_counter_id
    assert stored.procedure_id == dossier.procedure_id and stored.channel == "truc_tiep"
    # opened again: already rated, and a second post stores nothing
    again = _get(client, f"/ho-so/{token}")
    assert "Hồ sơ này đã được đánh giá" in again and 'name="A1"' not in again
    resend = client.post(f"/ho-so/{token}", data=data)
    assert resend.status_code == 409
    assert "Hồ sơ này đã được đánh giá" in resend.get_data(as_text=True)
    assert len(all_responses()) == 1


def test_the_thanks_page_of_an_unused_link_goes_back_to_the_form(
    client: FlaskClient, dossier: Any
) -> None:
    token = _token(dossier)
    resp = client.get(f"/ho-so/{token}/cam-on")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/ho-so/{token}")
    assert client.get("/ho-so/zzzzzzzzzz/cam-on").status_code == 404


def test_bad_posts_store_nothing_and_keep_the_link(client: FlaskClient, dossier: Any) -> None:
    token = _token(dossier)
    html = _get(client, f"/ho-so/{token}")
    assert client.post(f"/ho-so/{token}", data={"A1": "5"}).status_code == 400  # no CSRF
    bad = client.post(f"/ho-so/{token}", data={"csrf_token": _csrf(html), "A1": "9"})
    assert bad.status_code == 400
    assert "không nằm trong các lựa chọn" in bad.get_data(as_text=True)
    empty = client.post(f"/ho-so/{token}", data={"csrf_token": _csrf(html), "A1": "0"})
    assert empty.status_code == 400
    assert "Vui lòng trả lời ít nhất một câu hỏi" in empty.get_data(as_text=True)
    assert all_responses() == []
    assert db.session.scalar(select(Invitation.used_at)) is None


def test_expired_revoked_and_unknown_links(client: FlaskClient, unit: Unit) -> None:
    old = make_dossier(unit, "H1-260101-1", returned_at=datetime.now(UTC) - timedelta(days=40))
    expired = _token(old)
    page = _get(client, f"/ho-so/{expired}", 410)
    assert "Thời hạn đánh giá hồ sơ này đã qua" in page and 'name="A1"' not in page
    revoked = invitations.issue(make_dossier(unit, "H1-260101-2")).invitation
    invitations.revoke(revoked)
    db.session.commit()
    assert "đã được thu hồi" in _get(client, f"/ho-so/{revoked.token}", 410)
    for path in ("/ho-so/zzzzzzzzzz", "/ho-so/abc", "/h/zzzzzzzzzz"):
        resp = client.get(path, follow_redirects=True)
        assert resp.status_code == 404
        assert "Mã QR hoặc đường dẫn này không còn hiệu lực" in resp.get_data(as_text=True)
    assert client.post(f"/ho-so/{expired}", data={"A1": "5"}).status_code in (400, 410)
    assert all_responses() == []


@pytest.mark.parametrize("questionnaire", ["sipas-2024-dv", "sipas-2024-nhanh"])
def test_the_page_stays_within_the_budget(
    client: FlaskClient, unit: Unit, questionnaire: str
) -> None:
    unit.questionnaire_id = questionnaire
    db.session.commit()
    long_name = "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở " * 8
    proc = make_procedure(unit, "1.999999", long_name.strip())
    token = _token(make_dossier(unit, procedure=proc))
    html = _get(client, f"/ho-so/{token}")
    assert html.count("<fieldset") >= 5
    weight = len(html.encode()) + CSS.stat().st_size  # the page and all it loads
    assert weight <= BUDGET, weight


# --- "Tôi có mã hồ sơ" ------------------------------------------------------------------------


def _lookup(client: FlaskClient, counter_token: str, code: str) -> Any:
    html = _get(client, f"/f/{counter_token}/ma-ho-so")
    return client.post(
        f"/f/{counter_token}/ma-ho-so", data={"csrf_token": _csrf(html), "code": code}
    )


def test_the_counter_form_links_to_the_lookup(client: FlaskClient, dossier: Any) -> None:
    counter_token = token_of(dossier.receiving_counter)
    html = _get(client, f"/f/{counter_token}")
    assert f'href="/f/{counter_token}/ma-ho-so">Tôi có mã hồ sơ</a>' in html
    page = _get(client, f"/f/{counter_token}/ma-ho-so")
    assert 'name="code"' in page and "<script" not in page


def test_a_known_code_continues_to_its_invitation(client: FlaskClient, dossier: Any) -> None:
    counter_token = token_of(dossier.receiving_counter)
    typed = f"  {dossier.code.lower()} "  # as typed from the receipt
    resp = _lookup(client, counter_token, typed)
    assert resp.status_code == 303
    token = db.session.scalar(select(Invitation.token))
    assert resp.headers["Location"].endswith(f"/ho-so/{token}")
    html = _get(client, f"/ho-so/{token}")
    resp = client.post(f"/ho-so/{token}", data={"csrf_token": _csrf(html), "A1": "4"})
    assert resp.status_code == 303
    assert all_responses()[0].dossier_id == dossier.id
    # a second lookup of the answered dossier: the neutral message
    answered = _lookup(client, counter_token, dossier.code)
    assert answered.status_code == 200 and "Không thể dùng mã hồ sơ này" in answered.text


def test_a_dossier_of_a_sub_unit_is_found_from_the_parent_counter(
    client: FlaskClient, unit: Unit
) -> None:
    below = make_unit("X1", "Xã Một", parent=unit)
    dossier = make_dossier(below, "H2-261008-7")
    resp = _lookup(client, token_of(make_counter(unit, "Q9")), dossier.code)
    assert resp.status_code == 303


def _message(html: str) -> str:
    found = re.search(r'<p class="msg" role="alert">([^<]*)</p>', html)
    assert found, html[:800]
    return found.group(1)


def test_anything_else_gets_the_same_neutral_answer(
    app: Flask, client: FlaskClient, unit: Unit, dossier: Any
) -> None:
    app.config["RATELIMIT_DOSSIER_LOOKUP"] = "50/hour"
    counter_token = token_of(dossier.receiving_counter)
    other = make_unit("KH", "Trung tâm khác")
    elsewhere = make_dossier(other, "H9-261008-1")
    old = make_dossier(unit, "H1-260101-5", returned_at=datetime.now(UTC) - timedelta(days=60))
    revoked = invitations.issue(make_dossier(unit, "H1-260101-6")).invitation
    invitations.revoke(revoked)
    db.session.commit()
    pages = [
        _lookup(client, counter_token, code)
        for code in ("H0-000000-0", elsewhere.code, old.code, revoked.dossier.code, "", "x" * 80)
    ]
    assert {p.status_code for p in pages} == {200}
    messages = {_message(p.text) for p in pages}
    assert len(messages) == 1 and "Không thể dùng mã hồ sơ này" in messages.pop()
    for page in pages:  # no token, unit or procedure of the dossier is shown
        assert "/ho-so/" not in page.text and "Trung tâm khác" not in page.text
    assert (
        db.session.scalar(select(Invitation.id).where(Invitation.dossier_id == elsewhere.id))
        is None
    )
    assert _lookup(client, counter_token, "x" * 81).status_code == 400


def test_the_lookup_is_rate_limited(client: FlaskClient, dossier: Any) -> None:
    counter_token = token_of(dossier.receiving_counter)
    for i in range(4):
        assert _lookup(client, counter_token, f"H0-000000-{i}").status_code == 200
    limited = _lookup(client, counter_token, dossier.code)  # even a right code, now
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "đã tra nhiều mã hồ sơ" in limited.text
    assert db.session.scalar(select(Invitation.id)) is None


def test_the_lookup_needs_its_csrf_token(client: FlaskClient, dossier: Any) -> None:
    counter_token = token_of(dossier.receiving_counter)
    resp = client.post(f"/f/{counter_token}/ma-ho-so", data={"code": dossier.code})
    assert resp.status_code == 400
    assert client.get("/f/nope/ma-ho-so").status_code == 404
