"""No slips: every destructive or irreversible step asks first (issue 12, item 4).

A POST without ``confirm=1`` changes nothing and answers the confirmation page, which names
the thing and the consequence and posts the same fields again with ``confirm=1``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import (
    AuditEntry,
    Complaint,
    Counter,
    Procedure,
    Response,
    Unit,
    User,
    utcnow,
)
from survey_app.services import org
from survey_app.services.clock import local_day

from ..factories import csrf_of, login_as, make_counter, make_procedure, make_unit, make_user


@pytest.fixture
def world(app: object) -> dict[str, Any]:
    unit = make_unit("U1", "Đơn vị Một")
    counter = make_counter(unit, "Q1", "Quầy Một")
    proc = make_procedure(unit)
    other = make_user("nv.khac", "staff", unit)
    at = utcnow()
    response = Response(
        questionnaire_id="sipas-2024-dv",
        unit_id=unit.id,
        counter_id=counter.id,
        target_group="chung",
        submitted_at=at,
        local_day=local_day(at),
        answers={"A1": 2},
        comment="Chờ lâu quá <b>thật</b>, gọi 0912 345 678",
        source="qr",
    )
    db.session.add(response)
    db.session.commit()
    return {"unit": unit, "counter": counter, "proc": proc, "other": other, "response": response}


def _state(w: dict[str, Any]) -> tuple[Any, ...]:
    db.session.expire_all()
    counter = db.session.get(Counter, w["counter"].id)
    assert counter is not None
    live = org.live_token(counter)
    return (
        counter.active,
        live.token if live else None,
        db.session.get(Unit, w["unit"].id).active,  # type: ignore[union-attr]
        db.session.get(Procedure, w["proc"].id).active,  # type: ignore[union-attr]
        db.session.get(User, w["other"].id).active,  # type: ignore[union-attr]
        len(db.session.get(User, w["other"].id).roles),  # type: ignore[union-attr]
        db.session.get(User, w["other"].id).password_hash,  # type: ignore[union-attr]
        db.session.scalar(select(func.count()).select_from(Complaint)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


ADMIN_STEPS: list[tuple[str, Callable[[dict[str, Any]], str], dict[str, Callable[[Any], str]]]] = [
    ("Quầy", lambda w: f"/quan-tri/quay/{w['counter'].id}/ngung", {}),
    ("mã QR", lambda w: f"/quan-tri/quay/{w['counter'].id}/thu-hoi", {}),
    ("mã QR", lambda w: f"/quan-tri/quay/{w['counter'].id}/doi-ma", {}),
    ("Đơn vị Một", lambda w: f"/quan-tri/don-vi/{w['unit'].id}/ngung", {}),
    ("1.004227", lambda w: f"/quan-tri/thu-tuc/{w['proc'].id}/ngung", {}),
    ("nv.khac", lambda w: f"/quan-tri/tai-khoan/{w['other'].id}/vo-hieu", {}),
    ("nv.khac", lambda w: f"/quan-tri/tai-khoan/{w['other'].id}/dat-lai-mat-khau", {}),
    (
        "nv.khac",
        lambda w: f"/quan-tri/tai-khoan/{w['other'].id}/go-vai-tro",
        {"assignment": lambda w: str(w["other"].roles[0].id)},
    ),
]


@pytest.mark.parametrize(("thing", "path", "fields"), ADMIN_STEPS)
def test_admin_steps_ask_first(
    client: FlaskClient,
    world: dict[str, Any],
    thing: str,
    path: Callable[[dict[str, Any]], str],
    fields: dict[str, Callable[[Any], str]],
) -> None:
    login_as(client, "admin", None)
    before = _state(world)
    data = {k: f(world) for k, f in fields.items()}
    resp = client.post(path(world), data={"csrf_token": csrf_of(client, "/quan-tri"), **data})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert _state(world) == before  # nothing changed
    assert 'id="confirm-thing"' in html and thing in html and 'id="confirm-consequence"' in html
    form = re.search(
        r'<form method="post" action="([^"]+)" class="confirm-form">(.*?)</form>', html, re.S
    )
    assert form and form.group(1) == path(world)
    assert '<input type="hidden" name="confirm" value="1">' in form.group(2)
    for key, value in data.items():
        assert f'name="{key}" value="{value}"' in form.group(2)
    # the page's own form (with its fresh token) does the step
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(2))
    assert token
    done = client.post(path(world), data={"csrf_token": token.group(1), "confirm": "1", **data})
    assert done.status_code in (200, 303)
    assert _state(world) != before


def test_marking_a_comment_asks_first(client: FlaskClient, world: dict[str, Any]) -> None:
    login_as(client, "staff", world["unit"])
    path = f"/phan-anh/danh-dau/{world['response'].id}"
    token = csrf_of(client, "/nhan-vien")
    resp = client.post(path, data={"csrf_token": token, "kind": "phuc_vu"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0
    assert "Chờ lâu quá &lt;b&gt;thật&lt;/b&gt;" in html  # named, escaped
    assert "0912" not in html and "[đã che]" in html  # the phone number masked
    assert "10 phút" in html  # the consequence says how long it can be undone
    assert 'name="kind" value="phuc_vu"' in html
    resp = client.post(path, data={"csrf_token": token, "kind": "phuc_vu", "confirm": "1"})
    assert resp.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_a_bad_kind_is_refused_before_asking(client: FlaskClient, world: dict[str, Any]) -> None:
    login_as(client, "staff", world["unit"])
    token = csrf_of(client, "/nhan-vien")
    resp = client.post(
        f"/phan-anh/danh-dau/{world['response'].id}", data={"csrf_token": token, "kind": "x"}
    )
    assert resp.status_code == 400


def test_confirm_page_needs_csrf(client: FlaskClient, world: dict[str, Any]) -> None:
    login_as(client, "admin", None)
    before = _state(world)
    resp = client.post(f"/quan-tri/quay/{world['counter'].id}/doi-ma", data={"confirm": "1"})
    assert resp.status_code == 400
    assert _state(world) == before
