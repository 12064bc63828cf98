"""The unit's open QR switch (issue 13 §5): "Nhận đánh giá mở qua mã QR quầy" on the unit's
admin page, audited; when off, the counter's form explains that ratings now come through
the dossier's invitation and stores nothing, while the kiosk/API path still takes ratings."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Counter, Unit
from survey_app.services.org import units as orgadmin

from ..factories import (
    all_responses,
    csrf_of,
    login_as,
    make_counter,
    make_unit,
    open_form,
    seed_questionnaires,
    token_of,
)


@pytest.fixture
def counter(app: Flask) -> Counter:
    seed_questionnaires()
    return make_counter(make_unit("U1", "Trung tâm Thử"))


def _unit() -> Unit:
    db.session.expire_all()
    found = db.session.scalar(select(Unit).where(Unit.code == "U1"))
    assert found is not None
    return found


def _switch(client: FlaskClient, value: str) -> int:
    unit = _unit()
    path = f"/quan-tri/don-vi/{unit.id}"
    form = {k: v for k, v in orgadmin.form_of(unit).items()}
    form.update(open_qr=value, csrf_token=csrf_of(client, path))
    return client.post(path, data=form).status_code


def test_the_admin_switches_open_qr_off_and_on_audited(
    client: FlaskClient, counter: Counter
) -> None:
    login_as(client, "admin", None, "quan.tri")
    page = client.get(f"/quan-tri/don-vi/{_unit().id}").get_data(as_text=True)
    assert "Nhận đánh giá mở qua mã QR quầy" in page and 'name="open_qr"' in page
    assert _switch(client, "0") == 303 and _unit().open_qr is False
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "unit.edit").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert (entry.before, entry.after) == ({"open_qr": True}, {"open_qr": False})
    log = client.get("/quan-tri/nhat-ky").get_data(as_text=True)
    assert "nhận đánh giá mở qua mã QR quầy" in log
    assert _switch(client, "1") == 303 and _unit().open_qr is True
    assert _switch(client, "maybe") == 400 and _unit().open_qr is True


def test_a_form_without_the_field_keeps_the_setting(client: FlaskClient, counter: Counter) -> None:
    unit = _unit()
    unit.open_qr = False
    db.session.commit()
    login_as(client, "admin", None, "quan.tri")
    assert _switch(client, "") == 303  # an older form, a script
    assert _unit().open_qr is False


@pytest.mark.parametrize("lang, words", [("vi", "phiếu tiếp nhận"), ("en", "receipt")])
def test_with_open_qr_off_the_counter_form_explains_and_stores_nothing(
    client: FlaskClient, counter: Counter, lang: str, words: str
) -> None:
    token = token_of(counter)
    hidden = open_form(client, token)  # a page opened while it was on
    unit = _unit()
    unit.open_qr = False
    db.session.commit()
    orgadmin._commit()  # the token cache forgets the counter, as every unit change does
    refresh()  # the test's app context outlives a request: drop the locale it cached
    page = client.get(f"/f/{token}?lang={lang}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and words in text
    assert 'name="C1"' not in text
    sent = client.post(f"/f/{token}", data={**hidden, "C1": "5"})
    assert sent.status_code == 200 and words in sent.get_data(as_text=True)
    assert all_responses() == []


def test_with_open_qr_off_the_api_still_takes_ratings(
    client: FlaskClient, counter: Counter
) -> None:
    unit = _unit()
    unit.open_qr = False
    orgadmin._commit()
    resp = client.post(
        "/api/v1/responses",
        json={"answers": {"C1": 4}, "idempotency_key": "kiosk-0001-open-qr-off"},
        headers={"Authorization": f"Bearer {token_of(counter)}"},
    )
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    assert len(all_responses()) == 1
