"""Privacy by design (issue 13 §4): counter staff never see which dossier gave which
rating; the dossier of a verified response is shown only on the page of a complaint marked
on it, to whoever handles that complaint (a unit head; an inspector for a conduct
complaint), and every such view is in the audit log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Response, Unit, User
from survey_app.services import complaints

from ..factories import login
from ..test_authz_matrix import RULES, build_world
from .helpers import CODE, make_dossier, verify


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> dict[str, str]:
    """The authorisation matrix's world with every response verified, each by its own
    dossier (codes in the national shape, the first ``CODE``)."""
    found = build_world(app, tmp_path)
    unit = db.session.scalar(select(Unit).where(Unit.code == "IN"))
    assert unit is not None
    for i, response in enumerate(db.session.scalars(select(Response).order_by(Response.id))):
        code = CODE if i == 0 else f"H15.50.05.13-260917-{976 + i:04d}"
        verify(response, make_dossier(unit, code))
    return found


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def _dossier_views() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "dossier.view")
        )
        or 0
    )


def _staff_paths(world: dict[str, str]) -> list[str]:
    """Every GET the matrix lets a staff user open (pages, the poll JSON, the chart)."""
    paths = [
        case.path(world)
        for cases in RULES.values()
        for case in cases
        if case.method == "GET" and case.expected["staff"] == 200
    ]
    return [*paths, "/nhan-vien/moi?sau=0", "/nhan-vien?da_xem=0", "/phan-anh?trang_thai=moi"]


def test_no_page_feed_or_file_a_staff_user_reaches_holds_a_dossier_code(
    app: Flask, world: dict[str, str]
) -> None:
    client = _client(app, "u.staff")
    paths = _staff_paths(world)
    assert f"/phan-anh/{world['complaint_in']}" in paths and "/nhan-vien/moi?sau=0" in paths
    for path in paths:
        resp = client.get(path)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200, path
        assert "260917" not in body, path  # no code, nor a piece of one
        # (the API document and the kiosk page name the word in their markup, not a code)
        assert "dossier" not in body.lower() or path.startswith(("/api/", "/kiosk/")), path
    assert _dossier_views() == 0


def test_the_complaint_page_shows_the_dossier_to_the_unit_head_and_logs_each_view(
    app: Flask, world: dict[str, str]
) -> None:
    client = _client(app, "u.unit_head")
    path = f"/phan-anh/{world['complaint_in']}"
    for views in (1, 2):
        body = client.get(path).get_data(as_text=True)
        assert 'id="dossier-code"' in body and "H15.50.05.13-260917-" in body
        assert _dossier_views() == views
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "dossier.view")
    ).first()
    assert entry is not None and entry.target_type == "dossier"
    assert entry.after == {"complaint": int(world["complaint_in"])}
    assert "260917" not in str(entry.before) + str(entry.after)  # the code stays out of the log
    # the complaint page shows no answer, so never Q5/Q6 beside the code (the page's random
    # tokens, in value and content attributes, may hold the letters "Q5": left out)
    text = re.sub(r'(value|content)="[^"]*"', "", body)
    assert not re.search(r"\bQ[56]\b", text)
    assert "ngoài quy định" not in text  # the words of the Q6 answers


@pytest.mark.parametrize("role", ["staff", "office", "inspector", "admin"])
def test_other_roles_do_not_see_the_dossier_of_a_service_complaint(
    app: Flask, world: dict[str, str], role: str
) -> None:
    body = _client(app, f"u.{role}").get(f"/phan-anh/{world['complaint_in']}").get_data(True)
    assert "260917" not in body
    assert _dossier_views() == 0


def test_an_assigned_staff_member_still_sees_no_dossier(app: Flask, world: dict[str, str]) -> None:
    complaint = complaints.get_visible(_user("u.unit_head"), int(world["complaint_in"]))
    assert complaint is not None
    complaints.assign(complaint, _user("u.staff"), _user("u.unit_head"))
    body = _client(app, "u.staff").get(f"/phan-anh/{world['complaint_in']}").get_data(True)
    assert "u.staff" in body and "260917" not in body


def test_an_inspector_sees_the_dossier_of_a_conduct_complaint(
    app: Flask, world: dict[str, str]
) -> None:
    response = db.session.get(Response, int(world["response_in"]))
    assert response is not None and response.verified
    conduct = complaints.mark(response, "thai_do", _user("u.unit_head"))
    for username, shown in (("u.inspector", True), ("u.office", False), ("u.staff", False)):
        resp = _client(app, username).get(f"/phan-anh/{conduct.id}")
        body = resp.get_data(as_text=True)
        assert ("H15.50.05.13-260917-" in body) == shown, username
    assert _dossier_views() == 1


def test_open_responses_show_no_dossier_section(app: Flask, world: dict[str, str]) -> None:
    for r in db.session.scalars(select(Response)):
        r.dossier_id = None
    db.session.commit()
    body = _client(app, "u.unit_head").get(f"/phan-anh/{world['complaint_in']}").get_data(True)
    assert 'id="dossier"' not in body
    assert _dossier_views() == 0


def _user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None
    return found
