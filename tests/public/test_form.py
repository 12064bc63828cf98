"""The public form: every submission rule of the foundation issue, each failing without it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.services import org

from .. import daystats_check
from ..factories import (
    all_responses,
    counter_of,
    make_counter,
    make_procedure,
    make_unit,
    open_form,
    token_of,
)


@pytest.fixture
def token(app: Flask) -> str:
    unit = make_unit()
    make_procedure(unit)
    return token_of(make_counter(unit))


def post(
    client: FlaskClient, token: str, data: dict[str, Any], hidden: dict[str, str] | None = None
) -> Any:
    hidden = hidden if hidden is not None else open_form(client, token)
    return client.post(f"/f/{token}", data={**hidden, **data})


def test_form_is_vietnamese_with_every_item_and_no_opinion(client: FlaskClient, token: str) -> None:
    html = client.get(f"/f/{token}").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Công chức có thái độ giao tiếp lịch sự, tôn trọng người dân" in html
    for code in ("A1", "B4", "C3", "D1", "E3", "Q5", "Q6", "X10"):
        assert f'name="{code}" value="0"' in html
    assert html.count("Không có ý kiến") >= 24
    assert "{place}" not in html
    assert "không hỏi tên" in html.lower()


def test_english_switch(client: FlaskClient, token: str) -> None:
    html = client.get(f"/f/{token}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "The official was polite and respectful" in html
    assert "No opinion" in html


def test_valid_submission_is_stored_and_counted(client: FlaskClient, token: str) -> None:
    resp = post(
        client,
        token,
        {
            "A1": "5",
            "C1": "2",
            "D1": "0",
            "Q5": "1",
            "comment": "Cán bộ nhiệt tình",
            "channel": "truc_tiep",
            "procedure": "1.004227",
        },
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/f/{token}/cam-on")
    [stored] = all_responses()
    assert stored.answers == {"A1": 5, "C1": 2, "Q5": 1}  # D1 "no opinion" is missing
    assert stored.comment == "Cán bộ nhiệt tình"
    assert stored.source == "qr" and stored.channel == "truc_tiep"
    assert stored.target_group == "dat_dai_xay_dung_dau_tu"  # from the chosen procedure
    # The open day, as the staff pages read it, holds it with its answers.
    assert daystats_check.open_day(stored.local_day) == [daystats_check.row_of(stored)]
    assert daystats_check.open_day(stored.local_day)[0][6] == (("A1", 5), ("C1", 2), ("Q5", 1))
    assert "Cảm ơn" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_double_submit_stores_one_response(client: FlaskClient, token: str) -> None:
    hidden = open_form(client, token)
    first = post(client, token, {"A1": "4"}, hidden)
    second = post(client, token, {"A1": "4"}, hidden)
    assert first.status_code == second.status_code == 303
    assert len(all_responses()) == 1
    [stored] = all_responses()
    assert len(daystats_check.open_day(stored.local_day)) == 1


def test_a_new_form_gets_a_new_idempotency_key(client: FlaskClient, token: str) -> None:
    post(client, token, {"A1": "4"})
    post(client, token, {"A1": "4"})
    assert len(all_responses()) == 2


def test_reused_receipt_is_refused_and_stored_hashed(client: FlaskClient, token: str) -> None:
    assert post(client, token, {"A1": "4", "transaction_ref": "BN-2026-0001"}).status_code == 303
    again = post(client, token, {"A1": "5", "transaction_ref": " bn-2026-0001 "})
    assert again.status_code == 409
    assert "đã được dùng" in again.get_data(as_text=True)
    [stored] = all_responses()
    assert stored.receipt_hash and "0001" not in stored.receipt_hash
    assert len(stored.receipt_hash) == 64


@pytest.mark.parametrize("app_config", [{"RATELIMIT_FORM": "2/hour"}])
def test_rate_limit_answers_429_with_a_friendly_page(client: FlaskClient, token: str) -> None:
    assert post(client, token, {"A1": "4"}).status_code == 303
    assert post(client, token, {"A1": "4"}).status_code == 303
    limited = post(client, token, {"A1": "4"})
    assert limited.status_code == 429
    assert "thử lại sau" in limited.get_data(as_text=True)
    assert len(all_responses()) == 2


@pytest.mark.parametrize("app_config", [{"RATELIMIT_FORM": "1/hour"}])
def test_rate_limit_is_per_client_address(app: Flask, token: str) -> None:
    a = app.test_client()
    b = app.test_client()
    env_a, env_b = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}
    for client, env in ((a, env_a), (b, env_b)):
        hidden = open_form(client, token)
        r = client.post(f"/f/{token}", data={**hidden, "A1": "4"}, environ_base=env)
        assert r.status_code == 303
    hidden = open_form(a, token)
    assert a.post(f"/f/{token}", data={**hidden, "A1": "4"}, environ_base=env_a).status_code == 429


@pytest.mark.parametrize("app_config", [{"RATELIMIT_FORM": "1/hour", "TRUSTED_PROXIES": 0}])
def test_forwarded_for_is_ignored_without_trusted_proxy(app: Flask, token: str) -> None:
    client = app.test_client()
    for fake in ("1.1.1.1", "2.2.2.2"):
        hidden = open_form(client, token)
        r = client.post(
            f"/f/{token}", data={**hidden, "A1": "4"}, headers={"X-Forwarded-For": fake}
        )
    assert r.status_code == 429  # spoofed header did not make a new client


@pytest.mark.parametrize("app_config", [{"RATELIMIT_FORM": "1/hour", "TRUSTED_PROXIES": 1}])
def test_forwarded_for_is_used_behind_a_trusted_proxy(app: Flask, token: str) -> None:
    client = app.test_client()
    for fake in ("1.1.1.1", "2.2.2.2"):
        hidden = open_form(client, token)
        r = client.post(
            f"/f/{token}", data={**hidden, "A1": "4"}, headers={"X-Forwarded-For": fake}
        )
        assert r.status_code == 303


def test_revoked_token_gets_friendly_404(client: FlaskClient, app: Flask, token: str) -> None:
    counter = counter_of(token)
    new = org.rotate_token(counter)
    db.session.commit()
    old = client.get(f"/f/{token}")
    assert old.status_code == 404
    assert "Mã QR" in old.get_data(as_text=True)
    assert client.get(f"/f/{new.token}").status_code == 200


def test_inactive_counter_gets_404(client: FlaskClient, token: str) -> None:
    counter = counter_of(token)
    counter.active = False
    db.session.commit()
    org.forget_cached_counters()
    assert client.get(f"/f/{token}").status_code == 404


def test_unguessable_tokens(app: Flask) -> None:
    unit = make_unit()
    tokens = {token_of(make_counter(unit, code=f"Q{i}")) for i in range(5)}
    assert len(tokens) == 5
    assert all(len(t) >= 24 and not t.isdigit() for t in tokens)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"A1": "7"}, "A1"),  # out of range
        ({"A1": "4.0"}, "A1"),  # not an integer code
        ({"Q5": "4"}, "Q5"),  # valid on another scale, not on this one
        ({"A1": "4", "channel": "fax"}, "channel"),
    ],
)
def test_tampered_values_get_400_and_store_nothing(
    client: FlaskClient, token: str, data: dict[str, str], field: str
) -> None:
    resp = post(client, token, data)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert f'id="q-{field}" class="err"' in html or field == "channel"
    assert "không nằm trong các lựa chọn" in html or field == "channel"
    assert all_responses() == []


def test_unknown_item_code_is_refused(client: FlaskClient, token: str) -> None:
    # Unknown form fields are not questions; an unknown code through the API is an error
    # (tests/api), and on the form an unknown field alone is an empty form.
    resp = post(client, token, {"Z9": "5"})
    assert resp.status_code == 400
    assert all_responses() == []


def test_oversized_comment_is_refused(client: FlaskClient, token: str) -> None:
    resp = post(client, token, {"A1": "5", "comment": "x" * 2001})
    assert resp.status_code == 400
    assert "2000" in resp.get_data(as_text=True)
    assert all_responses() == []


def test_comment_of_2000_characters_is_accepted(client: FlaskClient, token: str) -> None:
    assert post(client, token, {"A1": "5", "comment": "ư" * 2000}).status_code == 303


def test_missing_csrf_token_is_refused(client: FlaskClient, token: str) -> None:
    hidden = open_form(client, token)
    hidden.pop("csrf_token")
    resp = client.post(f"/f/{token}", data={**hidden, "A1": "5"})
    assert resp.status_code == 400
    assert "tải lại trang" in resp.get_data(as_text=True)
    assert all_responses() == []


def test_all_empty_form_is_refused(client: FlaskClient, token: str) -> None:
    resp = post(client, token, {"A1": "0", "B1": "0"})
    assert resp.status_code == 400
    assert "ít nhất một câu" in resp.get_data(as_text=True)
    assert all_responses() == []


def test_answers_survive_an_error(client: FlaskClient, token: str) -> None:
    resp = post(client, token, {"A1": "4", "procedure": "không có thủ tục này"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'name="A1" value="4" checked' in html
    assert "Không tìm thấy thủ tục" in html


def test_procedure_found_by_name_without_diacritics(client: FlaskClient, token: str) -> None:
    assert post(client, token, {"A1": "4", "procedure": "dang ky dat dai"}).status_code == 303
    [stored] = all_responses()
    assert stored.procedure is not None and stored.procedure.code == "1.004227"


def test_comment_is_escaped(client: FlaskClient, token: str) -> None:
    resp = post(client, token, {"A1": "9", "comment": "<script>alert(1)</script> Tốt"})
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Tốt" in html


def test_page_makes_no_request_to_another_host(client: FlaskClient, token: str) -> None:
    html = client.get(f"/f/{token}").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html.replace("https://sipas.test", "")
    assert "<script" not in html


def test_malformed_post_never_500(client: FlaskClient, token: str) -> None:
    hidden = open_form(client, token)
    for data in (
        {"A1": ["4", "5"]},
        {"idempotency_key": "x" * 500, "A1": "4"},
        {"transaction_ref": "y" * 200, "A1": "4"},
        {"A1": "\x00"},
    ):
        resp = client.post(f"/f/{token}", data={**hidden, **data})
        assert resp.status_code == 400, data
    assert all_responses() == []
