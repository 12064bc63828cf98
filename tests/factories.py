"""Small data factories for tests (call inside an app context)."""

from __future__ import annotations

import re
from typing import Any

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import (
    Counter,
    CounterToken,
    Procedure,
    QuestionnaireVersion,
    Response,
    Unit,
)
from survey_app.services import accounts, org


def seed_questionnaires() -> None:
    for qid, q in forms.load_all().items():
        if db.session.get(QuestionnaireVersion, qid) is None:
            db.session.add(QuestionnaireVersion(id=qid, title=q.title.vi))
    db.session.commit()


def make_unit(
    code: str = "U1",
    name: str = "Trung tâm Phục vụ hành chính công huyện Thử",
    parent: Unit | None = None,
    **kw: Any,
) -> Unit:
    # Most tests exercise the unit's own questionnaire at once; a new unit's default (the quick
    # form first, ``form_start="nhanh"``) is tested in tests/public/test_phone_form.py.
    kw.setdefault("form_start", "day_du")
    unit = Unit(
        code=code, name=name, parent=parent, place_name=kw.pop("place_name", "Trung tâm"), **kw
    )
    db.session.add(unit)
    db.session.commit()
    return unit


def make_counter(
    unit: Unit, code: str = "Q1", name: str = "Quầy số 1", active: bool = True
) -> Counter:
    counter = Counter(unit=unit, code=code, name=name, active=active)
    org.issue_token(counter)
    db.session.add(counter)
    db.session.commit()
    return counter


def make_procedure(
    unit: Unit,
    code: str = "1.004227",
    name: str = "Đăng ký đất đai lần đầu",
    target_group: str = "dat_dai_xay_dung_dau_tu",
) -> Procedure:
    proc = Procedure(code=code, name=name, field="Đất đai", target_group=target_group)
    unit.procedures.append(proc)
    db.session.commit()
    return proc


def token_of(counter: Counter) -> str:
    live = org.live_token(counter)
    assert live is not None
    return live.token


def open_form(client: FlaskClient, token: str) -> dict[str, str]:
    """GET the public form; return its hidden fields (CSRF token and idempotency key)."""
    # The test holds an app context across requests, so Flask-WTF's per-context cache of the
    # CSRF token would leak from one client's session to another's: drop it.
    g.pop("csrf_token", None)
    html = client.get(f"/f/{token}").get_data(as_text=True)
    fields = dict(
        re.findall(r'name="(csrf_token|idempotency_key)" type="hidden" value="([^"]*)"', html)
    )
    assert set(fields) == {"csrf_token", "idempotency_key"}, html[:500]
    return fields


def all_responses() -> list[Response]:
    db.session.expire_all()
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def counter_of(token: str) -> Counter:
    """The ORM counter a token belongs to (for tests that change it)."""
    counter = db.session.scalar(
        select(Counter).join(CounterToken).where(CounterToken.token == token)
    )
    assert counter is not None
    return counter


PASSWORD = "correct horse battery"


def make_user(
    username: str = "nv.mot",
    role: str = "staff",
    unit: Unit | None = None,
    password: str = PASSWORD,
    must_change: bool = False,
) -> Any:
    """An account holding one role (at ``unit`` unless admin)."""
    return accounts.create_user(
        username, password, role, unit.code if unit else None, must_change=must_change
    )


def csrf_of(client: FlaskClient, path: str) -> str:
    """GET a page and return the CSRF token of its form (see :func:`open_form`)."""
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', html)
    assert found, html[:500]
    return found.group(1)


def login(
    client: FlaskClient, username: str, password: str = PASSWORD, next_: str | None = None
) -> Any:
    """POST the login form with a valid CSRF token; returns the response (not followed)."""
    data = {"csrf_token": csrf_of(client, "/dang-nhap"), "username": username, "password": password}
    if next_ is not None:
        data["next"] = next_
    return client.post("/dang-nhap", data=data)


def login_as(client: FlaskClient, role: str, unit: Unit | None, username: str | None = None) -> Any:
    """Create an account with this role and sign the client in."""
    user = make_user(username or f"demo.{role}", role, unit)
    resp = login(client, user.username)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    return user


def make_dossier(
    unit: Unit,
    code: str = "H15.50.05.13-261008-0975",
    *,
    counter: Counter | None = None,
    procedure: Procedure | None = None,
    returned_at: Any = "now",
    received_at: Any = None,
    channel: str | None = "truc_tiep",
    resolving: Unit | None = None,
) -> Any:
    """A dossier received at ``unit`` (and ``counter``), returned ``returned_at`` (default:
    now; ``None``: still open), as the one-stop system would send it (issue 13)."""
    from datetime import UTC, datetime, timedelta

    from survey_app.models import Dossier
    from survey_app.services.clock import local_day

    now = datetime.now(UTC)
    returned = now if returned_at == "now" else returned_at
    received = received_at or (returned or now) - timedelta(days=5)
    dossier = Dossier(
        code=code,
        procedure_code=procedure.code if procedure else "1.000001",
        procedure_id=procedure.id if procedure else None,
        receiving_unit_id=unit.id,
        receiving_counter_id=counter.id if counter else None,
        resolving_unit_id=(resolving or unit).id,
        channel=channel,
        received_at=received,
        due_date=local_day(received) + timedelta(days=10),
        returned_at=returned,
        returned_day=local_day(returned) if returned else None,
        outcome="da_tra" if returned else "dang_xu_ly",
        supplements=0,
        apology_sent=False,
        fingerprint="test",
    )
    db.session.add(dossier)
    db.session.commit()
    return dossier
