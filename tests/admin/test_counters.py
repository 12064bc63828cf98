"""Administration of counters and QR tokens: access, CSRF, tokens, validation, audit, escaping."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Counter, Unit

from ..factories import csrf_of, login_as, make_counter, make_unit, token_of

PAGE = "/quan-tri/quay"


@pytest.fixture
def counter(app: Flask) -> Counter:
    return make_counter(make_unit("U1", "Đơn vị Một"), "Q1", "Quầy Một")


@pytest.fixture
def admin(client: FlaskClient, counter: Counter) -> FlaskClient:
    login_as(client, "admin", None, "quan.tri")
    return client


CONFIRMED = {"confirm": "1"}  # destructive steps ask first (survey_app/auth/confirm.py)


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None) -> int:
    token = csrf_of(client, PAGE)
    return client.post(path, data={"csrf_token": token, **CONFIRMED, **(data or {})}).status_code


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _fresh(counter: Counter) -> Counter:
    db.session.expire_all()
    found = db.session.get(Counter, counter.id)
    assert found is not None
    return found


POSTS = [
    "/quan-tri/quay",
    "/quan-tri/quay/{id}/ngung",
    "/quan-tri/quay/{id}/kich-hoat",
    "/quan-tri/quay/{id}/cap-ma",
    "/quan-tri/quay/{id}/thu-hoi",
    "/quan-tri/quay/{id}/doi-ma",
]
GETS = [
    "/quan-tri/quay",
    "/quan-tri/quay/{id}/the.pdf",
    "/quan-tri/quay/{id}/the.svg",
    "/quan-tri/nhat-ky",
]


@pytest.mark.parametrize("role", ["staff", "unit_head", "office", "inspector"])
def test_other_roles_get_403(client: FlaskClient, counter: Counter, role: str) -> None:
    login_as(client, role, counter.unit)
    token = csrf_of(client, "/nhan-vien")
    for path in GETS:
        assert client.get(path.format(id=counter.id)).status_code == 403, path
    for path in POSTS:
        resp = client.post(path.format(id=counter.id), data={"csrf_token": token})
        assert resp.status_code == 403, path
    assert _entries() == []


def test_signed_out_goes_to_login(client: FlaskClient, counter: Counter) -> None:
    for path in GETS:
        resp = client.get(path.format(id=counter.id))
        assert resp.status_code == 302 and "/dang-nhap" in resp.headers["Location"], path


def test_list_shows_every_counter_with_its_url(admin: FlaskClient, counter: Counter) -> None:
    make_counter(counter.unit, "Q2", "Quầy Hai", active=False)
    html = admin.get(PAGE).get_data(as_text=True)
    assert "Đơn vị Một" in html and "Quầy Một" in html and "Quầy Hai" in html
    assert f"https://sipas.test/f/{token_of(counter)}" in html
    assert "Ngừng hoạt động" in html


def test_changes_need_csrf(admin: FlaskClient, counter: Counter) -> None:
    for path in POSTS:
        assert (
            admin.post(
                path.format(id=counter.id), data={"unit": "U1", "code": "Q9", "name": "X"}
            ).status_code
            == 400
        )
    assert _entries() == []
    assert token_of(_fresh(counter))


def test_rotate_retires_the_old_url(admin: FlaskClient, counter: Counter) -> None:
    old = token_of(counter)
    assert admin.get(f"/f/{old}").status_code == 200  # cached in this process
    resp = admin.post(
        f"/quan-tri/quay/{counter.id}/doi-ma",
        data={"csrf_token": csrf_of(admin, PAGE), **CONFIRMED},
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"#quay-{counter.id}")
    new = token_of(_fresh(counter))
    assert new != old
    assert admin.get(f"/f/{old}").status_code == 404
    assert admin.get(f"/f/{new}").status_code == 200
    (entry,) = _entries()
    assert (entry.action, entry.target_type, entry.target_id) == (
        "token.rotate",
        "counter",
        str(counter.id),
    )
    assert entry.before == {"token": old[:6]} and entry.after == {"token": new[:6]}
    assert entry.actor.username == "quan.tri"


def test_revoke_then_issue(admin: FlaskClient, counter: Counter) -> None:
    old = token_of(counter)
    assert admin.get(f"/f/{old}").status_code == 200
    assert _post(admin, f"/quan-tri/quay/{counter.id}/thu-hoi") == 303
    assert admin.get(f"/f/{old}").status_code == 404
    assert admin.get(f"/quan-tri/quay/{counter.id}/the.pdf").status_code == 404
    assert _post(admin, f"/quan-tri/quay/{counter.id}/thu-hoi") == 400  # nothing left
    assert _post(admin, f"/quan-tri/quay/{counter.id}/cap-ma") == 303
    new = token_of(_fresh(counter))
    assert admin.get(f"/f/{new}").status_code == 200
    assert _post(admin, f"/quan-tri/quay/{counter.id}/cap-ma") == 400  # already has one
    revoke, issue = _entries()
    assert (revoke.action, revoke.before, revoke.after) == (
        "token.revoke",
        {"tokens": [old[:6]]},
        {"tokens": []},
    )
    assert (issue.action, issue.before, issue.after) == (
        "token.issue",
        {"token": None},
        {"token": new[:6]},
    )


def test_deactivate_hides_the_form_and_activate_brings_it_back(
    admin: FlaskClient, counter: Counter
) -> None:
    token = token_of(counter)
    assert admin.get(f"/f/{token}").status_code == 200
    assert _post(admin, f"/quan-tri/quay/{counter.id}/ngung") == 303
    assert admin.get(f"/f/{token}").status_code == 404
    assert _post(admin, f"/quan-tri/quay/{counter.id}/ngung") == 400
    assert _post(admin, f"/quan-tri/quay/{counter.id}/kich-hoat") == 303
    assert admin.get(f"/f/{token}").status_code == 200
    off, on = _entries()
    assert (off.action, off.before, off.after) == (
        "counter.deactivate",
        {"active": True},
        {"active": False},
    )
    assert (on.action, on.before, on.after) == (
        "counter.activate",
        {"active": False},
        {"active": True},
    )


def test_add_counter(admin: FlaskClient, counter: Counter) -> None:
    assert _post(admin, PAGE, {"unit": "U1", "code": "Q2", "name": "  Quầy   Hai "}) == 303
    added = db.session.scalar(select(Counter).where(Counter.code == "Q2"))
    assert added is not None and added.name == "Quầy Hai" and added.unit.code == "U1"
    token = token_of(added)
    assert admin.get(f"/f/{token}").status_code == 200
    (entry,) = _entries()
    assert (entry.action, entry.target_id, entry.before) == ("counter.add", str(added.id), None)
    assert entry.after == {
        "unit": "U1",
        "code": "Q2",
        "name": "Quầy Hai",
        "active": True,
        "token": token[:6],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unit": "U1", "code": "Q1", "name": "Quầy khác"}, "Đơn vị đã có quầy mã Q1."),
        ({"unit": "U1", "code": "Q2", "name": "   "}, "Vui lòng nhập tên quầy."),
        ({"unit": "KHONG-CO", "code": "Q2", "name": "Quầy Hai"}, "Không có đơn vị với mã này."),
        ({"unit": "U1", "code": "Q 2/", "name": "Quầy Hai"}, "Mã quầy gồm 1–40 ký tự"),
        ({"unit": "U1", "code": "Q2", "name": "x" * 201}, "Tên quầy dài quá 200 ký tự."),
    ],
)
def test_add_counter_errors_are_friendly(
    admin: FlaskClient, counter: Counter, data: dict[str, str], message: str
) -> None:
    resp = admin.post(PAGE, data={"csrf_token": csrf_of(admin, PAGE), **data})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in html and 'role="alert"' in html and "Traceback" not in html
    assert db.session.scalar(select(Counter).where(Counter.code == "Q2")) is None
    assert _entries() == []


def test_unknown_counter_is_404(admin: FlaskClient, counter: Counter) -> None:
    assert admin.get("/quan-tri/quay/9999/the.svg").status_code == 404
    assert _post(admin, "/quan-tri/quay/9999/doi-ma") == 404


def test_cards(admin: FlaskClient, counter: Counter) -> None:
    pdf = admin.get(f"/quan-tri/quay/{counter.id}/the.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    svg = admin.get(f"/quan-tri/quay/{counter.id}/the.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "Quầy Một" in svg.get_data(as_text=True)


def test_log_lists_changes_newest_first(admin: FlaskClient, counter: Counter) -> None:
    assert _post(admin, f"/quan-tri/quay/{counter.id}/ngung") == 303
    assert _post(admin, f"/quan-tri/quay/{counter.id}/doi-ma") == 303
    html = admin.get("/quan-tri/nhat-ky").get_data(as_text=True)
    assert html.index("Đổi mã QR") < html.index("Ngừng quầy")
    assert "quan.tri" in html and token_of(_fresh(counter))[:6] in html
    assert "U1 · Q1 – Quầy Một" in html
    assert token_of(_fresh(counter)) not in html  # never the whole token
    forms = re.findall(r"<form[^>]*>", html)
    assert all("dang-xuat" in f for f in forms)  # no edit controls, only the logout button


def test_names_are_escaped(admin: FlaskClient, counter: Counter) -> None:
    evil = "<script>alert(1)</script> Quầy & <b>"
    unit = db.session.scalar(select(Unit).where(Unit.code == "U1"))
    assert unit is not None
    unit.name = evil
    db.session.commit()
    assert _post(admin, PAGE, {"unit": "U1", "code": "Q2", "name": evil}) == 303
    for path in (PAGE, "/quan-tri/nhat-ky"):
        html = admin.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<b>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Quầy &amp; &lt;b&gt;" in html, path
