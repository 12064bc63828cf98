"""Invitations (issue 13): one link per dossier, idempotent; short enough for an SMS; expiry,
revocation; one response per dossier however often it is sent; the API with its integration
key; the bulk CSV and the printable slips."""

from __future__ import annotations

import csv
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

import forms
from survey_app.extensions import db
from survey_app.models import Invitation, Response
from survey_app.services.dossiers import invitations, keys
from survey_app.services.ingest import responses

from ..factories import make_counter, make_dossier, make_procedure, make_unit

TYPICAL = "https://hcc.tinh.gov.vn"


def _sub() -> responses.Submission:
    return responses.Submission(answers={"A1": 4, "C2": 5}, comment="Nhanh gọn")


def _responses() -> list[Response]:
    db.session.expire_all()
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def test_issue_is_idempotent_and_the_token_is_base58(app: Flask) -> None:
    dossier = make_dossier(make_unit())
    first = invitations.issue(dossier)
    db.session.commit()
    again = invitations.issue(dossier)
    assert first.created and not again.created
    assert again.invitation.token == first.invitation.token
    token = first.invitation.token
    assert len(token) == 10 and set(token) <= set(invitations.BASE58)
    assert not set(token) & set("0OIl")
    assert db.session.scalar(select(func.count(Invitation.id))) == 1
    assert first.url == f"https://sipas.test/ho-so/{token}"


def test_tokens_differ_between_dossiers(app: Flask) -> None:
    unit = make_unit()
    tokens = {
        invitations.issue(make_dossier(unit, f"H15.1-261008-{i:04d}")).invitation.token
        for i in range(30)
    }
    assert len(tokens) == 30


@pytest.mark.parametrize("base", ["", TYPICAL, f"{TYPICAL}/"])
def test_short_url_fits_an_sms(app: Flask, base: str) -> None:
    app.config["BASE_URL"] = f"{TYPICAL}/khao-sat-hai-long" if base == "" else "https://x.test"
    app.config["SHORT_URL_BASE"] = base
    link = invitations.issue(make_dossier(make_unit()))
    if base:
        assert link.short_url == f"{TYPICAL}/h/{link.invitation.token}"
        assert len(link.short_url) <= 40
    else:  # no short domain: the public address, which may be long
        assert link.short_url.startswith(f"{TYPICAL}/khao-sat-hai-long/h/")
    assert link.url.endswith(f"/ho-so/{link.invitation.token}")


def test_expiry_follows_the_return_of_the_result(app: Flask) -> None:
    unit = make_unit()
    returned = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    link = invitations.issue(make_dossier(unit, returned_at=returned))
    assert link.expires_at == returned + timedelta(days=30)
    assert invitations.state_of(link.invitation, returned + timedelta(days=29)) == "ok"
    assert invitations.state_of(link.invitation, returned + timedelta(days=30)) == "expired"
    app.config["INVITATION_DAYS"] = 7
    assert invitations.issue(
        make_dossier(unit, "H1-260302-2", returned_at=returned)
    ).expires_at == returned + timedelta(days=7)


def test_an_open_dossier_counts_from_the_invitation_then_from_its_return(app: Flask) -> None:
    dossier = make_dossier(make_unit(), returned_at=None)
    link = invitations.issue(dossier)
    made = link.invitation.created_at.replace(tzinfo=UTC)
    assert abs(link.expires_at - (made + timedelta(days=30))) < timedelta(seconds=1)
    dossier.returned_at = made + timedelta(days=20)  # returned later: 30 days from then
    db.session.commit()
    assert invitations.expires_at(link.invitation) == made + timedelta(days=50)


def test_states_used_revoked_expired_unknown(app: Flask) -> None:
    unit = make_unit()
    old = make_dossier(unit, "H1-260101-1", returned_at=datetime.now(UTC) - timedelta(days=31))
    fresh = make_dossier(unit, "H1-260101-2")
    expired, ok = invitations.issue(old), invitations.issue(fresh)
    db.session.commit()
    assert invitations.lookup(expired.invitation.token).state == "expired"
    assert invitations.lookup(ok.invitation.token).state == "ok"
    assert invitations.lookup("zzzzzzzzzz").state == "unknown"
    assert invitations.lookup("0OIl0OIl0O").state == "unknown"  # not base58: no query
    assert invitations.lookup("x" * 500).state == "unknown"
    invitations.revoke(ok.invitation)
    db.session.commit()
    assert invitations.lookup(ok.invitation.token).state == "revoked"


def test_a_revoked_invitation_is_issued_again_with_a_new_link(app: Flask) -> None:
    dossier = make_dossier(make_unit())
    first = invitations.issue(dossier)
    old_token = first.invitation.token
    invitations.revoke(first.invitation)
    db.session.commit()
    again = invitations.issue(dossier)
    db.session.commit()
    assert again.created and again.invitation.token != old_token
    assert invitations.lookup(old_token).state == "unknown"
    assert invitations.lookup(again.invitation.token).state == "ok"


def test_the_rating_belongs_to_the_receiving_unit_and_counter(app: Flask) -> None:
    root = make_unit("T", "Tỉnh")
    receiving = make_unit("R", "Trung tâm tiếp nhận", parent=root)
    resolving = make_unit("S", "Sở giải quyết", parent=root)
    counter = make_counter(receiving, "Q7", "Quầy số 7")
    procedure = make_procedure(resolving)  # not a procedure of the receiving unit
    dossier = make_dossier(
        receiving,
        counter=counter,
        procedure=procedure,
        resolving=resolving,
        channel="truc_tuyen_mot_phan",
    )
    link = invitations.issue(dossier)
    db.session.commit()
    ctx = invitations.context(link.invitation)
    response_id = invitations.submit(ctx, forms.get(ctx.info.questionnaire_id), _sub())
    (stored,) = _responses()
    assert stored.id == response_id and stored.verified
    assert (stored.dossier_id, stored.unit_id, stored.counter_id) == (
        dossier.id,
        receiving.id,
        counter.id,
    )
    assert stored.procedure_id == procedure.id
    assert stored.target_group == procedure.target_group
    assert (stored.channel, stored.source) == ("truc_tuyen_mot_phan", "invitation")
    db.session.expire_all()
    assert db.session.get(Invitation, link.invitation.id).used_at is not None


def test_a_second_submission_stores_nothing(app: Flask) -> None:
    link = invitations.issue(make_dossier(make_unit(), counter=None, channel=None))
    db.session.commit()
    ctx = invitations.context(link.invitation)
    q = forms.get(ctx.info.questionnaire_id)
    invitations.submit(ctx, q, _sub())
    with pytest.raises(responses.AlreadyRated):
        invitations.submit(ctx, q, _sub())
    (stored,) = _responses()
    assert stored.counter_id is None and stored.channel is None


def test_a_threaded_double_post_stores_one(app: Flask) -> None:
    link = invitations.issue(make_dossier(make_unit()))
    db.session.commit()
    token = link.invitation.token
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def tap() -> None:
        client = app.test_client()
        with app.app_context():
            g.pop("csrf_token", None)
            html = client.get(f"/ho-so/{token}").get_data(as_text=True)
            csrf = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
            barrier.wait()
            resp = client.post(f"/ho-so/{token}", data={"csrf_token": csrf, "A1": "5"})
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 409, 409, 409], statuses
    assert len(_responses()) == 1


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    root = make_unit("T", "Tỉnh")
    mine = make_unit("M", "Trung tâm của khoá", parent=root)
    other = make_unit("O", "Trung tâm khác", parent=root)
    below = make_unit("M1", "Xã dưới", parent=mine)
    key = keys.create("iGate", mine, None)
    revoked = keys.create("Cũ", mine, None)
    keys.revoke(revoked.key, None)
    db.session.commit()
    return {
        "key": key.secret,
        "revoked": revoked.secret,
        "below": make_dossier(below, "H15.50.05.13-261008-0975").code,
        "other": make_dossier(other, "H15.50.05.14-261008-0001").code,
    }


def _post(client: Any, code: str, key: str | None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(f"/api/v1/dossiers/{code}/invitation", headers=headers)


def test_api_makes_the_invitation_once(app: Flask, world: dict[str, Any]) -> None:
    app.config["SHORT_URL_BASE"] = TYPICAL
    client = app.test_client()
    first = _post(client, world["below"], world["key"])
    assert first.status_code == 201, first.json
    assert set(first.json) == {"url", "short_url", "expires_at"}
    assert first.json["short_url"].startswith(f"{TYPICAL}/h/")
    assert len(first.json["short_url"]) <= 40
    assert first.json["expires_at"].endswith("Z")
    again = _post(client, world["below"].lower(), world["key"])  # codes are case-blind
    assert again.status_code == 200 and again.json == first.json
    assert db.session.scalar(select(func.count(Invitation.id))) == 1


@pytest.mark.parametrize("which", ["none", "wrong", "revoked", "counter"])
def test_api_without_a_live_key_is_401(app: Flask, world: dict[str, Any], which: str) -> None:
    key = {"none": None, "wrong": "sipk_" + "x" * 32, "revoked": world["revoked"]}.get(which)
    if which == "counter":
        from ..factories import token_of

        key = token_of(make_counter(make_unit("C", "Có quầy")))
    resp = _post(app.test_client(), world["below"], key)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "khoá tích hợp" in resp.json["error"]


def test_api_unknown_dossier_404_and_other_units_403(app: Flask, world: dict[str, Any]) -> None:
    client = app.test_client()
    assert _post(client, "H99-261008-1", world["key"]).status_code == 404
    outside = _post(client, world["other"], world["key"])
    assert outside.status_code == 403
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    with app.app_context():  # a fresh g: the language is chosen again
        english = client.post(
            f"/api/v1/dossiers/{world['other']}/invitation?lang=en",
            headers={"Authorization": f"Bearer {world['key']}"},
        )
    assert english.status_code == 403 and "outside" in english.json["error"]


def test_the_openapi_document_names_the_endpoint(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").json
    post = doc["paths"]["/api/v1/dossiers/{code}/invitation"]["post"]
    assert set(post["responses"]) == {"200", "201", "401", "403", "404"}
    assert "integrationKey" in doc["components"]["securitySchemes"]


# --- in bulk and on paper --------------------------------------------------------------------


def test_bulk_csv_makes_the_missing_invitations(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    root = make_unit("T", "Tỉnh")
    unit, other = make_unit("A", "Xã A", parent=root), make_unit("B", "Xã B", parent=root)
    day = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
    kept = make_dossier(unit, "H1-261110-1", returned_at=day)
    earlier = invitations.issue(kept).invitation.token
    make_dossier(unit, "+H1-261110-2", returned_at=day)  # a formula-looking code
    make_dossier(unit, "H1-261110-3", returned_at=None)  # open: nothing to rate yet
    make_dossier(unit, "H1-261101-4", returned_at=day - timedelta(days=9))  # before --from
    make_dossier(other, "H2-261110-5", returned_at=day)  # another unit
    rated = invitations.issue(make_dossier(unit, "H1-261110-6", returned_at=day))
    db.session.commit()
    ctx = invitations.context(rated.invitation)
    invitations.submit(ctx, forms.get(ctx.info.questionnaire_id), _sub())
    app.config["INVITATION_DAYS"] = 400  # the fixed days above stay in force
    out = tmp_path / "moi.csv"
    result = runner.invoke(
        args=[
            "invitations",
            "--unit",
            "A",
            "--from",
            "2026-11-05",
            "--to",
            "2026-11-30",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["dossier_code", "url", "short_url", "expires_at"]
    assert [r[0] for r in rows[1:]] == ["'+H1-261110-2", "H1-261110-1"]
    assert rows[2][1] == f"https://sipas.test/ho-so/{earlier}"  # the same link as before
    assert all(r[2].startswith("https://sipas.test/h/") and r[3].endswith("Z") for r in rows[1:])
    assert "1 lời mời mới" in result.output and "1 hồ sơ bỏ qua" in result.output
    again = runner.invoke(args=["invitations", "--unit", "A", "--out", str(tmp_path / "2.csv")])
    assert "1 lời mời mới" in again.output  # the one before --from; the others are kept
    rows = list(csv.reader((tmp_path / "2.csv").read_text(encoding="utf-8").splitlines()))
    assert [r[0] for r in rows[1:]] == ["H1-261101-4", "'+H1-261110-2", "H1-261110-1"]
    assert runner.invoke(args=["invitations"]).exit_code == 2  # --out is needed
    assert runner.invoke(args=["invitations", "--unit", "X", "--out", str(out)]).exit_code == 2


def _decode(pdf: Path) -> str:
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
        check=True,
    )
    found = subprocess.run(
        ["zbarimg", "-q", "--raw", str(pdf.with_suffix(".png"))],
        check=True,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip()


@pytest.mark.parametrize("fmt", ["a6", "80mm"])
def test_the_slip_carries_the_long_link(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, fmt: str
) -> None:
    dossier = make_dossier(make_unit(name="Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm"))
    out = tmp_path / f"slip-{fmt}.pdf"
    result = runner.invoke(
        args=["invitations", "slip", dossier.code.lower(), "--format", fmt, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    token = db.session.scalar(select(Invitation.token))
    assert _decode(out) == f"https://sipas.test/ho-so/{token}"
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Quét mã để đánh giá việc giải quyết hồ sơ của ông/bà" in " ".join(text.split())
    unknown = runner.invoke(args=["invitations", "slip", "H0-000000-0", "--out", str(out)])
    assert unknown.exit_code == 2
