"""The kiosk's JSON endpoints and pages: device authentication, revoked tablets told so,
idempotent submissions, the tablet's own allowance, heartbeat, the device pages, the staff
home's tablets, the page's strict CSP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, KioskDevice, Response
from survey_app.services.kiosk import devices

from ..factories import csrf_of, login, make_counter, make_unit, make_user
from .helpers import enrolled, make_dossier, make_world, rating


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_FORM": "20/hour"}


def _auth(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def _send(client: FlaskClient, credential: str, body: dict[str, Any]) -> int:
    return client.post("/kiosk/api/phieu", json=body, headers=_auth(credential)).status_code


def test_enrolment_answers_a_credential_once(app: Flask, client: FlaskClient) -> None:
    world = make_world()
    code = devices.create_code(world.admin, world.counter, "Máy 1")
    bad = client.post("/kiosk/api/ket-noi", json={"code": "nope"})
    assert bad.status_code == 400 and "hết hạn" in bad.get_json()["error"]
    ok = client.post("/kiosk/api/ket-noi", json={"code": code.shown, "app_version": "1"})
    assert ok.status_code == 201
    body = ok.get_json()
    assert body["device"]["name"] == "Máy 1" and body["counter"]["code"] == "Q1"
    assert len(body["credential"]) >= 40
    again = client.post("/kiosk/api/ket-noi", json={"code": code.shown})
    assert again.status_code == 400  # single use
    assert client.post("/kiosk/api/ket-noi", data="[]").status_code == 400  # not JSON: no 500


def test_a_rating_needs_a_device_and_a_revoked_one_is_told_clearly(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world()
    device, credential = enrolled(world)
    anonymous = client.post("/kiosk/api/phieu", json=rating("k-00000001"))
    assert anonymous.status_code == 401 and anonymous.get_json()["revoked"] is False
    # a made-up credential, and the counter's QR token, are not a device credential
    for wrong in ("x" * 43, world.counter.tokens[0].token):
        answer = client.post("/kiosk/api/phieu", json=rating("k-00000001"), headers=_auth(wrong))
        assert answer.status_code == 401
    devices.revoke(world.admin, device)
    for path in ("/kiosk/api/phieu", "/kiosk/api/nhip"):
        refused = client.post(path, json=rating("k-00000001"), headers=_auth(credential))
        assert refused.status_code == 403 and refused.get_json()["revoked"] is True
        assert "thu hồi" in refused.get_json()["error"]
    refresh()  # the test holds one app context: forget the locale its requests chose
    english = client.get("/kiosk/api/cau-hinh?lang=en", headers=_auth(credential))
    assert english.status_code == 403 and "revoked" in english.get_json()["error"]
    assert db.session.scalars(select(Response)).all() == []


def test_a_resent_rating_is_stored_once_with_source_kiosk_and_the_device(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world()
    device, credential = enrolled(world)
    first = client.post("/kiosk/api/phieu", json=rating("same-000001"), headers=_auth(credential))
    again = client.post("/kiosk/api/phieu", json=rating("same-000001"), headers=_auth(credential))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert first.get_json()["dossier"] is None
    rows = db.session.scalars(select(Response)).all()
    assert [(r.source, r.device_id, r.counter_id, r.questionnaire_id) for r in rows] == [
        ("kiosk", device.id, world.counter.id, "sipas-2024-nhanh")
    ]
    no_key = client.post("/kiosk/api/phieu", json={"answers": {"A0": 5}}, headers=_auth(credential))
    assert no_key.status_code == 400 and "idempotency_key" in no_key.get_json()["errors"]
    bad = client.post(
        "/kiosk/api/phieu", json=rating("bad-0000001", answers={"A0": 9}), headers=_auth(credential)
    )
    assert bad.status_code == 400 and "answers.A0" in bad.get_json()["errors"]


def test_a_busy_counter_is_not_blocked_at_the_21st_rating(app: Flask, client: FlaskClient) -> None:
    """The per-client form limit (20/hour) does not apply: the tablet has its own allowance."""
    world = make_world()
    _device, credential = enrolled(world)
    answers = [
        client.post(
            "/kiosk/api/phieu", json=rating(f"busy-{i:06d}"), headers=_auth(credential)
        ).status_code
        for i in range(25)
    ]
    assert answers == [201] * 25
    assert len(db.session.scalars(select(Response)).all()) == 25


def test_the_tablet_allowance_is_its_own(app: Flask, client: FlaskClient) -> None:
    world = make_world()
    _device, credential = enrolled(world)
    app.config["RATELIMIT_KIOSK"] = "3/minute"
    codes = [
        client.post(
            "/kiosk/api/phieu", json=rating(f"cap-{i:06d}"), headers=_auth(credential)
        ).status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]


def test_heartbeat_and_config(app: Flask, client: FlaskClient) -> None:
    world = make_world()
    device, credential = enrolled(world)
    beat = client.post(
        "/kiosk/api/nhip", json={"queue_length": 4, "app_version": "1"}, headers=_auth(credential)
    )
    assert beat.status_code == 200
    db.session.expire_all()
    stored = db.session.get(KioskDevice, device.id)
    assert stored is not None and stored.queue_length == 4
    config = client.get("/kiosk/api/cau-hinh", headers=_auth(credential)).get_json()
    assert config["counter"]["name"] == "Quầy số 1"
    assert config["questionnaire"]["items"][0]["text"]["en"]


def test_a_dossier_code_from_the_keypad_makes_a_verified_response(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world()
    _device, credential = enrolled(world)
    dossier = make_dossier(world.unit)
    ok = client.post(
        "/kiosk/api/phieu",
        json=rating("dos-000001", dossier_code=dossier.code.lower()),
        headers=_auth(credential),
    )
    assert ok.status_code == 201 and ok.get_json()["dossier"] == "verified"
    twice = client.post(
        "/kiosk/api/phieu",
        json=rating("dos-000002", dossier_code=dossier.code),
        headers=_auth(credential),
    )
    unknown = client.post(
        "/kiosk/api/phieu",
        json=rating("dos-000003", dossier_code="H15-261203-4242"),
        headers=_auth(credential),
    )
    # the same neutral answer, whatever the reason; the rating is kept
    assert twice.get_json()["dossier"] == unknown.get_json()["dossier"] == "not_used"
    rows = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.dossier_id for r in rows] == [dossier.id, None, None]


def test_the_kiosk_page_keeps_the_strict_csp(app: Flask, client: FlaskClient) -> None:
    page = client.get("/kiosk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in s or 'type="application/json"' in s for s in scripts), scripts
    assert not re.search(r"https?://(?!127\.0\.0\.1)", html)  # no other host
    worker = client.get("/kiosk/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.mimetype
    assert client.get("/kiosk").status_code in (301, 308)


def _unit_head_world() -> tuple[Any, Any, Any]:
    world = make_world()
    out = make_unit("OUT", "Trung tâm khác")
    counter_out = make_counter(out, "Q9")
    make_user("u.head", "unit_head", world.unit)
    make_user("u.staff", "staff", world.unit)
    return world, out, counter_out


def test_a_unit_head_enrols_renames_and_revokes_for_their_unit_only(
    app: Flask, client: FlaskClient
) -> None:
    world, _out, counter_out = _unit_head_world()
    login(client, "u.head")
    path = f"/quan-tri/quay/{world.counter.id}/thiet-bi"
    assert client.get(path).status_code == 200
    made = client.post(path, data={"csrf_token": csrf_of(client, path), "name": "Máy sảnh"})
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    shown = re.search(r'id="enrol-code">([A-Z0-9-]{14})<', html)
    assert shown and "data:image/svg+xml" in html and "/kiosk/?ma=" in html
    got = devices.enrol(shown.group(1))
    assert client.get(f"/quan-tri/quay/{counter_out.id}/thiet-bi").status_code == 404
    renamed = client.post(
        f"/quan-tri/thiet-bi/{got.device.id}/doi-ten",
        data={"csrf_token": csrf_of(client, path), "name": "Máy quầy 1"},
    )
    assert renamed.status_code == 303
    asked = client.post(
        f"/quan-tri/thiet-bi/{got.device.id}/thu-hoi", data={"csrf_token": csrf_of(client, path)}
    )
    assert asked.status_code == 200 and "Thu hồi thiết bị" in asked.get_data(as_text=True)
    assert db.session.get(KioskDevice, got.device.id).revoked_at is None  # type: ignore[union-attr]
    revoked = client.post(
        f"/quan-tri/thiet-bi/{got.device.id}/thu-hoi",
        data={"csrf_token": csrf_of(client, path), "confirm": "1"},
    )
    assert revoked.status_code == 303
    db.session.expire_all()
    assert db.session.get(KioskDevice, got.device.id).revoked_at is not None  # type: ignore[union-attr]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("kiosk.")] == [
        "kiosk.code",
        "kiosk.enrol",
        "kiosk.rename",
        "kiosk.revoke",
    ]


def test_staff_cannot_enrol(app: Flask, client: FlaskClient) -> None:
    world, _out, _counter_out = _unit_head_world()
    login(client, "u.staff")
    assert client.get(f"/quan-tri/quay/{world.counter.id}/thiet-bi").status_code == 403


def test_the_staff_home_lists_the_units_tablets_and_warns_of_a_silent_one(
    app: Flask, client: FlaskClient
) -> None:
    world, _out, _counter_out = _unit_head_world()
    device, _ = enrolled(world, "Máy quầy 1")
    app.config["KIOSK_OPENING_HOURS"] = "1-7 00:00-23:59"  # always open, for the test
    device.last_seen_at = datetime.now(UTC) - timedelta(minutes=45)
    db.session.commit()
    login(client, "u.staff")
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "Máy quầy 1" in html and "im lặng hơn 30 phút" in html
    assert "/thiet-bi" not in html  # staff do not manage tablets
    device.last_seen_at = datetime.now(UTC)
    db.session.commit()
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert "Máy quầy 1" in html and "im lặng" not in html
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client, "/nhan-vien")})
    login(client, "u.head")
    html = client.get("/nhan-vien").get_data(as_text=True)
    assert f"/quan-tri/quay/{world.counter.id}/thiet-bi" in html
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client, "/nhan-vien")})
    login(client, "u.admin")  # every unit: only the silent tablets are listed
    assert "Máy quầy 1" not in client.get("/nhan-vien").get_data(as_text=True)
    device.last_seen_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    assert "Máy quầy 1" in client.get("/nhan-vien").get_data(as_text=True)
