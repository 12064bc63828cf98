"""The kiosk service: enrolment codes (15 minutes, once), device credentials (digest only),
revocation, heartbeat, silent tablets, audit, and the dossier-code rule."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Invitation, KioskEnrolment, Response
from survey_app.services.ingest import responses
from survey_app.services.kiosk import devices, ratings
from survey_app.services.org import audit

from ..factories import make_counter, make_unit, token_of
from .helpers import enrolled, make_dossier, make_world, rating


def test_a_code_enrols_once_and_the_credential_is_kept_as_a_digest_only(app: Flask) -> None:
    world = make_world()
    code = devices.create_code(world.admin, world.counter, "Máy quầy 1")
    stored = db.session.get(KioskEnrolment, code.enrolment.id)
    assert stored is not None and code.code not in stored.code_hash  # only the digest
    got = devices.enrol(code.shown.lower(), "1")  # typed in lower case, with its dashes
    assert got.device.name == "Máy quầy 1" and got.device.counter_id == world.counter.id
    assert got.device.credential_hash == hashlib.sha256(got.credential.encode()).hexdigest()
    assert got.credential != token_of(world.counter)  # never the counter's QR token
    assert devices.authenticate(got.credential).id == got.device.id
    with pytest.raises(devices.EnrolRefused):  # single use
        devices.enrol(code.code)


def test_an_expired_code_is_refused(app: Flask) -> None:
    world = make_world()
    code = devices.create_code(world.admin, world.counter, "")
    row = db.session.get(KioskEnrolment, code.enrolment.id)
    assert row is not None
    assert row.expires_at - row.created_at == timedelta(minutes=15)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(devices.EnrolRefused):
        devices.enrol(code.code)
    with pytest.raises(devices.EnrolRefused):
        devices.enrol("ABCD-EFGH-JKMN")  # never issued


def test_a_revoked_tablet_is_refused_as_revoked_and_an_unknown_one_as_unknown(app: Flask) -> None:
    world = make_world()
    device, credential = enrolled(world)
    with pytest.raises(devices.DeviceRefused) as unknown:
        devices.authenticate("x" * 43)
    assert unknown.value.revoked is False
    devices.revoke(world.admin, device)
    with pytest.raises(devices.DeviceRefused) as refused:
        devices.authenticate(credential)
    assert refused.value.revoked is True


def test_every_administrative_step_is_audited_with_a_label(app: Flask) -> None:
    world = make_world()
    device, _ = enrolled(world)
    devices.rename(world.admin, device, "Máy sảnh")
    devices.revoke(world.admin, device)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    kiosk = [(e.action, e.target_type, e.actor_id) for e in entries if e.action.startswith("kiosk")]
    assert kiosk == [
        ("kiosk.code", "counter", world.admin.id),
        ("kiosk.enrol", "device", world.admin.id),  # the enrolment counts as the code maker's
        ("kiosk.rename", "device", world.admin.id),
        ("kiosk.revoke", "device", world.admin.id),
    ]
    for action, kind, _actor in kiosk:
        assert audit.action_label(action) != action and audit.target_label(kind) != kind
    assert devices.labels([str(device.id)]) == {str(device.id): "Máy sảnh (Q1)"}


def test_heartbeat_records_last_seen_queue_and_version(app: Flask) -> None:
    world = make_world()
    device, _ = enrolled(world)
    device.last_seen_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    devices.heartbeat(device, 7, "1.2")
    db.session.expire_all()
    assert device.queue_length == 7 and device.app_version == "1.2"
    assert device.last_seen_at is not None
    assert datetime.now(UTC) - device.last_seen_at < timedelta(minutes=1)
    devices.heartbeat(device, "lots", None)  # nonsense is ignored, not stored
    assert device.queue_length == 7


def test_a_tablet_is_silent_only_past_the_setting_during_opening_hours(app: Flask) -> None:
    world = make_world()
    device, _ = enrolled(world)
    tuesday_10h = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
    device.last_seen_at = tuesday_10h - timedelta(minutes=31)
    db.session.commit()
    assert [t.silent for t in devices.tablets({world.unit.id}, tuesday_10h)] == [True]
    assert [
        t.silent for t in devices.tablets({world.unit.id}, tuesday_10h - timedelta(minutes=2))
    ] == [False]
    sunday_10h = tuesday_10h - timedelta(days=2)
    device.last_seen_at = sunday_10h - timedelta(hours=5)
    db.session.commit()
    assert [t.silent for t in devices.tablets({world.unit.id}, sunday_10h)] == [False]
    assert devices.tablets({world.unit.id + 99}, tuesday_10h) == []
    devices.revoke(world.admin, device)
    assert devices.tablets(None, tuesday_10h) == []  # a revoked tablet is not watched


def test_the_dossier_code_rule(app: Flask) -> None:
    world = make_world()
    other = make_unit("OUT", "Trung tâm khác")
    mine = make_dossier(world.unit, "H15.12-261203-0001")
    make_dossier(other, "H15.99-261203-0002")
    info = ratings.counter_info(enrolled(world)[0])
    found = ratings.dossier_for_code(info, " h15.12-261203-0001 ")  # normalised
    assert found is not None and found.dossier_id == mine.id
    assert found.counter_id == info.counter_id  # the tablet's counter
    assert ratings.dossier_for_code(info, "H15.99-261203-0002") is None  # another unit
    assert ratings.dossier_for_code(info, "H15.12-261203-9999") is None  # unknown
    assert ratings.dossier_for_code(info, "") is None
    invitation = db.session.scalar(select(Invitation).where(Invitation.dossier_id == mine.id))
    assert invitation is not None
    invitation.used_at = datetime.now(UTC)
    db.session.commit()
    assert ratings.dossier_for_code(info, "H15.12-261203-0001") is None  # answered already


def test_a_dossier_code_verifies_one_rating_and_the_next_is_stored_open(app: Flask) -> None:
    world = make_world()
    device, _ = enrolled(world)
    dossier = make_dossier(world.unit)
    info = ratings.counter_info(device)
    first = ratings.submit(
        device, info, ratings.Rating(**rating("key-000001", dossier_code=dossier.code))
    )
    assert first.dossier == "verified"
    again = ratings.submit(
        device, info, ratings.Rating(**rating("key-000001", dossier_code=dossier.code))
    )
    assert (again.response_id, again.created, again.dossier) == (
        first.response_id,
        False,
        "verified",
    )
    second = ratings.submit(
        device, info, ratings.Rating(**rating("key-000002", dossier_code=dossier.code))
    )
    assert second.dossier == "not_used" and second.created
    rows = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [(r.dossier_id, r.source, r.device_id) for r in rows] == [
        (dossier.id, "kiosk", device.id),
        (None, "kiosk", device.id),
    ]
    invitation = db.session.scalar(select(Invitation).where(Invitation.dossier_id == dossier.id))
    assert invitation is not None and invitation.used_at is not None


def test_a_dossier_taken_meanwhile_keeps_the_rating_as_an_open_one(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tablets race for one dossier: the unique ``responses.dossier_id`` refuses the
    second, which is stored open rather than lost."""
    world = make_world()
    device, _ = enrolled(world)
    dossier = make_dossier(world.unit)
    info = ratings.counter_info(device)
    ratings.submit(device, info, ratings.Rating(**rating("race-000001", dossier_code=dossier.code)))
    stale = responses.Verified(dossier.id, info.counter_id, None)
    monkeypatch.setattr(ratings, "dossier_for_code", lambda _c, _code: stale)  # stale check
    late = ratings.submit(
        device, info, ratings.Rating(**rating("race-000002", dossier_code=dossier.code))
    )
    assert late.created and late.dossier == "not_used"
    stored = db.session.get(Response, late.response_id)
    assert stored is not None and stored.dossier_id is None


def test_a_queued_rating_keeps_its_moment_within_seven_days(app: Flask) -> None:
    world = make_world()
    device, _ = enrolled(world)
    info = ratings.counter_info(device)
    when = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    kept = ratings.submit(
        device, info, ratings.Rating(**rating("when-000001", submitted_at=when.isoformat()))
    )
    old = ratings.submit(
        device, info, ratings.Rating(**rating("when-000002", submitted_at="2020-01-01T00:00:00Z"))
    )
    rows = {r.id: r for r in db.session.scalars(select(Response))}
    assert rows[kept.response_id].submitted_at == when
    assert datetime.now(UTC) - rows[old.response_id].submitted_at < timedelta(minutes=1)


def test_the_kiosk_uses_the_quick_form_unless_the_unit_asks_for_its_own(app: Flask) -> None:
    world = make_world()
    device, _ = enrolled(world)
    config = ratings.kiosk_config(device, ratings.counter_info(device), app.config)
    assert config["questionnaire"]["id"] == "sipas-2024-nhanh"
    assert [i["code"] for i in config["questionnaire"]["items"]][-2:] == ["Q5", "Q6"]
    assert config["questionnaire"]["items"][0]["faces"] is True
    assert config["questionnaire"]["items"][-1]["faces"] is False
    world.unit.form_start = "day_du"
    db.session.commit()
    config = ratings.kiosk_config(device, ratings.counter_info(device), app.config)
    assert config["questionnaire"]["id"] == world.unit.questionnaire_id == "sipas-2024-dv"
    assert (config["interval"], config["idle"], config["thanks"]) == (5, 45, 5)


def test_a_closed_counter_stops_its_tablets(app: Flask) -> None:
    world = make_world()
    _device, credential = enrolled(world)
    second = make_counter(world.unit, "Q2", "Quầy 2", active=False)
    with pytest.raises(devices.KioskError):
        devices.create_code(world.admin, second, "")
    world.counter.active = False
    db.session.commit()
    with pytest.raises(devices.DeviceRefused) as refused:
        devices.authenticate(credential)
    assert refused.value.revoked
