"""The integration-key admin page (a key shown once, revoked after the confirmation step,
CSRF, audited) and the office's dossier import page (check → confirm, scope, template,
English)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import refresh
from openpyxl import load_workbook
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Dossier, IntegrationKey, Unit
from survey_app.services.dossiers import keys

from ..factories import csrf_of, login_as
from .helpers import dossier, tree
from .test_cli import write_csv

KEYS = "/quan-tri/khoa-tich-hop"
IMPORT = "/nhap-du-lieu/ho-so"


@pytest.fixture
def units(app: Flask) -> dict[str, Unit]:
    return tree()


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Dossier)) or 0)


def test_admin_index_links_the_key_page(client: FlaskClient, units: dict[str, Unit]) -> None:
    login_as(client, "admin", None)
    assert f'href="{KEYS}"' in client.get("/quan-tri").get_data(as_text=True)


def test_key_is_shown_once_then_listed_by_prefix(
    client: FlaskClient, units: dict[str, Unit]
) -> None:
    login_as(client, "admin", None)
    token = csrf_of(client, KEYS)
    resp = client.post(KEYS, data={"csrf_token": token, "name": "iGate", "unit": "A"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    secret = re.search(r'id="key-secret">(sipk_[^<]+)<', html)
    assert secret, html
    assert keys.authenticate(secret.group(1)) is not None
    g.pop("csrf_token", None)
    listed = client.get(KEYS).get_data(as_text=True)
    key = db.session.scalars(select(IntegrationKey)).one()
    assert secret.group(1) not in listed and key.prefix in listed
    assert "iGate" in listed and ">1<" in listed  # the use counted above
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "key.add" and secret.group(1) not in str(entry.after)


def test_key_refusals_are_400(client: FlaskClient, units: dict[str, Unit]) -> None:
    login_as(client, "admin", None)
    token = csrf_of(client, KEYS)
    assert client.post(KEYS, data={"csrf_token": token, "name": "", "unit": "A"}).status_code == 400
    resp = client.post(KEYS, data={"csrf_token": token, "name": "x", "unit": "NOPE"})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(IntegrationKey)) == 0


def test_changes_need_csrf(client: FlaskClient, units: dict[str, Unit]) -> None:
    login_as(client, "admin", None)
    assert client.post(KEYS, data={"name": "x", "unit": "A"}).status_code == 400
    made = keys.create("k", units["A"], None)
    db.session.commit()
    resp = client.post(f"{KEYS}/{made.key.id}/thu-hoi", data={"confirm": "1"})
    assert resp.status_code == 400
    assert keys.authenticate(made.secret) is not None


def test_revoke_asks_first(client: FlaskClient, units: dict[str, Unit]) -> None:
    login_as(client, "admin", None)
    made = keys.create("k", units["A"], None)
    db.session.commit()
    token = csrf_of(client, KEYS)
    ask = client.post(f"{KEYS}/{made.key.id}/thu-hoi", data={"csrf_token": token})
    assert ask.status_code == 200 and 'name="confirm" value="1"' in ask.get_data(as_text=True)
    assert keys.authenticate(made.secret) is not None
    done = client.post(f"{KEYS}/{made.key.id}/thu-hoi", data={"csrf_token": token, "confirm": "1"})
    assert done.status_code == 303
    assert keys.authenticate(made.secret) is None
    assert [e.action for e in db.session.scalars(select(AuditEntry))] == ["key.add", "key.revoke"]


def test_key_page_in_english(client: FlaskClient, units: dict[str, Unit]) -> None:
    login_as(client, "admin", None)
    refresh()  # the test's app context outlives requests: drop the cached locale
    html = client.get(KEYS + "?lang=en").get_data(as_text=True)
    assert "Integration keys" in html or "Integration key" in html
    assert "Create key" in html


# --- the import page ------------------------------------------------------------------------


def _upload(client: FlaskClient, data: bytes, name: str = "hs.csv") -> Any:
    fields = {"file": (io.BytesIO(data), name), "csrf_token": csrf_of(client, IMPORT)}
    return client.post(IMPORT, data=fields, content_type="multipart/form-data")


def test_response_import_links_the_dossier_import(
    client: FlaskClient, units: dict[str, Unit]
) -> None:
    login_as(client, "office", units["P"])
    assert f'href="{IMPORT}"' in client.get("/nhap-du-lieu").get_data(as_text=True)


def test_check_then_confirm(client: FlaskClient, units: dict[str, Unit], tmp_path: Path) -> None:
    login_as(client, "office", units["P"])
    data = write_csv(tmp_path / "hs.csv", [dossier(1), dossier(2)]).read_bytes()
    resp = _upload(client, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and count() == 0
    assert re.search(r'id="n-created">2<', html)
    found = re.search(r'action="/nhap-du-lieu/ho-so/([A-Za-z0-9_-]{24})"', html)
    assert found, html
    g.pop("csrf_token", None)
    token = csrf_of(client, IMPORT)
    done = client.post(f"{IMPORT}/{found.group(1)}", data={"csrf_token": token})
    assert done.status_code == 303 and count() == 2
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "dossiers.import"
    assert entry.after == {"created": 2, "updated": 0, "unchanged": 0}
    # confirmed once: the upload is gone
    assert client.post(f"{IMPORT}/{found.group(1)}", data={"csrf_token": token}).status_code == 404


def test_bad_rows_and_scope_are_listed(
    client: FlaskClient, units: dict[str, Unit], tmp_path: Path
) -> None:
    login_as(client, "office", units["A"])  # A's subtree: not B, the resolving unit
    data = write_csv(
        tmp_path / "hs.csv", [dossier(1), dossier(2, resolving_unit="A", due_date="x")]
    ).read_bytes()
    resp = _upload(client, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "resolving_unit" in html and "due_date" in html and "nằm ngoài" in html
    assert count() == 0


def test_upload_needs_csrf_and_a_file(client: FlaskClient, units: dict[str, Unit]) -> None:
    login_as(client, "office", units["P"])
    bare = client.post(
        IMPORT, data={"file": (io.BytesIO(b"x"), "a.csv")}, content_type="multipart/form-data"
    )
    assert bare.status_code == 400
    g.pop("csrf_token", None)
    token = csrf_of(client, IMPORT)
    assert client.post(IMPORT, data={"csrf_token": token}).status_code == 400
    assert _upload(client, b"x", "a.txt").status_code == 400


def test_template_download(client: FlaskClient, units: dict[str, Unit]) -> None:
    login_as(client, "office", units["A"])
    resp = client.get(f"{IMPORT}/mau.xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    assert book.worksheets[0].cell(1, 1).value == "code"
    guide = "\n".join(str(c.value) for row in book.worksheets[1].iter_rows() for c in row)
    assert "A/Q1" in guide and "OUT" not in guide  # only the user's units


def test_import_page_in_english(
    client: FlaskClient, units: dict[str, Unit], tmp_path: Path
) -> None:
    login_as(client, "office", units["P"])
    refresh()
    client.get(IMPORT + "?lang=en")
    data = write_csv(tmp_path / "hs.csv", [dossier(1, outcome="xong")]).read_bytes()
    refresh()
    html = _upload(client, data).get_data(as_text=True)
    assert "no dossier was imported" in html and "is not valid" in html
